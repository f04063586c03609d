package party_test

import (
	"context"
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/store/storetest"
)

var sys = access.SystemCaller("test")

func TestContactHistoryIsNeverRewritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &party.Service{DB: db}
		if _, err := s.Create(ctx, sys, party.NewParty{Code: "ARDM", Name: "Ardent", Roles: []string{"manufacturer"},
			Contacts: []party.ContactInput{{Name: "First", Email: "first@ardent.example.org"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetContact(ctx, sys, "ARDM", party.ContactInput{Name: "Second", Email: "second@ardent.example.org"}); err != nil {
			t.Fatal(err)
		}
		// Setting the same details again is not a change.
		if _, err := s.SetContact(ctx, sys, "ARDM", party.ContactInput{Name: "Second", Email: "second@ardent.example.org"}); err != nil {
			t.Fatal(err)
		}
		hist, err := s.Contacts(ctx, sys, "ARDM", true)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[0].Name != "Second" || hist[0].ValidTo != nil || hist[1].Name != "First" || hist[1].ValidTo == nil {
			t.Fatalf("history: %+v", hist)
		}
		cur, _ := s.Contacts(ctx, sys, "ARDM", false)
		if len(cur) != 1 || cur[0].Email != "second@ardent.example.org" {
			t.Fatalf("current: %+v", cur)
		}
	})
}

func TestImportIsAllOrNothingAndRepeatable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &party.Service{DB: db}
		good := "code,name,roles,contact_name,contact_email,contact_phone\n" +
			"BWE,Brightwater Energy,large_supplier,Priya,psirt@bwe.example.org,+44 161 496 0300\n" +
			"ARDM,Ardent Metering,manufacturer;map,,,\n"
		res, err := s.Import(ctx, sys, strings.NewReader(good))
		if err != nil || res.Created != 2 {
			t.Fatalf("import: %+v %v", res, err)
		}
		res, err = s.Import(ctx, sys, strings.NewReader(good))
		if err != nil || res.Unchanged != 2 || res.Created+res.Updated != 0 {
			t.Fatalf("re-import: %+v %v", res, err)
		}
		bad := "code,name,roles,contact_name,contact_email,contact_phone\n" +
			"NEW1,New One,manufacturer,,,\n" +
			"x,Bad Code,manufacturer,,,\n" +
			"NEW2,,wizard,A,not-an-email,\n" +
			"NEW1,Twice,manufacturer,,,\n" +
			"NEW3,Short,manufacturer\n"
		_, err = s.Import(ctx, sys, strings.NewReader(bad))
		e := errs.As(err)
		if e.Code != errs.Invalid {
			t.Fatalf("bad file: %v", err)
		}
		for _, want := range []string{"line 3: code", "line 4: name", "line 4: roles", "line 4: contact", "line 5: code: NEW1 already appears on line 2", "line 6"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		if _, err := s.Get(ctx, sys, "NEW1"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("a rejected file left NEW1 behind: %v", err)
		}
		if _, err := s.Import(ctx, sys, strings.NewReader("code,name\nA,B\n")); err == nil || !strings.Contains(err.Error(), "header must be") {
			t.Fatalf("bad header: %v", err)
		}
	})
}

func TestOnlyTheSSCRegisters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &party.Service{DB: db}
		supplier := access.Caller{UserID: 1, OrgID: 1, Roles: nil}
		_, err := s.Create(context.Background(), supplier, party.NewParty{Code: "X1", Name: "X", Roles: []string{"dcc"}})
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("err = %v", err)
		}
	})
}
