package estate_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/generate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

var sys = access.SystemCaller("test")

// world is a generated world: its files' records (headers dropped).
type world struct {
	dir                string
	sum                generate.Summary
	devices, churnRows [][]string
}

func genWorld(t testing.TB, n int64) *world {
	t.Helper()
	dir := t.TempDir()
	sum, err := generate.Run(context.Background(), generate.Options{Devices: n, Seed: 7, OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{dir: dir, sum: sum}
	w.devices = readRecords(t, filepath.Join(dir, "devices.csv"))
	w.churnRows = readRecords(t, filepath.Join(dir, "churn.csv"))
	return w
}

func readRecords(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

// loadRefs imports the world's parties and catalogue.
func loadRefs(t testing.TB, db *store.DB, w *world) {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open(filepath.Join(w.dir, "parties.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := (&party.Service{DB: db}).Import(ctx, sys, f); err != nil {
		t.Fatalf("parties: %v", err)
	}
	g, err := os.Open(filepath.Join(w.dir, "catalogue.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if _, err := (&catalogue.Service{DB: db}).Import(ctx, sys, g, catalogue.ImportOptions{}); err != nil {
		t.Fatalf("catalogue: %v", err)
	}
}

func csvFile(header []string, recs [][]string) *bytes.Reader {
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.Write(header)
	cw.WriteAll(recs)
	return bytes.NewReader(b.Bytes())
}

func clone(recs [][]string) [][]string {
	out := make([][]string, len(recs))
	for i, r := range recs {
		out[i] = slices.Clone(r)
	}
	return out
}

func count(t testing.TB, db *store.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func groups(t testing.TB, db *store.DB, q string) map[string]int64 {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := map[string]int64{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var key []string
		for _, v := range vals[:len(vals)-1] {
			key = append(key, normal(v))
		}
		out[strings.Join(key, "|")] += toInt(vals[len(vals)-1])
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func normal(v any) string {
	switch x := v.(type) {
	case []byte:
		return normal(string(x))
	case string:
		var d sec.Date
		if d.Scan(x) == nil && len(x) >= 10 {
			return d.String()
		}
		return x
	}
	var d sec.Date
	if d.Scan(v) == nil {
		return d.String()
	}
	return fmt.Sprint(v)
}

func toInt(v any) int64 {
	var n int64
	fmt.Sscan(normal(v), &n)
	return n
}

// checkAggregates recounts every aggregate from the Devices and their supply
// periods and compares it with what is stored.
func checkAggregates(t testing.TB, db *store.DB) {
	t.Helper()
	for _, c := range []struct{ name, stored, counted string }{
		{"portfolio",
			"SELECT supplier_id, model_id, firmware_id, map_id, generation, device_type, devices FROM portfolio",
			`SELECT d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type, COUNT(*)
			 FROM devices d JOIN device_models m ON m.id = d.model_id WHERE d.status = 'installed' AND d.supplier_id IS NOT NULL
			 GROUP BY d.supplier_id, d.model_id, d.firmware_id, COALESCE(d.map_id, 0), m.generation, m.device_type`},
		{"portfolio_inherited",
			"SELECT supplier_id, model_id, map_id, supply_start, devices FROM portfolio_inherited",
			`SELECT d.supplier_id, d.model_id, COALESCE(d.map_id, 0), d.supply_start, COUNT(*)
			 FROM devices d WHERE d.inherited AND d.status = 'installed' AND d.supplier_id IS NOT NULL
			 GROUP BY d.supplier_id, d.model_id, COALESCE(d.map_id, 0), d.supply_start`},
		{"portfolio_enrolled",
			"SELECT supplier_id, model_id, map_id, enrolled_on, inherited_from, devices FROM portfolio_enrolled",
			`SELECT d.supplier_id, d.model_id, COALESCE(d.map_id, 0), COALESCE(d.enrolled_on, '9999-12-31'), CASE WHEN d.inherited THEN d.supply_start ELSE '0001-01-01' END, COUNT(*)
	 FROM devices d JOIN device_models m ON m.id = d.model_id WHERE m.generation = 'SMETS1' AND d.status = 'installed' AND d.supplier_id IS NOT NULL
	 GROUP BY d.supplier_id, d.model_id, COALESCE(d.map_id, 0), COALESCE(d.enrolled_on, '9999-12-31'), CASE WHEN d.inherited THEN d.supply_start ELSE '0001-01-01' END`},
		{"churn_monthly",
			"SELECT month, from_supplier, to_supplier, devices FROM churn_monthly",
			`SELECT p."end", p.supplier_id, COALESCE(n.supplier_id, d.supplier_id), 1
			 FROM supply_periods p JOIN devices d ON d.id = p.device_id
			 LEFT JOIN supply_periods n ON n.device_id = p.device_id AND n.start = p."end"`},
	} {
		stored, counted := groups(t, db, c.stored), groups(t, db, c.counted)
		if c.name == "churn_monthly" {
			byMonth := map[string]int64{}
			for k, v := range counted {
				byMonth[k[:7]+k[10:]] += v
			}
			counted = byMonth
		}
		for k, v := range stored {
			if v == 0 {
				t.Errorf("%s: zero row %s kept", c.name, k)
			}
		}
		if !maps.Equal(stored, counted) {
			for k := range counted {
				if stored[k] != counted[k] {
					t.Errorf("%s %s: stored %d, counted %d", c.name, k, stored[k], counted[k])
				}
			}
			for k := range stored {
				if _, ok := counted[k]; !ok {
					t.Errorf("%s %s: stored %d, counted none", c.name, k, stored[k])
				}
			}
		}
	}
}

func importDevices(t testing.TB, db *store.DB, c access.Caller, recs [][]string) (estate.ImportResult, error) {
	t.Helper()
	return estate.NewService(db).ImportDevices(context.Background(), c, csvFile(estate.DeviceHeader, recs), estate.ImportOptions{})
}

func importChurn(t testing.TB, db *store.DB, c access.Caller, recs [][]string) (estate.ChurnResult, error) {
	t.Helper()
	return estate.NewService(db).ImportChurn(context.Background(), c, csvFile(estate.ChurnHeader, recs), estate.ImportOptions{})
}

// problems returns the error's field problems as "line field" strings.
func problems(t testing.TB, err error) (*errs.Error, []string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Code != errs.Invalid {
		t.Fatalf("want an Invalid error, got %v", err)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, fmt.Sprintf("%d %s", f.Line, f.Field))
	}
	return e, out
}

func orgID(t testing.TB, db *store.DB, code string) int64 {
	return count(t, db, "SELECT id FROM organisations WHERE code = $1", code)
}

func TestImportDevices(t *testing.T) {
	w := genWorld(t, 400)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadRefs(t, db, w)
		var progress int
		res, err := estate.NewService(db).ImportDevices(context.Background(), sys, csvFile(estate.DeviceHeader, w.devices),
			estate.ImportOptions{Progress: func(rows, bytes int64) { progress++ }})
		if err != nil {
			t.Fatal(err)
		}
		n := int64(len(w.devices))
		if res.Rows != n || res.Created != n || res.Unchanged != 0 || len(res.SHA256) != 64 || progress == 0 {
			t.Fatalf("result %+v, progress %d; want %d created", res, progress, n)
		}
		if got := count(t, db, "SELECT COUNT(*) FROM devices"); got != n {
			t.Fatalf("%d devices, want %d", got, n)
		}
		// The portfolio against the file itself: Devices by supplier.
		want := map[string]int64{}
		for _, r := range w.devices {
			want[r[6]]++
		}
		got := groups(t, db, "SELECT o.code, p.devices FROM portfolio p JOIN organisations o ON o.id = p.supplier_id")
		if !maps.Equal(got, want) {
			t.Fatalf("portfolio by supplier %v, want %v", got, want)
		}
		checkAggregates(t, db)
		if count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'estate.import_devices'") != 1 {
			t.Fatal("no audit record")
		}
		// One Device read back.
		r := w.devices[0]
		id, _ := estate.ParseDeviceID(r[0])
		var sup, start, premises string
		var inherited bool
		if err := db.QueryRowContext(context.Background(), `SELECT o.code, d.supply_start, d.premises, d.inherited FROM devices d
			JOIN organisations o ON o.id = d.supplier_id WHERE d.id = $1`, id.Int64()).Scan(&sup, (*dateText)(&start), &premises, &inherited); err != nil {
			t.Fatal(err)
		}
		if sup != r[6] || start != r[7] || premises != r[9] || inherited {
			t.Fatalf("device %v read back as %s %s %s %v", r, sup, start, premises, inherited)
		}

		// Again: nothing changes.
		before := groups(t, db, "SELECT supplier_id, model_id, firmware_id, map_id, devices FROM portfolio")
		res, err = importDevices(t, db, sys, w.devices)
		if err != nil {
			t.Fatal(err)
		}
		if res.Created != 0 || res.Unchanged != n {
			t.Fatalf("re-import %+v", res)
		}
		if after := groups(t, db, "SELECT supplier_id, model_id, firmware_id, map_id, devices FROM portfolio"); !maps.Equal(before, after) {
			t.Fatalf("re-import changed the portfolio: %v → %v", before, after)
		}
		// An empty file (header only) imports nothing.
		if res, err := importDevices(t, db, sys, nil); err != nil || res.Rows != 0 {
			t.Fatalf("empty file: %+v %v", res, err)
		}
	})
}

type dateText string

func (d *dateText) Scan(v any) error {
	var x sec.Date
	if err := x.Scan(v); err != nil {
		return err
	}
	*d = dateText(x.String())
	return nil
}

// codes finds organisation codes of the world by role.
func codes(w *world) (suppliers, makers, maps_ []string) {
	seen := map[string]bool{}
	for _, r := range w.devices {
		for i, dst := range []*[]string{&makers, &suppliers, &maps_} {
			col := []int{3, 6, 8}[i]
			if r[col] != "" && !seen[r[col]] {
				seen[r[col]] = true
				*dst = append(*dst, r[col])
			}
		}
	}
	slices.Sort(suppliers)
	return
}

func TestImportDevicesRejectsBadRows(t *testing.T) {
	w := genWorld(t, 300)
	sups, makers, mapCodes := codes(w)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadRefs(t, db, w)
		// A Device in the estate already, which the file then gives another
		// model.
		if _, err := importDevices(t, db, sys, w.devices[:1]); err != nil {
			t.Fatal(err)
		}
		recs := clone(w.devices[1:20])
		other := -1 // a row of another model than row 0's
		for i, r := range w.devices {
			if r[4] != w.devices[0][4] && r[1] == w.devices[0][1] {
				other = i
				break
			}
		}
		if other < 0 {
			t.Fatal("no second model of the first row's type")
		}
		// Line n+2 is recs[n] (the header is line 1).
		type bad struct {
			field string
			edit  func(r []string)
		}
		bads := []bad{
			{"device_id", func(r []string) { r[0] = "00-11-22" }},
			{"model", func(r []string) { r[4] = "ZZZZ" }},
			{"firmware", func(r []string) { r[5] = "99.99.99" }},
			{"device_type", func(r []string) {
				if r[1] == "ESME" {
					r[1] = "GSME"
				} else {
					r[1] = "ESME"
				}
			}},
			{"generation", func(r []string) {
				if r[2] == "SMETS1" {
					r[2] = "SMETS2+"
				} else {
					r[2] = "SMETS1"
				}
			}},
			{"supplier", func(r []string) { r[6] = "NOSUCH" }},
			{"supplier", func(r []string) { r[6] = makers[0] }},       // not a Supplier
			{"map", func(r []string) { r[8] = sups[0] }},              // not a MAP
			{"manufacturer", func(r []string) { r[3] = mapCodes[0] }}, // not a manufacturer (nor its model)
			{"supply_start", func(r []string) { r[7] = "2025-02-30" }},
			{"device_id", func(r []string) { copy(r, recs[0]) }},                                  // duplicate of line 2
			{"device_id", func(r []string) { copy(r, w.devices[other]); r[0] = w.devices[0][0] }}, // in the estate as another model
		}
		var want []string
		for i, b := range bads {
			r := recs[i+1]
			b.edit(r)
			want = append(want, fmt.Sprintf("%d %s", i+3, b.field))
		}
		_, err := importDevices(t, db, sys, recs)
		e, got := problems(t, err)
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("missing problem %q in %v", w, e.Fields)
			}
		}
		if t.Failed() {
			t.Logf("%v", e.Fields)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM devices"); n != 1 {
			t.Fatalf("%d devices after a rejected file", n)
		}
		if n := count(t, db, "SELECT SUM(devices) FROM portfolio"); n != 1 {
			t.Fatalf("portfolio counts %d after a rejected file", n)
		}

		// Many problems: the first 100 and a count of the rest.
		many := clone(w.devices[1:151])
		for _, r := range many {
			r[7] = "yesterday"
		}
		_, err = importDevices(t, db, sys, many)
		e, _ = problems(t, err)
		if len(e.Fields) != 100 || e.More != 50 || !strings.Contains(e.Message, "150 problems") || e.Fields[0].Line != 2 {
			t.Fatalf("many problems: %d listed, %d more, %q, first %+v", len(e.Fields), e.More, e.Message, e.Fields[0])
		}

		// Broken CSV and a wrong header.
		_, err = estate.NewService(db).ImportDevices(context.Background(), sys, strings.NewReader(strings.Join(estate.DeviceHeader, ",")+"\n\"oops\n"), estate.ImportOptions{})
		problems(t, err)
		_, err = estate.NewService(db).ImportDevices(context.Background(), sys, strings.NewReader("device_id\n"), estate.ImportOptions{})
		problems(t, err)
	})
}

func TestImportDevicesBySupplier(t *testing.T) {
	w := genWorld(t, 300)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadRefs(t, db, w)
		sup := w.devices[0][6]
		c := access.Caller{UserID: 99, OrgID: orgID(t, db, sup), OrgCode: sup, Roles: []sec.Role{sec.RoleSupplier}}
		_, err := importDevices(t, db, c, w.devices)
		e, _ := problems(t, err)
		if !strings.Contains(e.Fields[0].Message, "not your organisation") {
			t.Fatalf("%v", e.Fields[0])
		}
		var own, ownChurn [][]string
		for _, r := range w.devices {
			if r[6] == sup {
				own = append(own, r)
			}
		}
		res, err := importDevices(t, db, c, own)
		if err != nil || res.Created != int64(len(own)) {
			t.Fatalf("own rows: %+v %v", res, err)
		}
		for _, r := range w.churnRows {
			if r[1] == sup {
				ownChurn = append(ownChurn, r)
			}
		}
		if _, err := importChurn(t, db, c, w.churnRows); err == nil {
			t.Fatal("a Supplier imported others' churn")
		}
		mf := access.Caller{UserID: 98, OrgID: 1, Roles: []sec.Role{sec.RoleManufacturer}}
		if _, err := importDevices(t, db, mf, own); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("manufacturer: %v", err)
		}
		if _, err := importChurn(t, db, mf, ownChurn); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("manufacturer churn: %v", err)
		}
		if _, err := estate.NewService(db).TransferAll(context.Background(), c, estate.Transfer{From: sup, To: sup}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("supplier transfer: %v", err)
		}
	})
}

// A file of new Devices, each once, is inserted without the checks; a file
// with a Device already in the estate or twice in the file goes back to
// them. Each such problem alone, with nothing else wrong, is still found
// with its line, and a file part new and part unchanged counts both parts
// and leaves the aggregates exact.
func TestImportDevicesConflictsAlone(t *testing.T) {
	w := genWorld(t, 300)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadRefs(t, db, w)
		if _, err := importDevices(t, db, sys, w.devices[:10]); err != nil {
			t.Fatal(err)
		}
		unchanged := func(what string) {
			t.Helper()
			if n := count(t, db, "SELECT COUNT(*) FROM devices"); n != 10 {
				t.Fatalf("%s: %d devices after a rejected file", what, n)
			}
			if n := count(t, db, "SELECT SUM(devices) FROM portfolio"); n != 10 {
				t.Fatalf("%s: portfolio counts %d after a rejected file", what, n)
			}
		}

		// Twice in the file: line 12 repeats line 4.
		dup := clone(w.devices[10:20])
		dup = append(dup, slices.Clone(w.devices[12]))
		_, err := importDevices(t, db, sys, dup)
		e, got := problems(t, err)
		if !slices.Equal(got, []string{"12 device_id"}) || !strings.Contains(e.Fields[0].Message, "also on line 4") {
			t.Fatalf("duplicate alone: %v", e.Fields)
		}
		unchanged("duplicate")

		// Already in the estate as another model: line 6.
		other := -1
		for i, r := range w.devices {
			if r[4] != w.devices[0][4] && r[1] == w.devices[0][1] && i >= 20 {
				other = i
				break
			}
		}
		if other < 0 {
			t.Fatal("no second model of the first row's type")
		}
		clash := clone(w.devices[10:20])
		clash[4] = slices.Clone(w.devices[other])
		clash[4][0] = w.devices[0][0]
		_, err = importDevices(t, db, sys, clash)
		e, got = problems(t, err)
		if !slices.Equal(got, []string{"6 device_id"}) || !strings.Contains(e.Fields[0].Message, "already in the estate as") {
			t.Fatalf("clash alone: %v", e.Fields)
		}
		unchanged("clash")

		// Part already there, part new.
		res, err := importDevices(t, db, sys, w.devices[5:30])
		if err != nil || res.Rows != 25 || res.Created != 20 || res.Unchanged != 5 {
			t.Fatalf("part new: %+v %v", res, err)
		}
		if n := count(t, db, "SELECT SUM(devices) FROM portfolio"); n != 30 {
			t.Fatalf("portfolio counts %d, want 30", n)
		}
		checkAggregates(t, db)
	})
}

// seeds/001: v5.20 brought in "User obligations for enrolled SMETS1 Devices".
// Only SMETS1 Devices have an enrolment date: one on a SMETS2+ row is refused,
// naming the line and the field, and nothing is written.
func TestImportDevicesEnrolledOn(t *testing.T) {
	w := genWorld(t, 300)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		loadRefs(t, db, w)
		var s1, s2 []string
		for _, r := range w.devices {
			switch {
			case r[2] == "SMETS1" && s1 == nil:
				s1 = slices.Clone(r)
			case r[2] == "SMETS2+" && s2 == nil:
				s2 = slices.Clone(r)
			}
		}
		s2[10] = "2021-01-01"
		_, err := importDevices(t, db, sys, [][]string{s1, s2})
		e, got := problems(t, err)
		if !slices.Equal(got, []string{"3 enrolled_on"}) || !strings.Contains(e.Fields[0].Message, "only SMETS1 Devices are enrolled") {
			t.Fatalf("problems %v", e.Fields)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM devices"); n != 0 {
			t.Fatalf("%d devices after a rejected file", n)
		}
		// A SMETS1 Device with its date, one without: both load; the
		// enrolled one is counted in portfolio_enrolled.
		s1[10] = "2020-11-16"
		s1b := slices.Clone(s1)
		s1b[0] = "7F-00-00-00-00-00-00-01"
		s1b[10] = ""
		s2[10] = ""
		if _, err := importDevices(t, db, sys, [][]string{s1, s1b, s2}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COALESCE(SUM(devices), 0) FROM portfolio_enrolled WHERE enrolled_on = '2020-11-16'"); n != 1 {
			t.Fatalf("portfolio_enrolled counts %d", n)
		}
		// The one never enrolled is kept under the last possible day, so
		// "not enrolled on d" is one range of the key; the Device itself
		// has no date.
		if n := count(t, db, "SELECT COALESCE(SUM(devices), 0) FROM portfolio_enrolled WHERE enrolled_on = '9999-12-31'"); n != 1 {
			t.Fatalf("never-enrolled SMETS1 counted %d", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM devices WHERE enrolled_on IS NULL"); n != 2 {
			t.Fatalf("%d Devices without an enrolment date, want 2", n)
		}
		id, _ := estate.ParseDeviceID(s1[0])
		d, err := estate.NewService(db).Device(context.Background(), sys, id)
		if err != nil || d.EnrolledOn.String() != "2020-11-16" {
			t.Fatalf("device %+v %v", d, err)
		}
		checkAggregates(t, db)
		// Taken off the wall and put back: it leaves and rejoins its group.
		svc := estate.NewService(db)
		if _, err := svc.SetStatus(context.Background(), sys, id, estate.Removed); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COALESCE(SUM(devices), 0) FROM portfolio_enrolled WHERE enrolled_on = '2020-11-16'"); n != 0 {
			t.Fatalf("a removed Device still counts: %d", n)
		}
		checkAggregates(t, db)
		if _, err := svc.SetStatus(context.Background(), sys, id, estate.Installed); err != nil {
			t.Fatal(err)
		}
		checkAggregates(t, db)
	})
}
