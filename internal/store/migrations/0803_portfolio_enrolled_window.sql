-- Coverage asks, for each SMETS1 (Supplier, model, MAP), how many enrolled
-- Devices are inside their churn window on a day: inherited_from on or after
-- the window's bound, enrolled on or before the day. This index answers it
-- with a short range from the index alone.
CREATE INDEX portfolio_enrolled_window ON portfolio_enrolled (supplier_id, model_id, map_id, inherited_from, enrolled_on, devices);
