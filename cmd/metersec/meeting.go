package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/meeting"
	"github.com/metersec/metersec/internal/report"
	"github.com/metersec/metersec/internal/uk"
)

func meetingCmd() *cli.Command {
	return &cli.Command{
		Name:    "meeting",
		Summary: "list SSC meetings, show one, and print its public headlines",
		Help: `SSC meetings hold agenda items whose colour is their classification. The public Meeting
Headlines show GREEN and WHITE items in full and each RED or AMBER item only as its
pseudonymised subject, colour and decision verbs (recorded in the Confidential Minutes).
Meetings are planned and recorded through the web UI and the API (/api/v1/meetings).`,
		Subs: []*cli.Command{meetingListCmd(), meetingShowCmd(), meetingHeadlinesCmd()},
	}
}

func meetingListCmd() *cli.Command {
	var before, limit int
	return &cli.Command{
		Name:    "list",
		Summary: "list meetings, newest first",
		Flags: func(fs *flag.FlagSet) {
			fs.IntVar(&before, "before", 0, "only meetings numbered below this (the cursor of the previous page)")
			fs.IntVar(&limit, "limit", 50, "at most this many (1–200)")
			cli.FormatFlag(fs)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) > 0 {
				return cli.Usagef("list takes no arguments")
			}
			if limit < 1 || limit > meeting.MaxLimit {
				return cli.Usagef("--limit must be between 1 and %d", meeting.MaxLimit)
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			p, err := meeting.NewService(db).List(ctx, operator(env), meeting.ListFilter{Before: before, Limit: limit})
			if err != nil {
				return err
			}
			return env.Print(p, func(w io.Writer) error {
				fmt.Fprintf(w, "%d meetings\n", p.Total)
				fmt.Fprintln(w, "NUMBER\tREFERENCE\tDATE\tPLACE\tSTATUS\tHEADLINES")
				for _, m := range p.Items {
					pub := "not published"
					if m.PublishedAt != nil {
						pub = "published " + uk.Date(*m.PublishedAt)
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", m.Number, m.Reference, uk.Day(m.HeldOn.Time()), m.Place, m.Status, pub)
				}
				if p.Next != "" {
					fmt.Fprintf(w, "More: --before %s\n", p.Next)
				}
				return nil
			})
		},
	}
}

func meetingShowCmd() *cli.Command {
	return &cli.Command{
		Name:    "show",
		Args:    "NUMBER",
		Summary: "show a meeting in full: every item with its colour, text, decisions and actions",
		Flags:   func(fs *flag.FlagSet) { cli.FormatFlag(fs) },
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("show takes one meeting NUMBER")
			}
			n, err := meeting.ParseNumber(args[0])
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			m, err := meeting.NewService(db).Get(ctx, operator(env), n)
			if err != nil {
				return err
			}
			return env.Print(m, func(w io.Writer) error {
				fmt.Fprintf(w, "%s, %s, %s (%s)\n", m.Reference, uk.Day(m.HeldOn.Time()), m.Place, m.Status)
				for _, it := range m.Items {
					fmt.Fprintf(w, "\n%d. [%s] %s (%s)\n", it.Position, it.Classification, it.Title, it.TypeLabel)
					if it.Text != "" {
						fmt.Fprintf(w, "   %s\n", it.Text)
					}
					for _, d := range it.Decisions {
						fmt.Fprintf(w, "   The SSC %s %s\n", d.Verb, d.Text)
					}
					for _, a := range it.Actions {
						fmt.Fprintf(w, "   ACTION %s %s (owner %s, %s)\n", a.Reference(), a.Text, a.Owner, a.Status)
					}
				}
				if len(m.Carried) > 0 {
					fmt.Fprintf(w, "\nCarried actions: %d\n", len(m.Carried))
				}
				return nil
			})
		},
	}
}

func meetingHeadlinesCmd() *cli.Command {
	return &cli.Command{
		Name:    "headlines",
		Args:    "NUMBER",
		Summary: "print a meeting's public headlines as text, JSON, HTML or PDF",
		Help: `The headlines are what the public pages show (/public/meetings/NUMBER), RED and AMBER
content withheld. As an operator's command it prints them before publication too, marked DRAFT.`,
		Formats: []string{"text", "json", "html", "pdf"},
		Flags:   func(fs *flag.FlagSet) { fs.String("format", "text", "output format: text, json, html or pdf") },
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			if len(args) != 1 {
				return cli.Usagef("headlines takes one meeting NUMBER")
			}
			n, err := meeting.ParseNumber(args[0])
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			h, err := meeting.NewService(db).HeadlinesFor(ctx, operator(env), n)
			if err != nil {
				return err
			}
			switch env.Format {
			case "html":
				b, err := h.HTML()
				if err != nil {
					return err
				}
				_, err = env.Stdout.Write(b)
				return err
			case "pdf":
				b, err := report.HeadlinesPDF(h, h.HeldOn.Time())
				if err != nil {
					return err
				}
				_, err = env.Stdout.Write(b)
				return err
			}
			return env.Print(h, func(w io.Writer) error {
				_, err := io.WriteString(w, strings.TrimRight(h.Text(), "\n")+"\n")
				return err
			})
		},
	}
}
