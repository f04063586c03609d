-- How a month's portfolio snapshot was counted (issue 13 point 5): from the
-- portfolio aggregates as the month ended ('aggregates'), or, when no
-- snapshot was taken then (a first run after the month, a late churn file),
-- computed from the supply periods as at the month's last day
-- ('supply_periods'). Late snapshots taken before this column existed were
-- copies of the aggregates as they stood later, and keep that basis.
ALTER TABLE portfolio_snapshot_months ADD COLUMN basis TEXT NOT NULL DEFAULT 'aggregates';
