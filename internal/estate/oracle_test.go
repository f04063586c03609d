package estate

import (
	"reflect"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

const devicesHeader = "device_id,device_type,generation,manufacturer,model,firmware,supplier,supply_start,map,premises\n"

// TestDatesOutOfRangeAreRefused: a supply start in 2999 was accepted. Every
// date a caller gives the estate lies within the Limits, checked on both
// sides of both bounds (the fixture's today is 2025-06-15, so the last day
// ahead is 2026-06-16), naming the field and, in files, the line.
func TestDatesOutOfRangeAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ssc := f.callers["SSC"]
		row := func(id, start string) string {
			return id + ",ESME,SMETS2+,MFA,E1,1.0,SUPA," + start + ",,domestic\n"
		}
		_, err := f.svc.ImportDevices(f.ctx, ssc, strings.NewReader(devicesHeader+
			row("00AA000000000001", "2999-01-01")+row("00AA000000000002", "2010-12-31")+
			row("00AA000000000003", "2011-01-01")+row("00AA000000000004", "2026-06-16")+
			row("00AA000000000005", "2026-06-17")), ImportOptions{})
		e := errs.As(err)
		want := []errs.Field{
			{Line: 2, Field: "supply_start", Message: `"2999-01-01": 2999-01-01 is more than 366 days after today (2025-06-15): the latest day accepted is 2026-06-16`},
			{Line: 3, Field: "supply_start", Message: `"2010-12-31": 2010-12-31 is before 2011-01-01, the earliest day the estate records`},
			{Line: 6, Field: "supply_start", Message: `"2026-06-17": 2026-06-17 is more than 366 days after today (2025-06-15): the latest day accepted is 2026-06-16`},
		}
		if e.Code != errs.Invalid || !reflect.DeepEqual(e.Fields, want) {
			t.Errorf("devices: %v\nwant %+v", err, want)
		}
		if n := rows(t, db, "SELECT COUNT(*) FROM devices"); n != 5 {
			t.Errorf("%d devices after a refused file, want the fixture's 5", n)
		}

		_, err = f.svc.ImportChurn(f.ctx, ssc, strings.NewReader("device_id,new_supplier,effective_date\n"+
			d2.String()+",SUPA,2999-01-01\n"+d3.String()+",SUPA,2026-06-16\n"), ImportOptions{})
		if e := errs.As(err); len(e.Fields) != 1 || e.Fields[0].Line != 2 || e.Fields[0].Field != "effective_date" {
			t.Errorf("churn: %v", err)
		}
		_, err = f.svc.ChangeSupplier(f.ctx, ssc, Change{DeviceID: d2, NewSupplier: "SUPA", Effective: sec.MustParseDate("2999-01-01")})
		if e := errs.As(err); e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "effective_date" {
			t.Errorf("change of supplier: %v", err)
		}
		_, err = f.svc.UpgradeFirmware(f.ctx, ssc, d2, "1.0", sec.MustParseDate("2999-01-01"))
		if e := errs.As(err); e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "since" {
			t.Errorf("firmware: %v", err)
		}
		_, err = f.svc.TransferAll(f.ctx, ssc, Transfer{From: "SUPB", To: "SUPA", Effective: sec.MustParseDate("2999-01-01")})
		if e := errs.As(err); e.Code != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "effective_date" {
			t.Errorf("transfer: %v", err)
		}
		if n := rows(t, db, "SELECT COUNT(*) FROM supply_periods"); n != 3 {
			t.Errorf("%d supply periods after refused changes, want the fixture's 3", n)
		}
		// The bounds are settings.
		f.svc.Limits = Limits{Earliest: sec.NewDate(2011, 1, 1), DaysAhead: 0, ClaimsPerDay: 50}
		if _, err := f.svc.ChangeSupplier(f.ctx, ssc, Change{DeviceID: d2, NewSupplier: "SUPA", Effective: sec.MustParseDate("2025-06-16")}); !errs.Is(err, errs.Invalid) {
			t.Errorf("tomorrow with no days ahead: %v", err)
		}
		if _, err := f.svc.ChangeSupplier(f.ctx, ssc, Change{DeviceID: d2, NewSupplier: "SUPA", Effective: sec.MustParseDate("2025-06-15")}); err != nil {
			t.Errorf("today with no days ahead: %v", err)
		}
	})
}

// TestInvisibleDevicesAnswerAsMissing: a claim dated before the supply start
// of a Device the caller could not see told it that supply start, and a
// devices import counted another Supplier's Device as Unchanged (or named
// the model it is in the estate as). Now every failing answer about a Device
// the caller may not see is the answer for a Device that does not exist, in
// code, message, fields and count.
func TestInvisibleDevicesAnswerAsMissing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		supA := f.callers["SUPA"]
		missing := DeviceID(0x00BB000000000001)
		same := func(a, b error, idA, idB DeviceID) {
			t.Helper()
			ea, eb := errs.As(a), errs.As(b)
			// The only difference allowed is the ID the caller sent.
			norm := func(e *errs.Error, id DeviceID) string {
				return strings.ReplaceAll(e.Error(), id.String(), "ID") + "|" + string(e.Code)
			}
			if a == nil || norm(ea, idA) != norm(eb, idB) {
				t.Errorf("answers differ:\n  invisible: %v\n  missing:   %v", a, b)
			}
		}
		// d2 is SUPB's since 2021-01-01: SUPA claims it for a day before
		// that, and the same for a Device that does not exist.
		for _, day := range []string{"2020-06-01", "2021-01-01"} {
			ch := Change{NewSupplier: "SUPA", Effective: sec.MustParseDate(day)}
			ch.DeviceID = d2
			_, errInvisible := f.svc.ChangeSupplier(f.ctx, supA, ch)
			ch.DeviceID = missing
			_, errMissing := f.svc.ChangeSupplier(f.ctx, supA, ch)
			same(errInvisible, errMissing, d2, missing)
			if strings.Contains(errInvisible.Error(), "2021-01-01") && day != "2021-01-01" {
				t.Errorf("the answer shows the supply start: %v", errInvisible)
			}

			file := func(id DeviceID) string {
				return "device_id,new_supplier,effective_date\n" + id.String() + ",SUPA," + day + "\n" + id.String() + ",SUPA,2025-01-01\n"
			}
			_, errInvisible = f.svc.ImportChurn(f.ctx, supA, strings.NewReader(file(d2)), ImportOptions{})
			_, errMissing = f.svc.ImportChurn(f.ctx, supA, strings.NewReader(file(missing)), ImportOptions{})
			same(errInvisible, errMissing, d2, missing)
		}
		if n := rows(t, db, "SELECT COUNT(*) FROM supply_periods"); n != 3 {
			t.Errorf("%d supply periods after refused claims, want the fixture's 3", n)
		}

		// A devices import naming d2 (SUPB's, model E1 firmware 1.1) as
		// SUPA's: as the estate has it, and as another model. Both answers
		// are the same refusal; neither counts it Unchanged nor names the
		// model.
		_, errSame := f.svc.ImportDevices(f.ctx, supA, strings.NewReader(devicesHeader+
			d2.String()+",ESME,SMETS2+,MFA,E1,1.1,SUPA,2021-01-01,,domestic\n"), ImportOptions{})
		_, errOther := f.svc.ImportDevices(f.ctx, supA, strings.NewReader(devicesHeader+
			d2.String()+",CHF,SMETS2+,MFB,C1,1.0,SUPA,2021-01-01,,domestic\n"), ImportOptions{})
		if errSame == nil || errOther == nil || errSame.Error() != errOther.Error() || strings.Contains(errOther.Error(), "E1") {
			t.Errorf("devices import of another Supplier's Device:\n  as it is: %v\n  as another model: %v", errSame, errOther)
		}
		// The SSC, which sees every Device, is told as before.
		res, err := f.svc.ImportDevices(f.ctx, f.callers["SSC"], strings.NewReader(devicesHeader+
			d2.String()+",ESME,SMETS2+,MFA,E1,1.1,SUPB,2021-01-01,,domestic\n"), ImportOptions{})
		if err != nil || res.Unchanged != 1 {
			t.Errorf("the SSC re-importing a Device: %+v %v", res, err)
		}
	})
}

// rows counts with a query.
func rows(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
