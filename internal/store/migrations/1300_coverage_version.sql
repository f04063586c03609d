-- National coverage is cached (internal/coverage, cache.go), keyed by the
-- version of what it is computed from: the portfolio aggregates, the
-- arrangements and their models, the catalogue's models and certificates,
-- the organisations and their roles, records of impracticability, User
-- Systems and the audience rows of those kinds. Every write to them bumps
-- coverage_version in the same transaction, by the triggers below, so every
-- write path is caught and several servers on one database agree: a server
-- reads the version in the transaction it would compute in, and uses its
-- cached report only when the version is the one it was computed at.
--
-- Two writes leave coverage as it was and do not bump it, since they are the
-- load's commonest: an arrangement edit that changes only its title or
-- other words (the columns watched are listed in the UPDATE triggers below;
-- a test lists the rest), and a Device's firmware moving between two
-- portfolio rows of one (Supplier, model, MAP) cell, which coverage sums
-- over. The estate marks the second by a row in coverage_quiet for the
-- length of the move, written and deleted inside its own transaction, so no
-- other transaction ever sees it.
CREATE TABLE coverage_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO coverage_version (id, version) VALUES (1, 1);
CREATE TABLE coverage_quiet (
    id @id
);

--postgres:CREATE FUNCTION coverage_changed() RETURNS trigger LANGUAGE plpgsql AS $$
--postgres:BEGIN
--postgres:    UPDATE coverage_version SET version = version + 1;
--postgres:    RETURN NULL;
--postgres:END;
--postgres:$$;
--postgres:CREATE FUNCTION coverage_portfolio_changed() RETURNS trigger LANGUAGE plpgsql AS $$
--postgres:BEGIN
--postgres:    IF NOT EXISTS (SELECT 1 FROM coverage_quiet) THEN
--postgres:        UPDATE coverage_version SET version = version + 1;
--postgres:    END IF;
--postgres:    RETURN NULL;
--postgres:END;
--postgres:$$;

-- The small tables: a row trigger on each.
--sqlite:CREATE TRIGGER arrangement_models_coverage_insert AFTER INSERT ON arrangement_models BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER arrangement_models_coverage_update AFTER UPDATE ON arrangement_models BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER arrangement_models_coverage_delete AFTER DELETE ON arrangement_models BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER arrangement_models_coverage AFTER INSERT OR UPDATE OR DELETE ON arrangement_models FOR EACH ROW EXECUTE FUNCTION coverage_changed();
--sqlite:CREATE TRIGGER cpa_certificates_coverage_insert AFTER INSERT ON cpa_certificates BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER cpa_certificates_coverage_update AFTER UPDATE ON cpa_certificates BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER cpa_certificates_coverage_delete AFTER DELETE ON cpa_certificates BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER cpa_certificates_coverage AFTER INSERT OR UPDATE OR DELETE ON cpa_certificates FOR EACH ROW EXECUTE FUNCTION coverage_changed();
--sqlite:CREATE TRIGGER device_models_coverage_insert AFTER INSERT ON device_models BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER device_models_coverage_update AFTER UPDATE ON device_models BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER device_models_coverage_delete AFTER DELETE ON device_models BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER device_models_coverage AFTER INSERT OR UPDATE OR DELETE ON device_models FOR EACH ROW EXECUTE FUNCTION coverage_changed();
--sqlite:CREATE TRIGGER organisations_coverage_insert AFTER INSERT ON organisations BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER organisations_coverage_update AFTER UPDATE ON organisations BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER organisations_coverage_delete AFTER DELETE ON organisations BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER organisations_coverage AFTER INSERT OR UPDATE OR DELETE ON organisations FOR EACH ROW EXECUTE FUNCTION coverage_changed();
--sqlite:CREATE TRIGGER organisation_roles_coverage_insert AFTER INSERT ON organisation_roles BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER organisation_roles_coverage_update AFTER UPDATE ON organisation_roles BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER organisation_roles_coverage_delete AFTER DELETE ON organisation_roles BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER organisation_roles_coverage AFTER INSERT OR UPDATE OR DELETE ON organisation_roles FOR EACH ROW EXECUTE FUNCTION coverage_changed();
--sqlite:CREATE TRIGGER impracticabilities_coverage_insert AFTER INSERT ON impracticabilities BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER impracticabilities_coverage_update AFTER UPDATE ON impracticabilities BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER impracticabilities_coverage_delete AFTER DELETE ON impracticabilities BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER impracticabilities_coverage AFTER INSERT OR UPDATE OR DELETE ON impracticabilities FOR EACH ROW EXECUTE FUNCTION coverage_changed();
--sqlite:CREATE TRIGGER user_systems_coverage_insert AFTER INSERT ON user_systems BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER user_systems_coverage_update AFTER UPDATE ON user_systems BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER user_systems_coverage_delete AFTER DELETE ON user_systems BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER user_systems_coverage AFTER INSERT OR UPDATE OR DELETE ON user_systems FOR EACH ROW EXECUTE FUNCTION coverage_changed();
--sqlite:CREATE TRIGGER user_system_components_coverage_insert AFTER INSERT ON user_system_components BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER user_system_components_coverage_update AFTER UPDATE ON user_system_components BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER user_system_components_coverage_delete AFTER DELETE ON user_system_components BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER user_system_components_coverage AFTER INSERT OR UPDATE OR DELETE ON user_system_components FOR EACH ROW EXECUTE FUNCTION coverage_changed();

-- Arrangements: a new or deleted one, or a change to what coverage reads of one.
--sqlite:CREATE TRIGGER arrangements_coverage_insert AFTER INSERT ON arrangements BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER arrangements_coverage_delete AFTER DELETE ON arrangements BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER arrangements_coverage_update AFTER UPDATE ON arrangements WHEN OLD.reference IS NOT NEW.reference OR OLD.kind IS NOT NEW.kind OR OLD.supplier_id IS NOT NEW.supplier_id OR OLD.map_id IS NOT NEW.map_id OR OLD.manufacturer_id IS NOT NEW.manufacturer_id OR OLD.all_models IS NOT NEW.all_models OR OLD.legacy IS NOT NEW.legacy OR OLD.effective IS NOT NEW.effective OR OLD.expires IS NOT NEW.expires OR OLD.ended IS NOT NEW.ended OR OLD.status IS NOT NEW.status OR OLD.classification IS NOT NEW.classification OR OLD.first_signed IS NOT NEW.first_signed OR OLD.second_signed IS NOT NEW.second_signed BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER arrangements_coverage AFTER INSERT OR DELETE ON arrangements FOR EACH ROW EXECUTE FUNCTION coverage_changed();
--postgres:CREATE TRIGGER arrangements_coverage_update AFTER UPDATE ON arrangements FOR EACH ROW WHEN (OLD.reference IS DISTINCT FROM NEW.reference OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.supplier_id IS DISTINCT FROM NEW.supplier_id OR OLD.map_id IS DISTINCT FROM NEW.map_id OR OLD.manufacturer_id IS DISTINCT FROM NEW.manufacturer_id OR OLD.all_models IS DISTINCT FROM NEW.all_models OR OLD.legacy IS DISTINCT FROM NEW.legacy OR OLD.effective IS DISTINCT FROM NEW.effective OR OLD.expires IS DISTINCT FROM NEW.expires OR OLD.ended IS DISTINCT FROM NEW.ended OR OLD.status IS DISTINCT FROM NEW.status OR OLD.classification IS DISTINCT FROM NEW.classification OR OLD.first_signed IS DISTINCT FROM NEW.first_signed OR OLD.second_signed IS DISTINCT FROM NEW.second_signed) EXECUTE FUNCTION coverage_changed();

-- Audience rows of the records coverage shows (not a vulnerability's, which are the busy ones).
--sqlite:CREATE TRIGGER audience_orgs_coverage_insert AFTER INSERT ON audience_orgs WHEN NEW.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER audience_orgs_coverage_update AFTER UPDATE ON audience_orgs WHEN OLD.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') OR NEW.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER audience_orgs_coverage_delete AFTER DELETE ON audience_orgs WHEN OLD.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER audience_orgs_coverage_insert AFTER INSERT ON audience_orgs FOR EACH ROW WHEN (NEW.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system')) EXECUTE FUNCTION coverage_changed();
--postgres:CREATE TRIGGER audience_orgs_coverage_update AFTER UPDATE ON audience_orgs FOR EACH ROW WHEN (OLD.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') OR NEW.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system')) EXECUTE FUNCTION coverage_changed();
--postgres:CREATE TRIGGER audience_orgs_coverage_delete AFTER DELETE ON audience_orgs FOR EACH ROW WHEN (OLD.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system')) EXECUTE FUNCTION coverage_changed();
--sqlite:CREATE TRIGGER audience_users_coverage_insert AFTER INSERT ON audience_users WHEN NEW.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER audience_users_coverage_update AFTER UPDATE ON audience_users WHEN OLD.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') OR NEW.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER audience_users_coverage_delete AFTER DELETE ON audience_users WHEN OLD.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER audience_users_coverage_insert AFTER INSERT ON audience_users FOR EACH ROW WHEN (NEW.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system')) EXECUTE FUNCTION coverage_changed();
--postgres:CREATE TRIGGER audience_users_coverage_update AFTER UPDATE ON audience_users FOR EACH ROW WHEN (OLD.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system') OR NEW.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system')) EXECUTE FUNCTION coverage_changed();
--postgres:CREATE TRIGGER audience_users_coverage_delete AFTER DELETE ON audience_users FOR EACH ROW WHEN (OLD.record_kind IN ('coverage', 'party', 'device_model', 'arrangement', 'impracticability', 'user_system')) EXECUTE FUNCTION coverage_changed();

-- The portfolio aggregates: hundreds of thousands of rows, written per Device
-- and in bulk, so one trigger per statement on PostgreSQL (SQLite has row
-- triggers only).
--sqlite:CREATE TRIGGER portfolio_coverage_insert AFTER INSERT ON portfolio WHEN NOT EXISTS (SELECT 1 FROM coverage_quiet) BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER portfolio_coverage_update AFTER UPDATE ON portfolio WHEN NOT EXISTS (SELECT 1 FROM coverage_quiet) BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER portfolio_coverage_delete AFTER DELETE ON portfolio WHEN NOT EXISTS (SELECT 1 FROM coverage_quiet) BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER portfolio_coverage AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON portfolio FOR EACH STATEMENT EXECUTE FUNCTION coverage_portfolio_changed();
--sqlite:CREATE TRIGGER portfolio_inherited_coverage_insert AFTER INSERT ON portfolio_inherited BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER portfolio_inherited_coverage_update AFTER UPDATE ON portfolio_inherited BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER portfolio_inherited_coverage_delete AFTER DELETE ON portfolio_inherited BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER portfolio_inherited_coverage AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON portfolio_inherited FOR EACH STATEMENT EXECUTE FUNCTION coverage_changed();
--sqlite:CREATE TRIGGER portfolio_enrolled_coverage_insert AFTER INSERT ON portfolio_enrolled BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER portfolio_enrolled_coverage_update AFTER UPDATE ON portfolio_enrolled BEGIN UPDATE coverage_version SET version = version + 1; END;
--sqlite:CREATE TRIGGER portfolio_enrolled_coverage_delete AFTER DELETE ON portfolio_enrolled BEGIN UPDATE coverage_version SET version = version + 1; END;
--postgres:CREATE TRIGGER portfolio_enrolled_coverage AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON portfolio_enrolled FOR EACH STATEMENT EXECUTE FUNCTION coverage_changed();
