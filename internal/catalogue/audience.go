package catalogue

import "github.com/metersec/metersec/internal/audience"

// A model's audience (who an AMBER model names beyond its manufacturer, set by
// the SSC) lives in the shared audience tables under KindModel.
func init() {
	audience.Kinds[KindModel] = audience.Kind{Table: "device_models", OrgColumns: []string{"r.manufacturer_id"}}
}
