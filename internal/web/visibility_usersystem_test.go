package web_test

import (
	"context"
	"slices"

	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/usersystem"
)

func init() {
	register(map[string]visibilityCase{
		"GET /api/v1/user-systems":      {calls: one("GET", "/api/v1/user-systems", ""), complete: true, Kind: usersystem.Kind},
		"POST /api/v1/user-systems":     {calls: one("POST", "/api/v1/user-systems", `{"name": "x", "components": []}`)},
		"GET /api/v1/user-systems/{id}": {calls: eachID(usersystem.Kind, "GET", "/api/v1/user-systems/{}?date=2026-01-01", "")},
		"PUT /api/v1/user-systems/{id}/retirement": {calls: eachID(usersystem.Kind, "PUT", "/api/v1/user-systems/{}/retirement",
			`{"in_service_to": "not a day"}`)},
		"PUT /api/v1/user-systems/{id}/components/{manufacturer}/arrangement": {calls: eachID(usersystem.Kind, "PUT",
			"/api/v1/user-systems/{}/components/MANA/arrangement", `{"arrangement": "ANONE"}`)},
		"GET /api/v1/user-system-notifications": {calls: one("GET", "/api/v1/user-system-notifications", "")},
		"POST /api/v1/user-system-notifications/{id}/acknowledgement": {calls: eachID(usersystem.NoticeKind, "POST",
			"/api/v1/user-system-notifications/{}/acknowledgement", "")},
		"GET /user-systems":                                 {calls: one("GET", "/user-systems", ""), complete: true, Kind: usersystem.Kind},
		"POST /user-systems":                                {calls: one("POST", "/user-systems", "name=")},
		"GET /user-systems/{id}":                            {calls: eachID(usersystem.Kind, "GET", "/user-systems/{}", "")},
		"POST /user-systems/{id}/retire":                    {calls: eachID(usersystem.Kind, "POST", "/user-systems/{}/retire", "in_service_to=1999-01-01")},
		"POST /user-systems/{id}/arrangement":               {calls: eachID(usersystem.Kind, "POST", "/user-systems/{}/arrangement", "manufacturer=MANA&arrangement=ANONE")},
		"GET /user-systems/notifications":                   {calls: one("GET", "/user-systems/notifications", "")},
		"POST /user-systems/notifications/{id}/acknowledge": {calls: eachID(usersystem.NoticeKind, "POST", "/user-systems/notifications/{}/acknowledge", "")},
	})
	writeNoRecord["POST /api/v1/user-systems"] = "registers a User System of the caller's own organisation (the SSC and secretariat, who see every organisation, for any User)"
	writeNoRecord["POST /user-systems"] = "registers a User System (as the API route)"
	seeders = append(seeders, seedUserSystems)
}

// seedUserSystems registers Supplier A's first User System (RED, by the
// system: it names the SSC members and the secretariat), its second (AMBER:
// Supplier A and the SSC), which notifies the SSC, and its third (RED),
// which does too; and Supplier B's first, RED, registered by Supplier B's
// user, who is named on it.
func seedUserSystems(w *world) {
	ctx := context.Background()
	svc := &usersystem.Service{DB: w.db}
	sscUsers := []int64{w.byRole["ssc"].Caller.UserID, w.byRole["ssc2"].Caller.UserID, w.byRole["secretariat"].Caller.UserID}
	supA, supB := w.byRole["supplierA"].Caller, w.byRole["supplierB"].Caller
	// A RED User System also names the User's people cleared for RED (the
	// world may have one for Supplier A: see seedImpracticable).
	redA := slices.Clone(sscUsers)
	rows, err := w.db.QueryContext(ctx, "SELECT id FROM users WHERE red_cleared AND org_id = $1 AND disabled_at IS NULL ORDER BY id", supA.OrgID)
	if err != nil {
		w.t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			w.t.Fatal(err)
		}
		redA = append(redA, id)
	}
	rows.Close()
	for _, s := range []struct {
		key   string
		user  string
		class sec.Classification
		by    *viewer
		aud   sec.Audience
	}{
		{"US1", "SUPA", sec.Red, nil, sec.Audience{Orgs: []int64{supA.OrgID}, Users: redA}},
		{"US2", "SUPA", sec.Amber, nil, sec.Audience{Orgs: []int64{supA.OrgID}, Users: sscUsers}},
		{"US3", "SUPA", sec.Red, nil, sec.Audience{Orgs: []int64{supA.OrgID}, Users: redA}},
		{"US4", "", sec.Red, w.byRole["supplierB"], sec.Audience{Orgs: []int64{supB.OrgID}, Users: append([]int64{supB.UserID}, sscUsers...)}},
	} {
		c := w.sys
		if s.by != nil {
			c = s.by.Caller
		}
		sys, err := svc.Create(ctx, c, usersystem.Input{User: s.user, Name: "System " + marker(usersystem.Kind, s.key), InServiceFrom: "2025-01-01",
			Classification: string(s.class), Components: []usersystem.ComponentInput{{Manufacturer: "MANA", Supplies: "software"}}})
		if err != nil {
			w.t.Fatal(err)
		}
		w.addRecord(usersystem.Kind, s.key, s.class, s.aud)
		w.setID(marker(usersystem.Kind, s.key), sys.ID)
		if n := sys.Notification; n != nil {
			// The notification shows only the system's name: it carries
			// the system's marker, under the same marking and audience.
			w.addRecord(usersystem.NoticeKind, s.key, s.class, s.aud)
			w.setID(marker(usersystem.NoticeKind, s.key), n.ID)
		}
	}
}
