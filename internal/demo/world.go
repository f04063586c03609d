package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/generate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
)

// WorldSeed is the generator seed of the demo market: the demo users' organisation
// codes (Users) are this world's.
const WorldSeed = 1

// seedMarket generates a synthetic GB market whose simulated year ends on
// opts.Today and loads it the way an operator would: parties, catalogue,
// devices, churn, each through its importer.
func seedMarket(ctx context.Context, db *store.DB, sys access.Caller, opts Options) error {
	dir, err := os.MkdirTemp("", "metersec-demo-world-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	end := opts.Today.Time().AddDate(0, 0, 1)
	opts.Log("generating a market of %d Devices (seed %d, the year to %s)", opts.Devices, WorldSeed, opts.Today)
	sum, err := generate.Run(ctx, generate.Options{Devices: opts.Devices, Seed: WorldSeed,
		Start: end.AddDate(-1, 0, 0), End: end, OutDir: dir})
	if err != nil {
		return fmt.Errorf("demo world: %w", err)
	}
	open := func(name string) (*os.File, error) { return os.Open(filepath.Join(dir, name)) }
	steps := []struct {
		file string
		load func(f *os.File) (string, error)
	}{
		{"parties.csv", func(f *os.File) (string, error) {
			res, err := (&party.Service{DB: db}).Import(ctx, sys, f)
			return fmt.Sprintf("%d organisations", res.Created), err
		}},
		{"catalogue.csv", func(f *os.File) (string, error) {
			res, err := (&catalogue.Service{DB: db}).Import(ctx, sys, f, catalogue.ImportOptions{})
			return fmt.Sprintf("%d models, %d firmware versions, %d certificates", res.ModelsCreated, res.FirmwareCreated, res.CertificatesCreated), err
		}},
		{"devices.csv", func(f *os.File) (string, error) {
			res, err := estate.NewService(db).ImportDevices(ctx, sys, f, estate.ImportOptions{})
			return fmt.Sprintf("%d Devices", res.Created), err
		}},
		{"churn.csv", func(f *os.File) (string, error) {
			res, err := estate.NewService(db).ImportChurn(ctx, sys, f, estate.ImportOptions{})
			return fmt.Sprintf("%d changes of supplier (%s failed on %s; %s took its customers)", res.Changed,
				sum.Failure.Supplier, sum.Failure.Date.Format(time.DateOnly), sum.Failure.SoLR), err
		}},
	}
	for _, st := range steps {
		f, err := open(st.file)
		if err != nil {
			return err
		}
		start := time.Now()
		what, err := st.load(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("demo world, %s: %w", st.file, err)
		}
		opts.Log("imported %s: %s in %s", st.file, what, time.Since(start).Round(time.Millisecond))
	}
	return nil
}
