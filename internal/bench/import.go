package bench

// The import benchmark: a generated devices file loaded by the engine's own
// fastest means and by `metersec import devices`, in the same run, on the
// same file, so the ratio of the two is a figure a shared machine cannot
// spoil.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/generate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
)

// ImportOptions say what to load where.
type ImportOptions struct {
	Devices int64  // rows of the generated devices file
	Seed    uint64 // the generated world
	Dir     string // where the world is generated (and reused) and SQLite's files go
	// Engine is "sqlite" or "postgres"; Postgres is the server's URL for
	// the latter (each run makes its own schemas and drops them).
	Engine   string
	Postgres string
	// Binary is the metersec that runs the import, as a child process so its
	// peak memory is its own (the running program when empty).
	Binary string
	Raw    bool // also run the raw baseline (the point of the benchmark)
	Again  bool // also import the file a second time, into the populated estate
	Verify bool // recount the aggregates after the import (estate verify)
	Keep   bool // keep the loaded databases (SQLite files, PostgreSQL schemas)
	// Profile, when set, is a directory where the first import writes its
	// CPU profile (import-ENGINE-N.pprof) and its phases, as it reports
	// them on standard error (import-ENGINE-N.log).
	Profile string

	Progress func(step string)
}

// ImportResult is what a run measured. Seconds are wall time; memory is the
// peak resident set of the process that did the work.
type ImportResult struct {
	Engine  string  `json:"engine"`
	Devices int64   `json:"devices"`
	FileMB  float64 `json:"file_mb"`
	LoadAvg float64 `json:"load_average_1m"`

	RawMethod     string  `json:"raw_method,omitempty"`
	RawSeconds    float64 `json:"raw_seconds,omitempty"`
	RawPeakRSSMB  float64 `json:"raw_peak_rss_mb,omitempty"` // the sqlite3 shell; PostgreSQL's work is the server's
	ImportSeconds float64 `json:"import_seconds"`
	ImportPeakMB  float64 `json:"import_peak_rss_mb"`
	// CPU seconds (user and system) of the sqlite3 shell and of the import's
	// process: on a machine shared with many others, wall time mostly
	// measures the waiting, and on SQLite, where the engine runs in the
	// process, CPU time is the work itself. (On PostgreSQL the server's CPU
	// is not counted: compare wall times there.)
	RawCPUSeconds    float64 `json:"raw_cpu_seconds,omitempty"`
	ImportCPUSeconds float64 `json:"import_cpu_seconds"`
	CPURatio         float64 `json:"cpu_ratio,omitempty"`
	Created          int64   `json:"created"`
	// SpeedRatio is the raw load's time over the import's: the import's
	// speed as a share of the raw engine's (the target is at least 0.5).
	SpeedRatio float64 `json:"speed_ratio,omitempty"`

	AgainSeconds float64 `json:"again_seconds,omitempty"`
	AgainPeakMB  float64 `json:"again_peak_rss_mb,omitempty"`

	Verified     bool    `json:"verified"`
	VerifyOK     bool    `json:"aggregates_exact"`
	VerifyGroups int64   `json:"portfolio_groups,omitempty"`
	VerifySecs   float64 `json:"verify_seconds,omitempty"`
	LoadAvgAfter float64 `json:"load_average_1m_after"`
}

// RunImport generates (or reuses) the world, runs the raw baseline and the
// import on the engine, and reports both.
func RunImport(ctx context.Context, o ImportOptions) (ImportResult, error) {
	if o.Devices <= 0 {
		return ImportResult{}, errs.FieldError("devices", "must be at least 1")
	}
	if o.Engine != "sqlite" && o.Engine != "postgres" {
		return ImportResult{}, errs.FieldError("engine", "is sqlite or postgres, not %q", o.Engine)
	}
	if o.Engine == "postgres" && o.Postgres == "" {
		return ImportResult{}, errs.FieldError("postgres", "the PostgreSQL server's URL is needed for --engine postgres")
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return ImportResult{}, err
		}
		o.Binary = exe
	}
	world := filepath.Join(o.Dir, fmt.Sprintf("world-%d-%d", o.Devices, o.Seed))
	if err := ensureWorld(ctx, world, o); err != nil {
		return ImportResult{}, err
	}
	file := filepath.Join(world, "devices.csv")
	st, err := os.Stat(file)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Engine: o.Engine, Devices: o.Devices, FileMB: float64(st.Size()) / 1e6, LoadAvg: loadAverage()}
	// Read the file once so neither contender pays for the first read.
	if err := warm(file); err != nil {
		return res, err
	}

	if o.Raw {
		o.Progress("raw baseline")
		if err := rawLoad(ctx, o, world, file, &res); err != nil {
			return res, fmt.Errorf("raw baseline: %w", err)
		}
	}

	dsn, drop, err := emptyEstate(ctx, o, world)
	if err != nil {
		return res, err
	}
	if !o.Keep {
		defer drop()
	}
	o.Progress("metersec import devices")
	args := []string{"import", "devices", "--db", dsn, "--format", "json"}
	var log io.Writer // nil, not a nil *os.File, without a profile
	if o.Profile != "" {
		base := filepath.Join(o.Profile, fmt.Sprintf("import-%s-%d", o.Engine, o.Devices))
		f, err := os.Create(base + ".log")
		if err != nil {
			return res, err
		}
		defer f.Close()
		log = f
		args = append(args, "--cpuprofile", base+".pprof")
	}
	secs, peak, cpu, out, err := runChildLog(ctx, log, o.Binary, append(args, file)...)
	if err != nil {
		return res, fmt.Errorf("import devices: %w\n%s", err, out)
	}
	res.ImportCPUSeconds = cpu
	if res.RawCPUSeconds > 0 && cpu > 0 {
		res.CPURatio = res.RawCPUSeconds / cpu
	}
	var ir estate.ImportResult
	if err := json.Unmarshal(out, &ir); err != nil {
		return res, fmt.Errorf("import devices answered %q: %w", out, err)
	}
	res.ImportSeconds, res.ImportPeakMB, res.Created = secs, peak, ir.Created
	if res.RawSeconds > 0 {
		res.SpeedRatio = res.RawSeconds / res.ImportSeconds
	}
	if o.Again {
		o.Progress("metersec import devices, again (populated estate)")
		secs, peak, _, out, err := runChild(ctx, o.Binary, "import", "devices", "--db", dsn, "--format", "json", file)
		if err != nil {
			return res, fmt.Errorf("import devices again: %w\n%s", err, out)
		}
		res.AgainSeconds, res.AgainPeakMB = secs, peak
	}
	if o.Verify {
		o.Progress("estate verify")
		db, err := store.Open(ctx, dsn)
		if err != nil {
			return res, err
		}
		t0 := time.Now()
		rep, err := estate.NewService(db).Verify(ctx, access.SystemCaller("bench import: estate verify"))
		db.Close()
		if err != nil {
			return res, err
		}
		res.Verified, res.VerifyOK, res.VerifyGroups, res.VerifySecs = true, rep.OK() && rep.Devices == res.Created, rep.Groups, time.Since(t0).Seconds()
	}
	res.LoadAvgAfter = loadAverage()
	return res, nil
}

// ensureWorld generates the world unless the directory already holds it.
func ensureWorld(ctx context.Context, dir string, o ImportOptions) error {
	if _, err := os.Stat(filepath.Join(dir, "devices.csv")); err == nil {
		return nil
	}
	o.Progress(fmt.Sprintf("generating %d Devices into %s", o.Devices, dir))
	tmp := dir + ".partial"
	os.RemoveAll(tmp)
	if _, err := generate.Run(ctx, generate.Options{Devices: o.Devices, Seed: o.Seed, OutDir: tmp}); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

func warm(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for {
		if _, err := f.Read(buf); err != nil {
			return nil
		}
	}
}

// header is the devices file's first line, as the raw table's columns.
func header(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return csv.NewReader(f).Read()
}

// rawLoad is the least the engine can do with the file: on SQLite the
// sqlite3 shell's .import into a bare table, then the unique index on the
// Device ID; on PostgreSQL COPY … FROM STDIN (FORMAT csv), as psql's \copy
// sends it, into a bare table, then the primary key, in one transaction.
func rawLoad(ctx context.Context, o ImportOptions, world, file string, res *ImportResult) error {
	cols, err := header(file)
	if err != nil {
		return err
	}
	if o.Engine == "sqlite" {
		shell, err := exec.LookPath("sqlite3")
		if err != nil {
			return fmt.Errorf("the sqlite3 shell (Debian package sqlite3) is needed for the baseline: %w", err)
		}
		db := filepath.Join(o.Dir, "bench-raw.db")
		for _, p := range []string{db, db + "-journal", db + "-wal"} {
			os.Remove(p)
		}
		defer func() {
			for _, p := range []string{db, db + "-journal", db + "-wal"} {
				os.Remove(p)
			}
		}()
		script := fmt.Sprintf("CREATE TABLE raw (%s TEXT);\n.import --csv --skip 1 '%s' raw\nCREATE UNIQUE INDEX raw_by_id ON raw (%s);\n",
			strings.Join(cols, " TEXT, "), file, cols[0])
		cmd := exec.CommandContext(ctx, shell, "-bail", db)
		cmd.Stdin = strings.NewReader(script)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		t0 := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%w: %s", err, out.String())
		}
		res.RawSeconds = time.Since(t0).Seconds()
		res.RawPeakRSSMB = peakRSSMB(cmd.ProcessState)
		res.RawCPUSeconds = cpuSeconds(cmd.ProcessState)
		res.RawMethod = "sqlite3 .import into a bare table, then CREATE UNIQUE INDEX"
		return nil
	}
	conn, err := pgx.Connect(ctx, o.Postgres)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	schema := "bench_raw_" + randomHex()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return err
	}
	defer conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	t0 := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	table := schema + ".raw"
	if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE TABLE %s (%s TEXT)", table, strings.Join(cols, " TEXT, "))); err != nil {
		return err
	}
	if _, err := tx.Conn().PgConn().CopyFrom(ctx, f, "COPY "+table+" FROM STDIN WITH (FORMAT csv, HEADER true)"); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (%s)", table, cols[0])); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	res.RawSeconds = time.Since(t0).Seconds()
	res.RawMethod = "COPY FROM STDIN (csv) into a bare table, then ADD PRIMARY KEY"
	return nil
}

// emptyEstate makes a migrated database holding the world's parties and
// catalogue and no Devices, returning where it is and how to remove it.
func emptyEstate(ctx context.Context, o ImportOptions, world string) (dsn string, drop func(), err error) {
	drop = func() {}
	if o.Engine == "sqlite" {
		dsn = filepath.Join(o.Dir, "bench-import.db")
		rm := func() {
			for _, p := range []string{dsn, dsn + "-wal", dsn + "-shm"} {
				os.Remove(p)
			}
		}
		rm()
		drop = rm
	} else {
		admin, err := sql.Open("pgx", o.Postgres)
		if err != nil {
			return "", nil, err
		}
		schema := "bench_import_" + randomHex()
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			return "", nil, err
		}
		drop = func() {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}
		sep := "?"
		if strings.Contains(o.Postgres, "?") {
			sep = "&"
		}
		dsn = o.Postgres + sep + "search_path=" + schema
	}
	o.Progress("parties and catalogue")
	db, err := store.Open(ctx, dsn)
	if err != nil {
		drop()
		return "", nil, err
	}
	defer db.Close()
	fail := func(err error) (string, func(), error) { drop(); return "", nil, err }
	if _, err := db.Migrate(ctx, nil); err != nil {
		return fail(err)
	}
	sys := access.SystemCaller("import benchmark")
	pf, err := os.Open(filepath.Join(world, "parties.csv"))
	if err != nil {
		return fail(err)
	}
	defer pf.Close()
	if _, err := (&party.Service{DB: db}).Import(ctx, sys, pf); err != nil {
		return fail(fmt.Errorf("parties: %w", err))
	}
	cf, err := os.Open(filepath.Join(world, "catalogue.csv"))
	if err != nil {
		return fail(err)
	}
	defer cf.Close()
	if _, err := (&catalogue.Service{DB: db}).Import(ctx, sys, cf, catalogue.ImportOptions{}); err != nil {
		return fail(fmt.Errorf("catalogue: %w", err))
	}
	return dsn, drop, nil
}

// runChild runs metersec with args, returning its wall time, its peak
// resident memory, its CPU time and its standard output.
func runChild(ctx context.Context, bin string, args ...string) (secs, peakMB, cpu float64, stdout []byte, err error) {
	return runChildLog(ctx, nil, bin, args...)
}

// runChildLog is runChild copying the child's standard error to log too
// (when not nil).
func runChildLog(ctx context.Context, log io.Writer, bin string, args ...string) (secs, peakMB, cpu float64, stdout []byte, err error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if log != nil {
		cmd.Stderr = io.MultiWriter(&errOut, log)
	}
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, 0, append(out.Bytes(), errOut.Bytes()...), err
	}
	return time.Since(t0).Seconds(), peakRSSMB(cmd.ProcessState), cpuSeconds(cmd.ProcessState), out.Bytes(), nil
}

func cpuSeconds(ps *os.ProcessState) float64 { return (ps.UserTime() + ps.SystemTime()).Seconds() }

func randomHex() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
