-- Single-Device changes of supplier that take a Device from a Supplier. The
-- gaining-Supplier model lets any Supplier claim a Device by its ID; these
-- rows let the losing Supplier be told once a day (not once a Device) and
-- bound how many of other Suppliers' Devices one Supplier claims a day
-- through the single-Device route (bulk moves go through churn files, whose
-- losers are told once per file). Owned by internal/estate.
CREATE TABLE estate_claims (
    id          @id,
    day         DATE NOT NULL,   -- the UK day the claim was made
    claimant_id BIGINT,          -- the Supplier that claimed for itself; NULL for the SSC or the system
    gainer_id   BIGINT NOT NULL REFERENCES organisations (id),
    loser_id    BIGINT NOT NULL REFERENCES organisations (id),
    device_id   BIGINT NOT NULL,
    effective   DATE NOT NULL,
    notified    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  @time NOT NULL
);
CREATE INDEX estate_claims_by_claimant ON estate_claims (claimant_id, day);
CREATE INDEX estate_claims_to_notify ON estate_claims (notified, day, loser_id);
