package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/metersec/metersec/internal/bench"
	"github.com/metersec/metersec/internal/store/storetest"
)

// asBinary makes this test binary act as metersec itself: bench import runs
// "metersec import devices" as a child process (its own peak memory), and
// under test the running program is this binary.
const asBinary = "METERSEC_TEST_AS_BINARY"

func TestMain(m *testing.M) {
	if os.Getenv(asBinary) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// TestBenchImportCommand runs the import benchmark on a small world on each
// engine: the raw load and the import both run, the import creates every
// Device, and estate verify finds the aggregates exact.
func TestBenchImportCommand(t *testing.T) {
	t.Setenv(asBinary, "1")
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Skip("the SQLite baseline needs the sqlite3 shell (Debian package sqlite3), which .ci/run installs")
	}
	dir := t.TempDir()
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			args := []string{"bench", "import", "--devices", "400", "--seed", "3", "--dir", dir, "--again", "--format", "json",
				"--engine", string(engine), "--postgres", os.Getenv(storetest.PostgresEnv)}
			code, out, errOut := run(t, "", nil, args...)
			if code != 0 {
				t.Fatalf("bench import: %d %s %s", code, out, errOut)
			}
			var res bench.ImportResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if res.Created != 400 || !res.Verified || !res.VerifyOK || res.ImportSeconds <= 0 || res.AgainSeconds <= 0 {
				t.Errorf("result %+v", res)
			}
			if res.RawSeconds <= 0 || res.SpeedRatio <= 0 {
				t.Errorf("no raw baseline: %+v", res)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "world-400-3", "devices.csv")); err != nil {
		t.Errorf("the world is not kept for the next run: %v", err)
	}
}
