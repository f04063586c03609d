-- Reports: the SSC's monthly mailings (to each manufacturer the Suppliers
-- operating its Devices, to each Supplier every manufacturer's security
-- contacts) and its standing reports, stored as generated so the SSC can
-- prove what it sent, to whom and when.
--
-- Every table here is write-once: triggers refuse UPDATE and DELETE, so a
-- stored report, its files and its delivery record cannot be changed after
-- the fact. A re-run writes a new version beside the old one.

-- The estate at the end of a month, by Supplier and model: what the monthly
-- mailing for that month reports. Taken by the scheduled job as soon as the
-- month has ended (late = FALSE), or by the first run for a month that was
-- never snapshotted, from the estate as it then stood (late = TRUE; the
-- reports say so).
CREATE TABLE portfolio_snapshot_months (
    month    TEXT PRIMARY KEY,
    taken_at @time NOT NULL,
    late     BOOLEAN NOT NULL,
    row_count BIGINT NOT NULL,
    devices  BIGINT NOT NULL
);

CREATE TABLE portfolio_snapshots (
    month       TEXT NOT NULL,
    supplier_id BIGINT NOT NULL,
    model_id    BIGINT NOT NULL,
    generation  TEXT NOT NULL,
    device_type TEXT NOT NULL,
    devices     BIGINT NOT NULL,
    PRIMARY KEY (month, supplier_id, model_id)
);

-- A run generates a month's reports of one scope: the monthly mailing (one
-- report per manufacturer and per Supplier) or the SSC's standing report.
-- A month's first run is version 1; a forced re-run is the next version.
CREATE TABLE report_runs (
    id                @id,
    scope             TEXT NOT NULL CHECK (scope IN ('monthly', 'standing')),
    month             TEXT NOT NULL,
    version           INTEGER NOT NULL,
    trigger_by        TEXT NOT NULL,
    forced            BOOLEAN NOT NULL,
    snapshot_taken_at @time,
    snapshot_late     BOOLEAN NOT NULL DEFAULT FALSE,
    reports           INTEGER NOT NULL,
    digest            TEXT NOT NULL,
    created_at        @time NOT NULL,
    created_by        TEXT NOT NULL,
    UNIQUE (scope, month, version)
);

-- A report for one recipient organisation (AMBER: the recipient and the
-- SSC), or a standing report (RED: the SSC members named in audience_users;
-- recipient_org_id is NULL).
CREATE TABLE reports (
    id               @id,
    run_id           BIGINT NOT NULL REFERENCES report_runs (id),
    kind             TEXT NOT NULL CHECK (kind IN ('manufacturer', 'supplier', 'standing')),
    month            TEXT NOT NULL,
    version          INTEGER NOT NULL,
    reference        TEXT NOT NULL UNIQUE,
    recipient_org_id BIGINT REFERENCES organisations (id),
    title            TEXT NOT NULL,
    classification   TEXT NOT NULL CHECK (classification IN ('AMBER', 'RED')),
    digest           TEXT NOT NULL,
    created_at       @time NOT NULL,
    CHECK ((kind = 'standing') = (recipient_org_id IS NULL))
);
CREATE INDEX reports_by_recipient ON reports (recipient_org_id, month);
CREATE INDEX reports_by_month ON reports (month, kind);
CREATE INDEX reports_by_run ON reports (run_id);

-- The report as sent, in each format, with its SHA-256.
CREATE TABLE report_files (
    report_id  BIGINT NOT NULL REFERENCES reports (id),
    format     TEXT NOT NULL CHECK (format IN ('csv', 'json', 'html', 'pdf')),
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sha256     TEXT NOT NULL,
    content    @bytes NOT NULL,
    PRIMARY KEY (report_id, format)
);

-- The delivery record: the notice queued for the recipient organisation and
-- the addresses its email jobs went to, as they were when it was queued.
-- Whether each job was delivered is the delivery queue's record, joined on
-- the report (delivery_jobs.record_kind = 'report').
CREATE TABLE report_deliveries (
    id         @id,
    report_id  BIGINT NOT NULL REFERENCES reports (id),
    org_id     BIGINT NOT NULL REFERENCES organisations (id),
    notice_id  BIGINT NOT NULL,
    emails     TEXT NOT NULL,
    webhooks   INTEGER NOT NULL,
    repeated   BOOLEAN NOT NULL,
    queued_at  @time NOT NULL
);
CREATE INDEX report_deliveries_by_report ON report_deliveries (report_id);

--sqlite:CREATE TRIGGER portfolio_snapshot_months_no_update BEFORE UPDATE ON portfolio_snapshot_months BEGIN SELECT RAISE(ABORT, 'portfolio snapshots are written once'); END;
--sqlite:CREATE TRIGGER portfolio_snapshot_months_no_delete BEFORE DELETE ON portfolio_snapshot_months BEGIN SELECT RAISE(ABORT, 'portfolio snapshots are written once'); END;
--sqlite:CREATE TRIGGER portfolio_snapshots_no_update BEFORE UPDATE ON portfolio_snapshots BEGIN SELECT RAISE(ABORT, 'portfolio snapshots are written once'); END;
--sqlite:CREATE TRIGGER portfolio_snapshots_no_delete BEFORE DELETE ON portfolio_snapshots BEGIN SELECT RAISE(ABORT, 'portfolio snapshots are written once'); END;
--sqlite:CREATE TRIGGER report_runs_no_update BEFORE UPDATE ON report_runs BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;
--sqlite:CREATE TRIGGER report_runs_no_delete BEFORE DELETE ON report_runs BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;
--sqlite:CREATE TRIGGER reports_no_update BEFORE UPDATE ON reports BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;
--sqlite:CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;
--sqlite:CREATE TRIGGER report_files_no_update BEFORE UPDATE ON report_files BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;
--sqlite:CREATE TRIGGER report_files_no_delete BEFORE DELETE ON report_files BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;
--sqlite:CREATE TRIGGER report_deliveries_no_update BEFORE UPDATE ON report_deliveries BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;
--sqlite:CREATE TRIGGER report_deliveries_no_delete BEFORE DELETE ON report_deliveries BEGIN SELECT RAISE(ABORT, 'reports are written once'); END;

--postgres:CREATE FUNCTION reports_written_once() RETURNS trigger LANGUAGE plpgsql AS $$
--postgres:BEGIN
--postgres:    RAISE EXCEPTION '% rows are written once', TG_TABLE_NAME USING ERRCODE = 'raise_exception';
--postgres:END;
--postgres:$$;
--postgres:CREATE TRIGGER portfolio_snapshot_months_written_once BEFORE UPDATE OR DELETE OR TRUNCATE ON portfolio_snapshot_months FOR EACH STATEMENT EXECUTE FUNCTION reports_written_once();
--postgres:CREATE TRIGGER portfolio_snapshots_written_once BEFORE UPDATE OR DELETE OR TRUNCATE ON portfolio_snapshots FOR EACH STATEMENT EXECUTE FUNCTION reports_written_once();
--postgres:CREATE TRIGGER report_runs_written_once BEFORE UPDATE OR DELETE OR TRUNCATE ON report_runs FOR EACH STATEMENT EXECUTE FUNCTION reports_written_once();
--postgres:CREATE TRIGGER reports_written_once BEFORE UPDATE OR DELETE OR TRUNCATE ON reports FOR EACH STATEMENT EXECUTE FUNCTION reports_written_once();
--postgres:CREATE TRIGGER report_files_written_once BEFORE UPDATE OR DELETE OR TRUNCATE ON report_files FOR EACH STATEMENT EXECUTE FUNCTION reports_written_once();
--postgres:CREATE TRIGGER report_deliveries_written_once BEFORE UPDATE OR DELETE OR TRUNCATE ON report_deliveries FOR EACH STATEMENT EXECUTE FUNCTION reports_written_once();
