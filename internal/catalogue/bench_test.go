package catalogue_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

// BenchmarkImport loads the generated GB catalogue (about 1,500 rows) into
// an empty catalogue, and again unchanged.
//
//	go test ./internal/catalogue/ -run '^$' -bench Import -benchtime 10x
func BenchmarkImport(b *testing.B) {
	ctx := context.Background()
	_, file := world()
	for _, engine := range storetest.Engines() {
		b.Run(string(engine)+"/fresh", func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				db := storetest.Open(b, engine)
				loadParties(b, db)
				b.StartTimer()
				if _, err := (&catalogue.Service{DB: db}).Import(ctx, sys, bytes.NewReader(file), catalogue.ImportOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(engine)+"/unchanged", func(b *testing.B) {
			db := storetest.Open(b, engine)
			loadParties(b, db)
			svc := &catalogue.Service{DB: db}
			if _, err := svc.Import(ctx, sys, bytes.NewReader(file), catalogue.ImportOptions{}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := svc.Import(ctx, sys, bytes.NewReader(file), catalogue.ImportOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCertReport computes the certificate report over a national
// portfolio: every firmware version of the generated catalogue held by each
// of 25 Suppliers through 4 MAPs (about 150,000 portfolio rows, far more than
// a real estate has non-empty), as the SSC and as one Supplier.
//
//	go test ./internal/catalogue/ -run '^$' -bench CertReport -benchtime 20x
func BenchmarkCertReport(b *testing.B) {
	ctx := context.Background()
	_, file := world()
	for _, engine := range storetest.Engines() {
		db := storetest.Open(b, engine)
		loadParties(b, db)
		svc := &catalogue.Service{DB: db}
		if _, err := svc.Import(ctx, sys, bytes.NewReader(file), catalogue.ImportOptions{}); err != nil {
			b.Fatal(err)
		}
		var suppliers []int64
		rs, err := db.QueryContext(ctx, "SELECT org_id FROM organisation_roles WHERE role IN ('large_supplier', 'small_supplier') ORDER BY org_id")
		if err != nil {
			b.Fatal(err)
		}
		for rs.Next() {
			var id int64
			rs.Scan(&id)
			suppliers = append(suppliers, id)
		}
		rs.Close()
		for len(suppliers) < 25 { // made-up Suppliers beyond the generated ones
			suppliers = append(suppliers, 1_000_000+int64(len(suppliers)))
		}
		supplier := suppliers[0]
		rows := 0
		err = db.Write(ctx, sys, func(tx *store.Tx) error {
			for _, s := range suppliers[:25] {
				for m := range int64(4) {
					res, err := tx.ExecContext(ctx, `INSERT INTO portfolio (supplier_id, model_id, firmware_id, map_id, generation, device_type, devices)
						SELECT $1, f.model_id, f.id, $2, d.generation, d.device_type, 100 + f.id % 1000
						FROM firmware_versions f JOIN device_models d ON d.id = f.model_id`, s, m)
					if err != nil {
						return err
					}
					n, _ := res.RowsAffected()
					rows += int(n)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := db.SettleBulkLoad(ctx); err != nil {
			b.Fatal(err)
		}
		asSupplier := sys
		asSupplier.System, asSupplier.UserID, asSupplier.OrgID, asSupplier.Roles = false, 1, supplier, []sec.Role{sec.RoleSupplier}
		for _, who := range []struct {
			name string
			c    any
		}{{"ssc", sys}, {"supplier", asSupplier}} {
			b.Run(fmt.Sprintf("%s/%s/%drows", engine, who.name, rows), func(b *testing.B) {
				c := sys
				if who.name == "supplier" {
					c = asSupplier
				}
				for b.Loop() {
					rep, err := svc.CertReport(ctx, c, sec.MustParseDate("2025-06-01"))
					if err != nil {
						b.Fatal(err)
					}
					if len(rep.Rows) == 0 {
						b.Fatal("empty report")
					}
				}
			})
		}
	}
}
