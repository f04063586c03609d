package arrangement

import "github.com/metersec/metersec/internal/audience"

// Arrangements and their alerts carry audiences in the shared tables: the
// SSC may name further organisations on an AMBER arrangement beyond its
// parties (the organisation columns), and an alert's recipient is its
// organisation.
func init() {
	audience.Kinds[RecordKind] = audience.Kind{Table: "arrangements", OrgColumns: []string{"r.supplier_id", "r.map_id", "r.manufacturer_id"}}
	audience.Kinds[AlertKind] = audience.Kind{Table: "arrangement_alerts", OrgColumns: []string{"r.org_id"}}
}
