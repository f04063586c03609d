package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"modernc.org/sqlite"
)

// Backups: SQLite is copied with its online backup, which reads one snapshot
// while writers go on and writes a plain SQLite file that --db opens directly.
// PostgreSQL is copied with pg_dump (custom format), which also reads one
// snapshot; restoring it needs pg_restore of the same or a newer major
// version. Both tools find the schema from the URL's search_path, the only
// place metersec names one.

// Backup writes a consistent copy of the database to path, which must not
// exist, while others keep reading and writing.
func (db *DB) Backup(ctx context.Context, path, dsn string, stderr io.Writer) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(abs); err == nil {
		return fmt.Errorf("%s exists already: choose a new file", abs)
	}
	if db.Dialect == Postgres {
		return pgDump(ctx, dsn, abs, stderr)
	}
	// SQLite's online backup copies the file's pages in one step, under one
	// read transaction: one WAL snapshot, while writers go on. It runs on a
	// reader (on the writer it would hold every write up for the whole
	// copy). It does less than VACUUM INTO, which rebuilds every table and
	// index: for a 146 MB database of a million Devices, 18 s, 4.1 s of CPU
	// and 304 MB against 22–25 s, 5.1 s and 378 MB (load average 22 on two
	// cores), though VACUUM INTO's copy is compacted (104 MB).
	conn, err := db.r.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		src, ok := dc.(interface {
			NewBackup(string) (*sqlite.Backup, error)
		})
		if !ok {
			return fmt.Errorf("the SQLite driver offers no online backup (%T)", dc)
		}
		b, err := src.NewBackup(abs)
		if err != nil {
			return err
		}
		_, err = b.Step(-1)
		return errors.Join(err, b.Finish())
	})
	if err != nil {
		os.Remove(abs)
		return fmt.Errorf("backup to %s: %w", abs, err)
	}
	return nil
}

// pgTool splits a PostgreSQL URL into what libpq's tools accept (they
// refuse search_path as a URL parameter) and the schema it named ("" for
// the default, public).
func pgTool(dsn string) (conn, schema string, err error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", "", fmt.Errorf("the PostgreSQL URL does not parse: %w", err)
	}
	q := u.Query()
	schema = q.Get("search_path")
	if strings.Contains(schema, ",") {
		return "", "", fmt.Errorf("search_path=%s names several schemas; metersec keeps its tables in one", schema)
	}
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String(), schema, nil
}

func pgDump(ctx context.Context, dsn, out string, stderr io.Writer) error {
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		return errors.New("backing up PostgreSQL needs pg_dump on the PATH (Debian: apt-get install postgresql-client)")
	}
	conn, schema, err := pgTool(dsn)
	if err != nil {
		return err
	}
	args := []string{"--format=custom", "--no-owner", "--no-privileges", "--file=" + out}
	if schema != "" {
		args = append(args, "--schema="+schema)
	}
	cmd := exec.CommandContext(ctx, bin, append(args, "--dbname="+conn)...)
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		os.Remove(out)
		return fmt.Errorf("pg_dump: %w", err)
	}
	return nil
}

// Restore loads a backup made by Backup into the database named by dsn,
// which must hold no metersec schema yet: a restore never merges into or
// overwrites a live database. SQLite: the file is checked (integrity_check
// and a schema) and copied to dsn's path, which must not exist; the copy is
// renamed into place only when whole. PostgreSQL: pg_restore in one
// transaction, so a failure leaves nothing behind; the backup's schema must
// be the one dsn names. Run migrate afterwards if the backup is older than
// this binary.
func Restore(ctx context.Context, from, dsn string, stderr io.Writer) error {
	if _, err := os.Stat(from); err != nil {
		return fmt.Errorf("the backup: %w", err)
	}
	if IsPostgres(dsn) {
		return pgRestore(ctx, from, dsn, stderr)
	}
	return sqliteRestore(ctx, from, dsn)
}

func sqliteRestore(ctx context.Context, from, dsn string) error {
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	target, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, err := os.Stat(target); err == nil {
		return fmt.Errorf("%s exists already: restore into a new file (move the old one away first)", target)
	}
	head := make([]byte, 16)
	if f, err := os.Open(from); err != nil {
		return err
	} else {
		_, err = io.ReadFull(f, head)
		f.Close()
		if err != nil || !bytes.Equal(head, []byte("SQLite format 3\x00")) {
			return fmt.Errorf("%s is not a SQLite backup (a PostgreSQL backup restores only into a postgres:// database)", from)
		}
	}
	tmp := target + ".restoring"
	os.Remove(tmp)
	if err := copyFile(from, tmp); err != nil {
		return err
	}
	db, err := Open(ctx, tmp)
	if err != nil {
		os.Remove(tmp)
		return err
	}
	var check string
	err = db.w.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check)
	if err == nil && check != "ok" {
		err = fmt.Errorf("the backup %s is damaged: %s", from, check)
	}
	if err == nil {
		var st SchemaStatus
		if st, err = db.Schema(ctx); err == nil && st.Current == 0 {
			err = fmt.Errorf("%s holds no metersec schema", from)
		}
	}
	if err == nil {
		// Fold any WAL into the file before it is renamed into place.
		_, err = db.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	db.Close()
	if err != nil {
		removeSQLite(tmp)
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(tmp + suffix)
	}
	return os.Rename(tmp, target)
}

func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	return out.Close()
}

func pgRestore(ctx context.Context, from, dsn string, stderr io.Writer) error {
	bin, err := exec.LookPath("pg_restore")
	if err != nil {
		return errors.New("restoring PostgreSQL needs pg_restore on the PATH (Debian: apt-get install postgresql-client)")
	}
	conn, schema, err := pgTool(dsn)
	if err != nil {
		return err
	}
	if schema == "" {
		schema = "public"
	}
	// The dump names its schema in every object: it restores into that
	// schema or not at all. Say so before writing anything.
	list, err := exec.CommandContext(ctx, bin, "--list", from).Output()
	if err != nil {
		return fmt.Errorf("%s is not a PostgreSQL backup made by metersec backup (pg_restore --list: %v)", from, err)
	}
	schemas := dumpSchemas(list)
	if len(schemas) != 1 {
		return fmt.Errorf("%s holds tables in %d schemas (%s); a metersec backup holds one", from, len(schemas), strings.Join(schemas, ", "))
	}
	if schemas[0] != schema {
		return fmt.Errorf("the backup holds schema %q but the database URL names %q: add ?search_path=%s to --db (in an empty database)", schemas[0], schema, schemas[0])
	}
	db, err := Open(ctx, dsn)
	if err != nil {
		return err
	}
	st, err := db.Schema(ctx)
	db.Close()
	if err != nil {
		return err
	}
	if st.Current != 0 {
		return fmt.Errorf("%s already holds a metersec schema (version %d): restore into an empty database", redact(dsn), st.Current)
	}
	cmd := exec.CommandContext(ctx, bin, "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges",
		"--dbname="+conn, from)
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_restore: %w (nothing was restored)", err)
	}
	return nil
}

// dumpSchemas lists the schemas of the tables in a pg_restore --list table
// of contents ("ID; OID OID TABLE schema name owner").
func dumpSchemas(list []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(list))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, ";") {
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 6 && f[3] == "TABLE" && f[4] != "DATA" && !slices.Contains(out, f[4]) {
			out = append(out, f[4])
		}
	}
	return out
}

// Tables lists the database's own tables (metersec's and schema_migrations),
// for backup checks and operators' counts.
func (db *DB) Tables(ctx context.Context, q Querier) ([]string, error) {
	query := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if db.Dialect == Postgres {
		query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// RowCounts counts the rows of every table, through q (a transaction, for
// counts of one moment).
func (db *DB) RowCounts(ctx context.Context, q Querier) (map[string]int64, error) {
	tables, err := db.Tables(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+t+`"`).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}
