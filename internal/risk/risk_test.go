package risk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/risk"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store/storetest"
)

func TestRegister(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			svc := &risk.Service{DB: storetest.Open(t, engine)}
			ssc := access.Caller{UserID: 1, OrgID: 1, Name: "chair", Roles: []sec.Role{sec.RoleSSCMember}, Via: "session"}
			sup := access.Caller{UserID: 2, OrgID: 2, Name: "sup", Roles: []sec.Role{sec.RoleSupplier}, Via: "session"}

			if _, err := svc.Create(ctx, sup, risk.Input{Title: "x", Owner: "o", Likelihood: 1, Impact: 1, ReviewDate: "2027-01-01"}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("a Supplier adding a risk: %v", err)
			}
			if _, err := svc.Create(ctx, ssc, risk.Input{Title: "x", Owner: "o", Likelihood: 6, Impact: 0, ReviewDate: "soon"}); !errs.Is(err, errs.Invalid) {
				t.Errorf("out-of-range risk: %v", err)
			}
			r, err := svc.Create(ctx, ssc, risk.Input{Title: "SMKI key compromise", Owner: "DCC", Likelihood: 2, Impact: 5, ReviewDate: "2027-01-31", Treatment: "HSM audit"})
			if err != nil || r.Score != 10 || r.Band != "High" || r.Classification != sec.Amber {
				t.Fatalf("created %+v, %v", r, err)
			}
			if _, err := svc.Create(ctx, ssc, risk.Input{Title: "Supplier failure", Owner: "SECAS", Likelihood: 4, Impact: 2, ReviewDate: "2027-03-01"}); err != nil {
				t.Fatal(err)
			}
			if reg, err := svc.List(ctx, sup); err != nil || reg.Total != 0 {
				t.Errorf("a Supplier sees %+v, %v", reg.Risks, err)
			}
			if _, err := svc.Get(ctx, sup, r.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("a Supplier reading a risk: %v", err)
			}
			if _, err := svc.Update(ctx, sup, r.ID, risk.Input{Title: "x", Owner: "o", Likelihood: 1, Impact: 1, ReviewDate: "2027-01-01"}); !errs.Is(err, errs.NotFound) {
				t.Errorf("a Supplier changing a risk: %v", err)
			}
			r, err = svc.Update(ctx, ssc, r.ID, risk.Input{Title: "SMKI key compromise", Owner: "DCC", Likelihood: 3, Impact: 5, ReviewDate: "2027-01-31", Treatment: "HSM audit"})
			if err != nil || r.Score != 15 {
				t.Fatalf("updated %+v, %v", r, err)
			}
			reg, err := svc.List(ctx, ssc)
			if err != nil || reg.Total != 2 || reg.Risks[0].ID != r.ID {
				t.Fatalf("register %+v, %v", reg, err)
			}
			svg := risk.HeatMap(reg.Risks, reg.Bands, reg.Likelihoods)
			if !strings.Contains(svg, "likelihood 3, impact 5, score 15 (High): 1 risk") || strings.Contains(svg, "1 risks") || !strings.Contains(svg, "3 Possible") {
				t.Errorf("heat map: %s", svg)
			}

			// Likelihood Definitions: a band overlapping another is refused
			// and nothing is written; a good change goes into the history.
			if _, err := svc.SetLikelihood(ctx, ssc, risk.Likelihood{Level: 2, Label: "Unlikely", MinPct: 5, MaxPct: 25}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "overlaps level 3") {
				t.Errorf("overlapping likelihood: %v", err)
			}
			if _, err := svc.SetLikelihood(ctx, sup, risk.Likelihood{Level: 2, Label: "Unlikely", MinPct: 5, MaxPct: 15}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("a Supplier editing likelihoods: %v", err)
			}
			d, err := svc.SetLikelihood(ctx, ssc, risk.Likelihood{Level: 2, Label: "Unlikely", Description: "Could occur", MinPct: 5, MaxPct: 15})
			if err != nil || d.Likelihoods[1].MaxPct != 15 {
				t.Fatalf("likelihood: %+v, %v", d.Likelihoods, err)
			}
			if _, err := svc.SetBand(ctx, ssc, risk.Band{Name: "Medium", MinScore: 5, MaxScore: 10}); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "overlaps High") {
				t.Errorf("overlapping band: %v", err)
			}
			if _, err := svc.Definitions(ctx, sup); !errs.Is(err, errs.Forbidden) {
				t.Errorf("a Supplier reading the definitions: %v", err)
			}
			d, _ = svc.Definitions(ctx, ssc)
			found := 0
			for _, ch := range d.History {
				if (ch.Kind == "likelihood" && ch.Field == "max_pct" && ch.Old == "20" && ch.New == "15" && ch.Actor == "chair") ||
					(ch.Kind == "risk" && ch.Field == "likelihood" && ch.Old == "2" && ch.New == "3") {
					found++
				}
			}
			if found != 2 {
				t.Errorf("history %+v", d.History)
			}
		})
	}
}

// TestUnstorableText: text PostgreSQL cannot hold in a text column (invalid
// UTF-8, NUL), which a form post can carry, is a field error on both engines
// and nothing is written; before the fix it reached the INSERT (a 500 on
// PostgreSQL). Found by FuzzCheck.
func TestUnstorableText(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			svc := &risk.Service{DB: storetest.Open(t, engine)}
			ssc := access.Caller{UserID: 1, OrgID: 1, Name: "chair", Roles: []sec.Role{sec.RoleSSCMember}, Via: "session"}
			for field, in := range map[string]risk.Input{
				"title":     {Title: "Caf\xe9", Owner: "o", Likelihood: 1, Impact: 1, ReviewDate: "2027-01-01"},
				"owner":     {Title: "t", Owner: "a\x00b", Likelihood: 1, Impact: 1, ReviewDate: "2027-01-01"},
				"treatment": {Title: "t", Owner: "o", Likelihood: 1, Impact: 1, ReviewDate: "2027-01-01", Treatment: "\xff"},
			} {
				_, err := svc.Create(ctx, ssc, in)
				if e := errs.As(err); !errs.Is(err, errs.Invalid) || len(e.Fields) != 1 || e.Fields[0].Field != field {
					t.Errorf("%s: %v", field, err)
				}
			}
			if reg, err := svc.List(ctx, ssc); err != nil || reg.Total != 0 {
				t.Errorf("written: %+v, %v", reg.Risks, err)
			}
		})
	}
}
