-- The portfolio summed per model and generation: what the SSC's portfolio
-- page draws its chart from (estate.PortfolioHead), a few hundred rows in
-- place of every portfolio row (90,000 at a million Devices, 180,000
-- nationally). Kept exact by triggers on portfolio in the transaction of
-- every write to it, whatever the write path; portfolio_rows counts the
-- portfolio rows holding Devices (devices <> 0), as the chart does.
CREATE TABLE portfolio_model_totals (
    model_id       BIGINT NOT NULL REFERENCES device_models (id),
    generation     TEXT NOT NULL,
    portfolio_rows BIGINT NOT NULL,
    devices        BIGINT NOT NULL,
    PRIMARY KEY (model_id, generation)
);
INSERT INTO portfolio_model_totals (model_id, generation, portfolio_rows, devices)
    SELECT model_id, generation, SUM(CASE WHEN devices <> 0 THEN 1 ELSE 0 END), SUM(devices) FROM portfolio GROUP BY model_id, generation;

--sqlite:CREATE TRIGGER portfolio_model_totals_insert AFTER INSERT ON portfolio BEGIN INSERT INTO portfolio_model_totals (model_id, generation, portfolio_rows, devices) VALUES (NEW.model_id, NEW.generation, CASE WHEN NEW.devices <> 0 THEN 1 ELSE 0 END, NEW.devices) ON CONFLICT (model_id, generation) DO UPDATE SET portfolio_rows = portfolio_model_totals.portfolio_rows + excluded.portfolio_rows, devices = portfolio_model_totals.devices + excluded.devices; END;
--sqlite:CREATE TRIGGER portfolio_model_totals_delete AFTER DELETE ON portfolio BEGIN UPDATE portfolio_model_totals SET portfolio_rows = portfolio_rows - CASE WHEN OLD.devices <> 0 THEN 1 ELSE 0 END, devices = devices - OLD.devices WHERE model_id = OLD.model_id AND generation = OLD.generation; END;
--sqlite:CREATE TRIGGER portfolio_model_totals_update AFTER UPDATE ON portfolio BEGIN UPDATE portfolio_model_totals SET portfolio_rows = portfolio_rows - CASE WHEN OLD.devices <> 0 THEN 1 ELSE 0 END, devices = devices - OLD.devices WHERE model_id = OLD.model_id AND generation = OLD.generation; INSERT INTO portfolio_model_totals (model_id, generation, portfolio_rows, devices) VALUES (NEW.model_id, NEW.generation, CASE WHEN NEW.devices <> 0 THEN 1 ELSE 0 END, NEW.devices) ON CONFLICT (model_id, generation) DO UPDATE SET portfolio_rows = portfolio_model_totals.portfolio_rows + excluded.portfolio_rows, devices = portfolio_model_totals.devices + excluded.devices; END;

-- PostgreSQL: once per statement, from its transition tables, so a bulk
-- write (a rebuild, a churn file) adds its rows in one grouped statement.
--postgres:CREATE FUNCTION portfolio_model_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
--postgres:BEGIN
--postgres:    IF TG_OP = 'DELETE' OR TG_OP = 'UPDATE' THEN
--postgres:        UPDATE portfolio_model_totals t SET portfolio_rows = t.portfolio_rows - o.portfolio_rows, devices = t.devices - o.devices
--postgres:        FROM (SELECT model_id, generation, SUM(CASE WHEN devices <> 0 THEN 1 ELSE 0 END) AS portfolio_rows, SUM(devices) AS devices
--postgres:              FROM portfolio_old GROUP BY model_id, generation) o
--postgres:        WHERE t.model_id = o.model_id AND t.generation = o.generation;
--postgres:    END IF;
--postgres:    IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN
--postgres:        INSERT INTO portfolio_model_totals (model_id, generation, portfolio_rows, devices)
--postgres:        SELECT model_id, generation, SUM(CASE WHEN devices <> 0 THEN 1 ELSE 0 END), SUM(devices) FROM portfolio_new GROUP BY model_id, generation
--postgres:        ON CONFLICT (model_id, generation) DO UPDATE SET portfolio_rows = portfolio_model_totals.portfolio_rows + excluded.portfolio_rows,
--postgres:            devices = portfolio_model_totals.devices + excluded.devices;
--postgres:    END IF;
--postgres:    IF TG_OP = 'TRUNCATE' THEN
--postgres:        DELETE FROM portfolio_model_totals;
--postgres:    END IF;
--postgres:    RETURN NULL;
--postgres:END;
--postgres:$$;
--postgres:CREATE TRIGGER portfolio_model_totals_insert AFTER INSERT ON portfolio REFERENCING NEW TABLE AS portfolio_new FOR EACH STATEMENT EXECUTE FUNCTION portfolio_model_totals_apply();
--postgres:CREATE TRIGGER portfolio_model_totals_update AFTER UPDATE ON portfolio REFERENCING OLD TABLE AS portfolio_old NEW TABLE AS portfolio_new FOR EACH STATEMENT EXECUTE FUNCTION portfolio_model_totals_apply();
--postgres:CREATE TRIGGER portfolio_model_totals_delete AFTER DELETE ON portfolio REFERENCING OLD TABLE AS portfolio_old FOR EACH STATEMENT EXECUTE FUNCTION portfolio_model_totals_apply();
--postgres:CREATE TRIGGER portfolio_model_totals_truncate AFTER TRUNCATE ON portfolio FOR EACH STATEMENT EXECUTE FUNCTION portfolio_model_totals_apply();
