package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEstateCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "m.db")
	parties := filepath.Join(dir, "parties.csv")
	os.WriteFile(parties, []byte("code,name,roles,contact_name,contact_email,contact_phone\n"+
		"SUPX,Supplier X,large_supplier,Sam,sam@supx.example,\nSUPY,Supplier Y,small_supplier,Sue,sue@supy.example,\n"+
		"MFRX,Maker X,manufacturer,Mo,mo@mfrx.example,\nMAPX,Meters X,map,Max,max@mapx.example,\n"), 0o600)
	for _, args := range [][]string{{"migrate", "--db", db}, {"import", "parties", parties, "--db", db}} {
		if code, out, errOut := run(t, "", nil, args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errOut)
		}
	}
	raw, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for _, q := range []string{
		`INSERT INTO device_models (manufacturer_id, code, name, device_type, generation, created_at, updated_at)
		 SELECT id, 'E1', 'Meter', 'ESME', 'SMETS2+', '2025-01-01', '2025-01-01' FROM organisations WHERE code = 'MFRX'`,
		`INSERT INTO firmware_versions (model_id, version, created_at, updated_at) SELECT id, '1.0', '2025-01-01', '2025-01-01' FROM device_models`,
		`INSERT INTO devices (id, model_id, firmware_id, map_id, premises, status, supplier_id, supply_start, inherited, firmware_since)
		 SELECT 7, m.id, f.id, (SELECT id FROM organisations WHERE code = 'MAPX'), 'domestic', 'installed',
		        (SELECT id FROM organisations WHERE code = 'SUPX'), '2024-03-01', TRUE, '2020-01-01'
		 FROM device_models m JOIN firmware_versions f ON f.model_id = m.id`,
		`INSERT INTO supply_periods (device_id, start, "end", supplier_id) SELECT 7, '2020-01-01', '2024-03-01', id FROM organisations WHERE code = 'SUPY'`,
		`INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
		 SELECT supplier_id, model_id, firmware_id, map_id, 'SMETS2+', 'ESME', 1 FROM devices`,
		`INSERT INTO portfolio_inherited (supplier_id, model_id, map_id, supply_start, devices)
		 SELECT supplier_id, model_id, map_id, supply_start, 1 FROM devices`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const id = "00-00-00-00-00-00-00-07"
	for _, tc := range []struct {
		args []string
		code int
		out  []string
	}{
		{[]string{"estate", "verify"}, 0, []string{"1 installed Devices in 1 portfolio groups", "match the Devices"}},
		{[]string{"estate", "show", "0000000000000007"}, 0, []string{id, "MFRX/E1", "SUPX since 2024-03-01 (inherited", "SUPY", "2020-01-01", "2024-03-01"}},
		{[]string{"estate", "show", id, "--date", "2024-02-29"}, 0, []string{"was SUPY (from 2020-01-01 until 2024-03-01)"}},
		{[]string{"estate", "show", id, "--date", "2024-03-01", "--format", "json"}, 0, []string{`"supplier": "SUPX"`, `"device_id": "` + id + `"`}},
		{[]string{"estate", "portfolio", "--supplier", "SUPX"}, 0, []string{"SUPX", "MFRX", "E1", "1.0", "MAPX", "1 groups, 1 Devices"}},
		{[]string{"estate", "portfolio", "--manufacturer", "NOPE", "--format", "json"}, 0, []string{"[]"}},
	} {
		code, out, errOut := run(t, "", nil, append(tc.args, "--db", db)...)
		if code != tc.code {
			t.Errorf("%v: exit %d, %q %q", tc.args, code, out, errOut)
			continue
		}
		for _, s := range tc.out {
			if !strings.Contains(out, s) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, s, out)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"estate", "show", "00-00-00"}, 2, "device id \"00-00-00\" has 8 characters"},
		{[]string{"estate", "show"}, 2, "one DEVICE_ID"},
		{[]string{"estate", "show", "0000000000000008"}, 1, "no Device with that ID that you may see"},
		{[]string{"estate", "show", id, "--date", "2019-12-31"}, 1, "first supply period began on 2020-01-01"},
		{[]string{"estate", "show", id, "--date", "31/12/2019"}, 2, "--date"},
	} {
		code, _, errOut := run(t, "", nil, append(tc.args, "--db", db)...)
		if code != tc.code || !strings.Contains(errOut, tc.err) {
			t.Errorf("%v: exit %d %q, want %d and %q", tc.args, code, errOut, tc.code, tc.err)
		}
	}
	// Tampering shows as drift and exit status 1.
	if _, err := raw.Exec("UPDATE portfolio SET devices = 3"); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", nil, "estate", "verify", "--db", db)
	if code != 1 || !strings.Contains(out, "portfolio: 1 groups drifted") || !strings.Contains(out, "SUPX") || !strings.Contains(out, "MFRX/E1") ||
		!strings.Contains(errOut, "drifted") {
		t.Errorf("verify after tampering: %d %q %q", code, out, errOut)
	}
}
