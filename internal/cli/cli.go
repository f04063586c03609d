// Package cli is metersec's small command-line framework: a tree of commands,
// each with its own flags and --help, whose settings come from flags,
// METERSEC_* environment variables or a config file, in that order of
// precedence. A config file key that no command knows is an error, so a typo
// never passes silently.
//
// Only the site's settings (the root's Shared flags: --db, the server's
// settings, policy figures) are read from a generic variable (METERSEC_DB)
// or the config file, because they mean the same to every command that has
// them. Any other flag is an argument of one command and is read only from
// that command's own variable (--date of `estate show` is
// METERSEC_ESTATE_SHOW_DATE): a METERSEC_DATE exported for one script once
// changed the date of every command run after it.
package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/metersec/metersec/internal/errs"
)

// Command is a command or a group of subcommands.
type Command struct {
	Name    string
	Args    string // synopsis of positional arguments, e.g. "FILE"
	Summary string // one line for the parent's list
	Help    string // more text for --help
	// Flags defines the command's flags on fs, bound to the command's
	// variables.
	Flags func(fs *flag.FlagSet)
	// Formats replaces the --format values a command accepts (text and
	// json) for one that prints documents too (html, pdf).
	Formats []string
	// NoDB leaves out the --db flag every other command gets.
	NoDB bool
	// DBDefault replaces --db's default (./metersec.db) for this command.
	DBDefault string
	// Run runs the command with its positional arguments.
	Run  func(ctx context.Context, env *Env, args []string) error
	Subs []*Command
	// Shared, on the root, names the flags that are site settings: each
	// means the same in every command that has it, so it reads the generic
	// METERSEC_<FLAG> and the config file. --db and --config always do.
	Shared []string
}

// Env is what a running command gets besides its flags.
type Env struct {
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	// DB is the --db setting.
	DB string
	// Format is the --format setting of commands that print results.
	Format string
	// Getenv reads the environment (replaced in tests).
	Getenv func(string) string
}

// UsageError is a mistake in how a command was called: exit status 2.
type UsageError struct{ Msg string }

func (e UsageError) Error() string { return e.Msg }

// Usagef makes a UsageError.
func Usagef(format string, args ...any) error { return UsageError{fmt.Sprintf(format, args...)} }

// EnvName is the environment variable for a shared flag: METERSEC_ and the
// flag in capitals with hyphens as underscores (--db → METERSEC_DB).
func EnvName(flagName string) string {
	return "METERSEC_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// CommandEnvName is the environment variable for a flag of one command: the
// command's path after the program's name, then the flag (`estate show
// --date` → METERSEC_ESTATE_SHOW_DATE).
func CommandEnvName(path []string, flagName string) string {
	return EnvName(strings.Join(append(slices.Clone(path), flagName), "-"))
}

// envNameFor is the variable a flag of the command at path reads.
func envNameFor(path []*Command, flagName string) string {
	if isShared(path[0], flagName) {
		return EnvName(flagName)
	}
	return CommandEnvName(names(path[1:]), flagName)
}

func isShared(root *Command, flagName string) bool {
	return flagName == "db" || flagName == "config" || slices.Contains(root.Shared, flagName)
}

// Main runs the command named by args (without the program name) and returns
// the exit status.
func Main(ctx context.Context, root *Command, args []string, env *Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	err := run(ctx, root, args, env)
	var ue UsageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "%s: %s\n", root.Name, ue.Msg)
		return 2
	}
	e := errs.As(err)
	if e.Code == errs.Internal && e.Err != nil {
		fmt.Fprintf(env.Stderr, "%s: %v\n", root.Name, e.Err)
	} else {
		fmt.Fprintf(env.Stderr, "%s: %v\n", root.Name, err)
	}
	return 1
}

func run(ctx context.Context, root *Command, args []string, env *Env) error {
	path := []*Command{root}
	cmd := root
	for len(cmd.Subs) > 0 {
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
			if len(args) > 1 && args[0] == "help" {
				// "metersec help user add" is "metersec user add --help".
				return run(ctx, root, append(slices.Clone(args[1:]), "--help"), env)
			}
			printGroup(wrapWriter(env.Stdout), path)
			if len(args) == 0 {
				return UsageError{"say which command to run (see above)"}
			}
			return flag.ErrHelp
		}
		next := find(cmd.Subs, args[0])
		if next == nil {
			return Usagef("unknown command %q; run `%s --help` for the list", strings.Join(append(names(path[1:]), args[0]), " "), names(path[:1])[0]+suffix(path))
		}
		cmd, args = next, args[1:]
		path = append(path, cmd)
	}
	fs := flag.NewFlagSet(strings.Join(names(path), " "), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config := fs.String("config", "", "read settings from this file (key = value lines; keys are the site-wide flags' names)")
	if !cmd.NoDB {
		def := "./metersec.db"
		if cmd.DBDefault != "" {
			def = cmd.DBDefault
		}
		fs.StringVar(&env.DB, "db", def, "the database: a SQLite file path, or a postgres:// URL")
	}
	if cmd.Flags != nil {
		cmd.Flags(fs)
	}
	fs.Usage = func() {}
	// Flags may come before or after the positional arguments
	// (metersec import devices FILE --db X), so parse, set aside the first
	// argument, and go on.
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printCommand(wrapWriter(env.Stdout), path, fs)
				return flag.ErrHelp
			}
			return UsageError{err.Error() + "; run `" + fs.Name() + " --help`"}
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}
	if err := resolve(fs, path, *config, env); err != nil {
		return err
	}
	if f := fs.Lookup("format"); f != nil {
		env.Format = f.Value.String()
		switch {
		case len(cmd.Formats) > 0:
			if !slices.Contains(cmd.Formats, env.Format) {
				return Usagef("--format must be one of %s, not %q", strings.Join(cmd.Formats, ", "), env.Format)
			}
		case env.Format != "text" && env.Format != "json":
			return Usagef("--format must be text or json, not %q", env.Format)
		}
	}
	return cmd.Run(ctx, env, positional)
}

func suffix(path []*Command) string {
	if len(path) > 1 {
		return " " + strings.Join(names(path[1:]), " ")
	}
	return ""
}

// resolve fills flags not given on the command line from the environment,
// then (shared flags only) from the config file.
func resolve(fs *flag.FlagSet, path []*Command, configPath string, env *Env) error {
	root := path[0]
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if configPath == "" {
		configPath = env.Getenv("METERSEC_CONFIG")
	}
	var file map[string]string
	if configPath != "" {
		var err error
		if file, err = readConfig(configPath, sharedFlagNames(root)); err != nil {
			return err
		}
	}
	var problem error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || problem != nil || f.Name == "config" {
			return
		}
		name := envNameFor(path, f.Name)
		if v := env.Getenv(name); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				problem = Usagef("%s=%q: %v", name, v, err)
			}
			return
		}
		if v, ok := file[f.Name]; ok && isShared(root, f.Name) {
			if err := fs.Set(f.Name, v); err != nil {
				problem = Usagef("%s: %s = %q: %v", configPath, f.Name, v, err)
			}
		}
	})
	return problem
}

// readConfig reads "key = value" lines (# starts a comment; values may be
// double-quoted). Every key must be a shared flag of some command.
func readConfig(path string, known map[string]bool) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Usagef("config file: %v", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, Usagef("%s:%d: expected key = value", path, n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if uq, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
			v = uq
		}
		if !known[k] {
			return nil, Usagef("%s:%d: unknown setting %q (settings are the site-wide flags' names, like db or addr)", path, n, k)
		}
		out[k] = v
	}
	return out, sc.Err()
}

// sharedFlagNames are the shared flags some command has: the config file's
// keys.
func sharedFlagNames(root *Command) map[string]bool {
	known := map[string]bool{"db": true}
	var walk func(c *Command)
	walk = func(c *Command) {
		if c.Flags != nil {
			fs := flag.NewFlagSet("", flag.ContinueOnError)
			c.Flags(fs)
			fs.VisitAll(func(f *flag.Flag) {
				if isShared(root, f.Name) {
					known[f.Name] = true
				}
			})
		}
		for _, s := range c.Subs {
			walk(s)
		}
	}
	walk(root)
	return known
}

func find(cs []*Command, name string) *Command {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func names(cs []*Command) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func printGroup(w io.Writer, path []*Command) {
	cmd := path[len(path)-1]
	fmt.Fprintf(w, "Usage: %s COMMAND [flags]\n\n", strings.Join(names(path), " "))
	if cmd.Help != "" {
		fmt.Fprintf(w, "%s\n\n", strings.TrimSpace(cmd.Help))
	}
	fmt.Fprintln(w, "Commands:")
	var rows [][2]string
	for _, s := range cmd.Subs {
		rows = append(rows, [2]string{s.Name, s.Summary})
	}
	writeTable(w, rows)
	fmt.Fprintf(w, "\nRun `%s COMMAND --help` for a command's flags.\n", strings.Join(names(path), " "))
}

func printCommand(w io.Writer, path []*Command, fs *flag.FlagSet) {
	cmd := path[len(path)-1]
	usage := strings.Join(names(path), " ") + " [flags]"
	if cmd.Args != "" {
		usage += " " + cmd.Args
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", usage, cmd.Summary)
	if cmd.Help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(cmd.Help))
	}
	fmt.Fprintln(w, "\nFlags (each also settable as the environment variable shown; site-wide ones, shown")
	fmt.Fprintln(w, "as METERSEC_<FLAG>, also in --config):")
	var fl []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) { fl = append(fl, f) })
	sort.Slice(fl, func(i, j int) bool { return fl[i].Name < fl[j].Name })
	var rows [][2]string
	for _, f := range fl {
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			def = " (default " + f.DefValue + ")"
		}
		rows = append(rows, [2]string{"--" + f.Name, f.Usage + def + "; " + envNameFor(path, f.Name)})
	}
	writeTable(w, rows)
}

// FormatFlag adds --format text|json to a command that prints results.
func FormatFlag(fs *flag.FlagSet) { fs.String("format", "text", "output format: text or json") }

// Print writes v as indented JSON when --format json was asked for, else
// calls text to write it for people.
func (env *Env) Print(v any, text func(w io.Writer) error) error {
	if env.Format == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(jsonValue(reflect.ValueOf(v)))
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	if err := text(tw); err != nil {
		return err
	}
	return tw.Flush()
}
