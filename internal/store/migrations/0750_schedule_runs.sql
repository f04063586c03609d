-- One row per run of a scheduled task (internal/schedule): the task and the
-- slot (its start time rounded down to its interval) are the key, so with
-- several servers on one database each slot of each task runs once, on
-- whichever server claims it first. finished_at stays empty while it runs
-- (or if its server died); error holds why a run failed.
CREATE TABLE schedule_runs (
    task        TEXT NOT NULL,
    slot        @time NOT NULL,
    holder      TEXT NOT NULL,
    started_at  @time NOT NULL,
    finished_at @time,
    error       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (task, slot)
);
