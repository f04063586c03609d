// Package bench builds worlds for benchmarks and the tests that need a
// realistic database, through the product's own services (never their SQL).
// Each area's builders live in a file named after it.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/account"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/triage"
)

// TriageWorld is an approved, operating Triage Facility of provider BTFP with
// one Triage Tool (BT1) and one Triage Interface (BI1) that its operator
// may use, and Devices of Supplier BSUP (model BMFR/BE1 firmware 1.0, CPA
// certified) installed in the estate.
type TriageWorld struct {
	DB       *store.DB
	Triage   *triage.Service
	Facility int64
	Operator access.Caller
	Devices  []estate.DeviceID
}

// OperatorPassword is the triage operator's password: a passphrase of
// unrelated words that the new-password rule (account.CheckPassword)
// accepts, as any real user's must be.
const OperatorPassword = "copper heron lattice 4719"

// TriageDevice is the i-th Device of a triage world.
func TriageDevice(i int) estate.DeviceID { return estate.DeviceID(0x7E1A000000000000 + uint64(i)) }

// BuildTriageWorld builds a triage world with n Devices on a migrated db.
func BuildTriageWorld(ctx context.Context, db *store.DB, n int) (*TriageWorld, error) {
	sys := access.SystemCaller("bench")
	if _, err := (&party.Service{DB: db}).Import(ctx, sys, strings.NewReader("code,name,roles,contact_name,contact_email,contact_phone\n"+
		"BTFP,Bench Triage Ltd,triage_facility_provider,Tia,tia@btfp.example,\n"+
		"BSUP,Bench Energy,large_supplier,Sol,sol@bsup.example,\n"+
		"BMFR,Bench Meters,manufacturer,Max,max@bmfr.example,\n")); err != nil {
		return nil, fmt.Errorf("parties: %w", err)
	}
	cat := strings.Join(catalogue.CatalogueHeader, ",") + "\n" +
		"BMFR,BE1,ESME,SMETS2+,1,1.0,2021-01-01,,CPA-BE1,2021-01-01,expiring,2031-01-01,,no,,,\n" +
		"BMFR,BE1,ESME,SMETS2+,1,1.1,2022-01-01,,CPA-BE1,2021-01-01,expiring,2031-01-01,,no,,,\n"
	if _, err := (&catalogue.Service{DB: db}).Import(ctx, sys, strings.NewReader(cat), catalogue.ImportOptions{}); err != nil {
		return nil, fmt.Errorf("catalogue: %w", err)
	}
	u, err := account.NewService(db).AddUser(ctx, sys, account.NewUser{Email: "operator@btfp.example", Name: "Bench operator", Org: "BTFP",
		Roles: []string{string(sec.RoleTriage)}, Password: OperatorPassword})
	if err != nil {
		return nil, fmt.Errorf("operator: %w", err)
	}
	w := &TriageWorld{DB: db, Triage: triage.NewService(db), Operator: u.Caller("bench", nil)}
	if err := w.AddDevices(ctx, 0, n); err != nil {
		return nil, err
	}
	f, err := w.Triage.Apply(ctx, sys, triage.NewFacility{Provider: "BTFP", Name: "Bench facility", Address: "1 Bench Row"})
	if err != nil {
		return nil, err
	}
	w.Facility = f.ID
	for _, ev := range []sec.FacilityEvent{sec.FacilityBeginFUSA, sec.FacilityApprove, sec.FacilityStartOperating} {
		if _, err := w.Triage.Decide(ctx, sys, f.ID, triage.Decision{Event: ev}); err != nil {
			return nil, err
		}
	}
	for _, t := range []triage.ToolInput{
		{Category: triage.CategoryTool, Serial: "BT1", Kind: "bench triage tool", Operators: []string{u.Email}},
		{Category: triage.CategoryInterface, Serial: "BI1", Kind: "optical port", Operators: []string{u.Email}},
	} {
		if _, err := w.Triage.RegisterTool(ctx, sys, f.ID, t); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// AddDevices imports Devices from..to-1 (installed, Supplier BSUP) into the
// estate through its importer.
func (w *TriageWorld) AddDevices(ctx context.Context, from, to int) error {
	var b bytes.Buffer
	b.WriteString(strings.Join(estate.DeviceHeader, ",") + "\n")
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%s,ESME,SMETS2+,BMFR,BE1,1.0,BSUP,2022-01-01,,domestic\n", TriageDevice(i))
		w.Devices = append(w.Devices, TriageDevice(i))
	}
	if _, err := estate.NewService(w.DB).ImportDevices(ctx, access.SystemCaller("bench"), &b, estate.ImportOptions{}); err != nil {
		return fmt.Errorf("devices: %w", err)
	}
	return nil
}

// IntakeCSV is a batch intake file receiving Devices from..to-1.
func IntakeCSV(from, to int) []byte {
	var b bytes.Buffer
	b.WriteString(strings.Join(triage.IntakeHeader, ",") + "\n")
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%s,BSUP depot,BT1,BI1\n", TriageDevice(i))
	}
	return b.Bytes()
}

// Intake receives Devices from..to-1 at the facility.
func (w *TriageWorld) Intake(ctx context.Context, from, to int) (triage.IntakeResult, error) {
	return w.Triage.Intake(ctx, w.Operator, w.Facility, bytes.NewReader(IntakeCSV(from, to)))
}

func itoa(i int) string { return fmt.Sprint(i) }
