-- The SSC's monthly duties override directory markings for the counterpart
-- each names (seeds/000; issue 13 point 6): a manufacturer is told every
-- Supplier operating its Devices and a Supplier every manufacturer's
-- contacts, whatever their entries' colours, and an organisation whose entry
-- is RED still gets its own report. Each such override is a row here,
-- written with the report (and an audit record whose digest is the row's):
-- which report showed which organisation to its recipient, under which duty,
-- and the marking it overrode. The recipient itself is listed when its own
-- entry was RED. Reports read these rows in their WHERE: anyone but the
-- recipient must be allowed to see every listed entry to read the report, so
-- third parties stay kept from it. Written once, like the reports.
CREATE TABLE report_disclosures (
    report_id BIGINT NOT NULL REFERENCES reports (id),
    org_id    BIGINT NOT NULL REFERENCES organisations (id),
    duty      TEXT NOT NULL CHECK (duty IN ('operating_suppliers', 'manufacturer_contacts')),
    marking   TEXT NOT NULL CHECK (marking IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    recipient BOOLEAN NOT NULL,
    reason    TEXT NOT NULL,
    PRIMARY KEY (report_id, org_id)
);
CREATE INDEX report_disclosures_by_org ON report_disclosures (org_id);

--sqlite:CREATE TRIGGER report_disclosures_no_update BEFORE UPDATE ON report_disclosures BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;
--sqlite:CREATE TRIGGER report_disclosures_no_delete BEFORE DELETE ON report_disclosures BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;
--postgres:CREATE TRIGGER report_disclosures_written_once BEFORE UPDATE OR DELETE OR TRUNCATE ON report_disclosures FOR EACH STATEMENT EXECUTE FUNCTION reports_written_once();
