-- Standing items the SSC reviews at every meeting (internal/meeting):
-- security incidents reported by a party, anomaly detection threshold
-- reports and shared resource notifications. Each is a classified record:
-- AMBER by default (the party it concerns and the SSC).
CREATE TABLE standing_items (
    id             @id,
    kind           TEXT NOT NULL CHECK (kind IN ('security_incident', 'anomaly_detection', 'shared_resource')),
    party_id       BIGINT REFERENCES organisations (id),
    title          TEXT NOT NULL,
    what           TEXT NOT NULL DEFAULT '',
    occurred_on    DATE NOT NULL,
    impact         TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    classification TEXT NOT NULL CHECK (classification IN ('WHITE', 'GREEN', 'AMBER', 'RED')),
    reported_at    @time NOT NULL,
    reported_by    TEXT NOT NULL,
    closed_at      @time
);
CREATE INDEX standing_items_by_status ON standing_items (status, occurred_on);
CREATE INDEX standing_items_by_party ON standing_items (party_id);
