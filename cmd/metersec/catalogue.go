package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/cli"
	"github.com/metersec/metersec/internal/sec"
)

func catalogueCmd() *cli.Command {
	return &cli.Command{
		Name:    "catalogue",
		Summary: "the Device catalogue (CPL): list, export, certificate report",
		Help: `The catalogue holds Device Models, their firmware versions and CPA certificates. Load it with
metersec import catalogue FILE; these commands read it with the operator's full view.`,
		Subs: []*cli.Command{catalogueListCmd(), catalogueExportCmd(), catalogueCertReportCmd()},
	}
}

func importCatalogueCmd() *cli.Command {
	var class string
	return &cli.Command{
		Name:    "catalogue",
		Args:    "FILE",
		Summary: "load Device Models, firmware and CPA certificates (catalogue.csv)",
		Help: `The header is:
  manufacturer,model,device_type,generation,hardware_version,firmware,firmware_released,image_hash,
  cpa_reference,cpa_issued,cpa_kind,cpa_expiry,cpa_renewal,cpa_conditional,cpa_conditions,
  cpa_conditions_due,cpa_withdrawn
one row per firmware version and CPA certificate (cpa_ columns empty for firmware not yet certified).
Rows of one model must agree on its type, generation and hardware version; rows of one certificate
on its dates. Existing records are brought in line with the file; nothing is deleted.`,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&class, "classification", "GREEN", "marking of the models the file creates: GREEN, WHITE or AMBER")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			cl, err := sec.ParseClassification(class)
			if err != nil {
				return cli.Usagef("--classification: %v", err)
			}
			r, db, done, err := openInputDB(ctx, env, args)
			if err != nil {
				return err
			}
			defer done()
			res, err := (&catalogue.Service{DB: db}).Import(ctx, operator(env), r, catalogue.ImportOptions{Classification: cl})
			if err != nil {
				return err
			}
			return env.Print(res, func(w io.Writer) error {
				fmt.Fprintf(w, "%d rows: models %d created, %d updated; firmware %d created, %d updated; certificates %d created, %d updated; %d rows unchanged\n",
					res.Rows, res.ModelsCreated, res.ModelsUpdated, res.FirmwareCreated, res.FirmwareUpdated,
					res.CertificatesCreated, res.CertificatesUpdated, res.Unchanged)
				return nil
			})
		},
	}
}

// catalogueFilterFlags binds the listing filter's flags.
func catalogueFilterFlags(fs *flag.FlagSet, mfr, typ, gen, q *string) {
	fs.StringVar(mfr, "manufacturer", "", "only this manufacturer's models (organisation code)")
	fs.StringVar(typ, "type", "", "only this device type (ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD)")
	fs.StringVar(gen, "generation", "", "only this generation (SMETS1 or SMETS2+)")
	fs.StringVar(q, "q", "", "only models whose code or name contains this")
}

func catalogueFilter(mfr, typ, gen, q string) (catalogue.Filter, error) {
	f := catalogue.Filter{Manufacturer: mfr, Query: q}
	var err error
	if typ != "" {
		if f.DeviceType, err = sec.ParseDeviceType(typ); err != nil {
			return f, cli.Usagef("--type: %v", err)
		}
	}
	if gen != "" {
		if f.Generation, err = sec.ParseGeneration(gen); err != nil {
			return f, cli.Usagef("--generation: %v", err)
		}
	}
	return f, nil
}

func catalogueListCmd() *cli.Command {
	var mfr, typ, gen, q string
	return &cli.Command{
		Name:    "list",
		Summary: "list Device Models",
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			catalogueFilterFlags(fs, &mfr, &typ, &gen, &q)
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			f, err := catalogueFilter(mfr, typ, gen, q)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			ms, err := (&catalogue.Service{DB: db}).ListModels(ctx, operator(env), f)
			if err != nil {
				return err
			}
			if ms == nil {
				ms = []catalogue.Model{}
			}
			return env.Print(ms, func(w io.Writer) error {
				fmt.Fprintln(w, "ID\tMANUFACTURER\tMODEL\tTYPE\tGENERATION\tHARDWARE\tFIRMWARE\tMARKING\tNAME")
				for _, m := range ms {
					fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", m.ID, m.Manufacturer, m.Code, m.DeviceType, m.Generation, m.Hardware, m.FirmwareCount, m.Classification, m.Name)
				}
				return nil
			})
		},
	}
}

func catalogueExportCmd() *cli.Command {
	var mfr, typ, gen, q, out string
	return &cli.Command{
		Name:    "export",
		Summary: "write the catalogue as a catalogue CSV file (imports back unchanged)",
		Flags: func(fs *flag.FlagSet) {
			catalogueFilterFlags(fs, &mfr, &typ, &gen, &q)
			fs.StringVar(&out, "out", "-", "the file to write, - for standard output")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			f, err := catalogueFilter(mfr, typ, gen, q)
			if err != nil {
				return err
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			w := env.Stdout
			var file *os.File
			if out != "-" {
				if file, err = os.Create(out); err != nil {
					return err
				}
				defer file.Close()
				w = file
			}
			bw := bufio.NewWriterSize(w, 64<<10)
			n, err := (&catalogue.Service{DB: db}).Export(ctx, operator(env), bw, f)
			if err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return err
			}
			if file != nil {
				if err := file.Close(); err != nil {
					return err
				}
				fmt.Fprintf(env.Stderr, "%d rows written to %s\n", n, out)
			}
			return nil
		},
	}
}

func catalogueCertReportCmd() *cli.Command {
	var date string
	return &cli.Command{
		Name:    "cert-report",
		Summary: "installed Devices on expired, overdue, withdrawn or conditional CPA certificates, by Supplier",
		Help: `Counts come from the estate's portfolio totals joined to the certificates; firmware counts as
covered by its best certificate issued by the date.`,
		Flags: func(fs *flag.FlagSet) {
			cli.FormatFlag(fs)
			fs.StringVar(&date, "date", "", "the report's date, YYYY-MM-DD (default today, UK)")
		},
		Run: func(ctx context.Context, env *cli.Env, args []string) error {
			var d sec.Date
			if date != "" {
				var err error
				if d, err = sec.ParseDate(date); err != nil {
					return cli.Usagef("--date: %v", err)
				}
			}
			db, err := openDB(ctx, env, true)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := (&catalogue.Service{DB: db}).CertReport(ctx, operator(env), d)
			if err != nil {
				return err
			}
			return env.Print(rep, func(w io.Writer) error {
				fmt.Fprintf(w, "Devices on bad CPA certificates on %s: %d\n\n", rep.Date, rep.Devices)
				fmt.Fprintln(w, "SUPPLIER\tEXPIRED\tRENEWAL OVERDUE\tWITHDRAWN\tCONDITIONAL\t(CONDITIONS OVERDUE)\tNO CERTIFICATE\tTOTAL")
				for _, t := range rep.Suppliers {
					fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", supplierName(t.Supplier), t.Expired, t.RenewalOverdue, t.Withdrawn, t.Conditional, t.ConditionsOverdue, t.Uncertified, t.Devices)
				}
				if len(rep.Rows) > 0 {
					fmt.Fprintln(w, "\nSUPPLIER\tMANUFACTURER\tMODEL\tFIRMWARE\tSTATUS\tDEVICES")
					for _, r := range rep.Rows {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", supplierName(r.Supplier), r.Manufacturer, r.Model, r.Firmware, r.Status.Label(), r.Devices)
					}
				}
				return nil
			})
		},
	}
}

func supplierName(code string) string {
	if code == "" {
		return "(no Supplier)"
	}
	return code
}
