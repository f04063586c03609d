package coverage

import (
	"strings"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestExplain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := handEstate(t, db)
		user := func(org string, role sec.Role) access.Caller {
			var uid int64
			if err := db.Writer().QueryRowContext(f.ctx, `INSERT INTO users (org_id, email, name, password_hash, created_at, password_changed_at)
				VALUES ($1, $2, 'U', 'x', $3, $3) RETURNING id`, f.orgs[org], strings.ToLower(org)+"@x.example", time.Now().UTC()).Scan(&uid); err != nil {
				t.Fatal(err)
			}
			return access.Caller{UserID: uid, OrgID: f.orgs[org], OrgCode: org, Name: org, Roles: []sec.Role{role}, Via: "session"}
		}
		supA, supB, mfa, mapb, mfb, ssc := user("SUPA", sec.RoleSupplier), user("SUPB", sec.RoleSupplier),
			user("MFA", sec.RoleManufacturer), user("MAPB", sec.RoleMAP), user("MFB", sec.RoleManufacturer), user("SSC", sec.RoleSSCMember)
		device := func(supplier, model, start string) string {
			var id int64
			if err := db.QueryRowContext(f.ctx, `SELECT MIN(id) FROM devices WHERE supplier_id = $1 AND model_id = $2 AND supply_start = $3`,
				f.orgs[supplier], f.models[model], start).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return estate.DeviceIDFromInt64(id).String()
		}
		explain := func(c access.Caller, id, d, v string) Explanation {
			t.Helper()
			var dd sec.Date
			if d != "" {
				dd = sec.MustParseDate(d)
			}
			ex, err := f.cov.Explain(f.ctx, c, id, dd, v)
			if err != nil {
				t.Fatalf("explain %s as %s: %v", id, c.Name, err)
			}
			return ex
		}

		// A meter covered directly: both duties the Supplier's, A1 behind it.
		e1 := device("SUPA", "MFA/E1", "2020-05-01")
		ex := explain(supA, e1, "2025-06-15", "")
		if ex.SECVersion.String() != "6.3" || len(ex.Duties) != 2 || ex.Duties[0].Holder != sec.HolderSupplier || ex.Duties[1].Holder != sec.HolderSupplier {
			t.Fatalf("%+v", ex)
		}
		if ex.Supplier == nil || !strings.Contains(ex.Supplier.Label, "SUPA") || ex.Coverage == nil || ex.Coverage.Status != Covered ||
			ex.Coverage.Route != RouteDirect || ex.Coverage.Arrangements[0].Reference != "A1" {
			t.Errorf("coverage %+v %+v", ex.Supplier, ex.Coverage)
		}
		// Its manufacturer sees who operates it (by code) but not how the
		// Supplier is covered.
		ex = explain(mfa, strings.ReplaceAll(e1, "-", ""), "2025-06-15", "")
		if ex.Supplier.Label != "SUPA" || ex.Coverage != nil || !strings.Contains(ex.CoverageNote, "SSC only") {
			t.Errorf("as the manufacturer: %+v %+v %q", ex.Supplier, ex.Coverage, ex.CoverageNote)
		}
		// Strangers do not see the Device at all.
		for _, c := range []access.Caller{supB, mfb, access.Public()} {
			if _, err := f.cov.Explain(f.ctx, c, e1, day, ""); !errs.Is(err, errs.NotFound) {
				t.Errorf("%s: %v", c.Name, err)
			}
		}

		// A SMETS2+ hub is the DCC's; a SMETS1 hub is the DP087 known gap.
		ex = explain(supA, device("SUPA", "MFB/C1", "2021-01-01"), "", "")
		if ex.Date != day || ex.Duties[0].Holder != sec.HolderDCC || ex.Duties[1].Party != "DCC" || ex.Coverage != nil {
			t.Errorf("SMETS2+ hub %+v", ex)
		}
		ex = explain(ssc, device("SUPA", "MFC/H1", "2019-01-01"), "2025-06-15", "")
		if ex.Duties[0].Holder != sec.HolderSupplier || ex.Duties[1].Holder != sec.HolderNoOne || !ex.Duties[1].KnownGap {
			t.Errorf("SMETS1 hub %+v", ex.Duties)
		}
		// The DP087 gap is not "no duty": obligations says whether the
		// Supplier's arrangements cover the Device anyway.
		if ex.Coverage == nil || ex.Coverage.Status != DP087Gap || ex.Coverage.Arranged != "" || !strings.Contains(ex.CoverageNote, "no arrangement of its covers") {
			t.Errorf("SMETS1 hub, no arrangement: %+v %q", ex.Coverage, ex.CoverageNote)
		}
		ex = explain(ssc, device("SUPA", "MFB/GP1", "2019-01-01"), "2025-06-15", "")
		if ex.Coverage == nil || ex.Coverage.Status != DP087Gap || ex.Coverage.Arranged != Covered || ex.Coverage.Route != RouteMAP ||
			!strings.Contains(ex.CoverageNote, "cover this Device anyway") {
			t.Errorf("SMETS1 GPF covered anyway: %+v %q", ex.Coverage, ex.CoverageNote)
		}
		// seeds/001: v5.20 brought in "User obligations for enrolled SMETS1
		// Devices". A SMETS1 meter enrolled on 16 June: no one the day
		// before, the Supplier from that day.
		var late int64
		if err := db.QueryRowContext(f.ctx, `SELECT MIN(id) FROM devices WHERE enrolled_on = '2025-06-16'`).Scan(&late); err != nil {
			t.Fatal(err)
		}
		lateID := estate.DeviceIDFromInt64(late).String()
		ex = explain(ssc, lateID, "2025-06-15", "")
		if ex.Duties[0].Holder != sec.HolderNoOne || ex.Duties[1].Holder != sec.HolderNoOne || ex.Device.EnrolledOn.String() != "2025-06-16" ||
			!strings.Contains(ex.Duties[1].Reason, "enrolled only on 2025-06-16") || ex.Coverage != nil {
			t.Errorf("SMETS1 before its enrolment: %+v %+v", ex.Duties, ex.Coverage)
		}
		ex = explain(ssc, lateID, "2025-06-16", "")
		if ex.Duties[0].Holder != sec.HolderSupplier || ex.Duties[1].Holder != sec.HolderSupplier || ex.Coverage == nil || ex.Coverage.Status != Gap {
			t.Errorf("SMETS1 on its enrolment day: %+v %+v", ex.Duties, ex.Coverage)
		}
		// Under v5.19 (asked for, or in force in 2019) a SMETS1 meter binds no one.
		s1 := device("SUPA", "MFC/S1", "2019-01-01")
		ex = explain(ssc, s1, "2025-06-15", "5.19")
		if ex.SECVersion.String() != "5.19" || ex.Duties[0].Holder != sec.HolderNoOne || !strings.Contains(ex.VersionNote, "v6.3 was in force") {
			t.Errorf("v5.19 asked: %+v", ex)
		}
		ex = explain(ssc, s1, "2019-07-01", "")
		if ex.SECVersion.String() != "5.19" || ex.Duties[1].Holder != sec.HolderNoOne {
			t.Errorf("v5.19 in force: %+v", ex)
		}

		// An inherited meter: in its churn window on 15 June; before its
		// supply began it was another Supplier's.
		inh := device("SUPB", "MFA/E1", "2025-03-01")
		id, _ := estate.ParseDeviceID(inh)
		f.exec(`INSERT INTO supply_periods (device_id, start, "end", supplier_id) VALUES ($1, '2020-01-01', '2025-03-01', $2)`, id.Int64(), f.orgs["SUPA"])
		ex = explain(supB, inh, "2025-06-15", "")
		if !ex.Supplier.Inherited || ex.Coverage == nil || ex.Coverage.Status != Steps || ex.Coverage.Route != RouteChurn || ex.Coverage.Until.String() != "2025-09-01" {
			t.Errorf("inherited %+v %+v", ex.Supplier, ex.Coverage)
		}
		ex = explain(supB, inh, "2025-02-01", "")
		if ex.Supplier == nil || ex.Supplier.Label != "another Supplier" || ex.Supplier.Until.String() != "2025-02-28" || ex.Coverage != nil {
			t.Errorf("SUPB looking at SUPA's time: %+v %+v", ex.Supplier, ex.Coverage)
		}
		if strings.Contains(ex.Duties[0].Party+ex.Duties[1].Party, "SUPA") {
			t.Errorf("SUPA named to SUPB: %+v", ex.Duties)
		}
		ex = explain(mapb, inh, "2025-02-01", "")
		if ex.Supplier.Label != "SUPA" {
			t.Errorf("the MAP sees %q", ex.Supplier.Label)
		}
		ex = explain(ssc, inh, "2025-02-01", "")
		if !strings.Contains(ex.Supplier.Label, "SUPA") || ex.Supplier.Inherited || ex.Coverage == nil || ex.Coverage.Status != Covered || ex.Coverage.Arrangements[0].Reference != "A1" {
			t.Errorf("the SSC: %+v %+v", ex.Supplier, ex.Coverage)
		}
		// Before any supply: no one.
		ex = explain(ssc, inh, "2019-12-31", "")
		if ex.Supplier != nil || ex.Duties[0].Holder != sec.HolderNoOne {
			t.Errorf("before supply: %+v", ex)
		}

		// Bad input.
		for _, c := range []struct {
			id, v, d string
			field    string
		}{
			{"nonsense", "", "2025-06-15", "device_id"},
			{e1, "9.9", "2025-06-15", "sec_version"},
			{e1, "five", "2025-06-15", "sec_version"},
			{e1, "", "2001-01-01", "date"},
		} {
			_, err := f.cov.Explain(f.ctx, ssc, c.id, sec.MustParseDate(c.d), c.v)
			if !errs.Is(err, errs.Invalid) || errs.As(err).Fields[0].Field != c.field {
				t.Errorf("%+v: %v", c, err)
			}
		}
		if _, err := f.cov.Explain(f.ctx, ssc, "00-00-00-00-00-00-00-01", day, ""); !errs.Is(err, errs.NotFound) {
			t.Errorf("unknown device: %v", err)
		}
	})
}
