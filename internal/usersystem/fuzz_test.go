package usersystem_test

import (
	"encoding/json"
	"testing"

	"github.com/metersec/metersec/internal/usersystem"
)

// FuzzCheckShape drives the checks of a User System as submitted (the JSON
// body of the API, the form's fields): no input may panic, and an input
// accepted has a name, a first day and at least one manufacturer.
func FuzzCheckShape(f *testing.F) {
	for _, s := range []string{
		`{"name": "Head-end system", "in_service_from": "2026-01-01", "components": [{"manufacturer": "MANA", "supplies": "software"}]}`,
		`{"name": "x", "in_service_from": "2026-01-02", "in_service_to": "2026-01-01", "components": []}`,
		`{"name": "", "classification": "TLP:CLEAR", "components": [{"manufacturer": "a"}, {"manufacturer": "A"}]}`,
		`{"name": "\u0000", "in_service_from": "2026-02-30", "components": [{"manufacturer": " ", "supplies": "wetware", "arrangement": "X"}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in usersystem.Input
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		if fields := usersystem.ShapeErrors(in); len(fields) == 0 {
			if in.Name == "" || in.InServiceFrom == "" || len(in.Components) == 0 {
				t.Errorf("accepted %+v", in)
			}
		}
	})
}
