-- MAP ownership history (issue 13 point 8): the Meter Asset Provider that
-- owns a Device changes, and obligations and coverage on a past day must use
-- the MAP of that day. Kept like supply periods: devices.map_id is the
-- current owner, from map_since; the owners before it are closed periods
-- [start, end) in map_periods. Owned by internal/estate.
--
-- The backfill is the current owner from the earliest day the estate knows
-- of each Device: map_since NULL means exactly that (the start of the
-- Device's first supply period), so no row of the 35 million is rewritten
-- and the devices import writes nothing more. A change of MAP fills
-- map_since in and closes the period before it.
ALTER TABLE devices ADD COLUMN map_since DATE;

-- map_id NULL: the Device had no MAP in the period.
CREATE TABLE map_periods (
    device_id BIGINT NOT NULL,
    start     DATE NOT NULL,
    "end"     DATE NOT NULL,
    map_id    BIGINT,
    PRIMARY KEY (device_id, start)
);
