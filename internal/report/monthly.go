package report

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// org is an organisation as a report names it.
type org struct {
	ID    int64
	Code  string
	Name  string
	Class sec.Classification
}

// ref names the organisation in a report. A directory entry marked RED
// names people, not organisations, as its readers, so no report names it.
func (o org) ref() OrgRef {
	if o.Class == sec.Red {
		return OrgRef{Code: "—", Name: "an organisation whose directory entry is RED (ask the SSC)"}
	}
	return OrgRef{Code: o.Code, Name: o.Name}
}

// own names the organisation in a report addressed to it.
func (o org) own() OrgRef { return OrgRef{Code: o.Code, Name: o.Name} }

// facts is what a run reads besides the snapshot: the organisations, to
// name them.
type facts struct {
	orgs map[int64]org
}

func loadFacts(ctx context.Context, q store.Querier) (facts, error) {
	f := facts{orgs: map[int64]org{}}
	ix, err := party.LoadIndex(ctx, q)
	if err != nil {
		return f, err
	}
	for _, r := range ix.All() {
		f.orgs[r.ID] = org{ID: r.ID, Code: r.Code, Name: r.Name, Class: r.Classification}
	}
	return f, nil
}

func (f facts) org(id int64) org {
	if o, ok := f.orgs[id]; ok {
		return o
	}
	return org{ID: id, Code: "?", Name: "unknown organisation"}
}

// recipients lists the organisations holding any of the roles, by code:
// those registered now, since an organisation registered after the month
// ended still operated in it. An organisation whose directory entry is RED
// gets no report: RED names people, and a report to an organisation is AMBER
// to the whole SSC, which would widen who knows of it. (The SSC includes it
// by marking the entry AMBER.)
func recipients(ctx context.Context, q store.Querier, roles ...sec.OrgRole) ([]int64, error) {
	var args access.Args
	in := make([]string, len(roles))
	for i, r := range roles {
		in[i] = args.Add(string(r))
	}
	rows, err := q.QueryContext(ctx, `SELECT o.id FROM organisations o WHERE o.classification <> 'RED' AND EXISTS (SELECT 1 FROM organisation_roles r WHERE r.org_id = o.id AND r.role IN (`+strings.Join(in, ", ")+`))
		ORDER BY o.code`, args...)
	if err != nil {
		return nil, errs.Wrap(err, "recipients")
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "recipients")
		}
		out = append(out, id)
	}
	return out, errs.Wrap(rows.Err(), "recipients")
}

// ManufacturerData is the content of a manufacturer's monthly report.
type ManufacturerData struct {
	Manufacturer OrgRef              `json:"manufacturer"`
	Suppliers    []SupplierOperating `json:"suppliers"`
	Devices      int64               `json:"devices"`
	// NoSupplier counts the manufacturer's installed Devices with no
	// Responsible Supplier recorded.
	NoSupplier int64 `json:"no_supplier_devices"`
}

// SupplierOperating is one Supplier operating a manufacturer's Devices.
type SupplierOperating struct {
	Supplier OrgRef       `json:"supplier"`
	SMETS1   int64        `json:"smets1"`
	SMETS2   int64        `json:"smets2"`
	Devices  int64        `json:"devices"`
	Models   []ModelCount `json:"models"`
}

// ModelCount is a Supplier's installed Devices of one model.
type ModelCount struct {
	Model      string         `json:"model"`
	Name       string         `json:"name"`
	DeviceType sec.DeviceType `json:"device_type"`
	Generation sec.Generation `json:"generation"`
	Devices    int64          `json:"devices"`
}

// manufacturerData builds a manufacturer's report from the snapshot rows of
// its own models only: the query that feeds it names the manufacturer in its
// WHERE, so no other manufacturer's Suppliers can appear.
func manufacturerData(f facts, mfr org, rows []snapshotRow) ManufacturerData {
	d := ManufacturerData{Manufacturer: mfr.own(), Suppliers: []SupplierOperating{}}
	bySupplier := map[int64]*SupplierOperating{}
	for _, r := range rows {
		d.Devices += r.Devices
		s, isSupplier := f.orgs[r.SupplierID]
		if r.SupplierID == 0 || !isSupplier {
			d.NoSupplier += r.Devices
			continue
		}
		so := bySupplier[r.SupplierID]
		if so == nil {
			so = &SupplierOperating{Supplier: s.ref()}
			bySupplier[r.SupplierID] = so
		}
		so.Models = append(so.Models, ModelCount{Model: r.ModelCode, Name: r.ModelName, DeviceType: r.DeviceType, Generation: r.Generation, Devices: r.Devices})
		so.Devices += r.Devices
		if r.Generation == sec.SMETS1 {
			so.SMETS1 += r.Devices
		} else {
			so.SMETS2 += r.Devices
		}
	}
	for _, so := range bySupplier {
		slices.SortFunc(so.Models, func(a, b ModelCount) int {
			return cmp.Or(strings.Compare(a.Model, b.Model), strings.Compare(string(a.Generation), string(b.Generation)))
		})
		d.Suppliers = append(d.Suppliers, *so)
	}
	slices.SortFunc(d.Suppliers, func(a, b SupplierOperating) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Supplier.Name), strings.ToLower(b.Supplier.Name)), strings.Compare(a.Supplier.Code, b.Supplier.Code))
	})
	return d
}

func manufacturerSections(d ManufacturerData, m Month) []Section {
	summary := &Table{
		Columns: []Column{{Name: "Supplier code"}, {Name: "Supplier"}, {Name: "SMETS1", Num: true}, {Name: "SMETS2+", Num: true}, {Name: "Devices", Num: true}},
		Empty:   "No Supplier operated any of your Devices at the end of the month.",
	}
	byModel := &Table{
		Columns: []Column{{Name: "Supplier code"}, {Name: "Supplier"}, {Name: "Model"}, {Name: "Model name"}, {Name: "Device type"}, {Name: "Generation"}, {Name: "Devices", Num: true}},
		Empty:   "No Devices.",
	}
	var s1, s2, total int64
	for _, s := range d.Suppliers {
		summary.Rows = append(summary.Rows, []string{s.Supplier.Code, s.Supplier.Name, itoa(s.SMETS1), itoa(s.SMETS2), itoa(s.Devices)})
		s1, s2, total = s1+s.SMETS1, s2+s.SMETS2, total+s.Devices
		for _, mc := range s.Models {
			byModel.Rows = append(byModel.Rows, []string{s.Supplier.Code, s.Supplier.Name, mc.Model, mc.Name, string(mc.DeviceType), string(mc.Generation), itoa(mc.Devices)})
		}
	}
	if len(d.Suppliers) > 0 {
		summary.Foot = []string{"", "Total", itoa(s1), itoa(s2), itoa(total)}
		byModel.Foot = []string{"", "Total", "", "", "", "", itoa(total)}
	}
	intro := "Under SEC Section G the Security Sub-Committee tells each Device manufacturer every month which Energy Suppliers operate its Devices, so that it can notify each of them of a material security vulnerability and its rectification (G3.18, G3.20). " +
		"These are the Responsible Suppliers of your installed Devices at the end of " + m.Label() + ", counted from the estate's records."
	secs := []Section{
		{ID: "suppliers", Heading: "Suppliers operating your Devices", Intro: intro, Table: summary},
		{ID: "models", Heading: "By model and generation", Intro: "Each Supplier's installed Devices of each of your models.", Table: byModel},
	}
	if d.NoSupplier > 0 {
		secs[0].Intro += " A further " + thousands(itoa(d.NoSupplier)) + " of your Devices had no Responsible Supplier recorded."
	}
	return secs
}

// SupplierData is the content of a Supplier's monthly report.
type SupplierData struct {
	Supplier      OrgRef                 `json:"supplier"`
	Manufacturers []ManufacturerContacts `json:"manufacturers"`
}

// ManufacturerContacts is a manufacturer with its security contacts.
type ManufacturerContacts struct {
	Manufacturer OrgRef    `json:"manufacturer"`
	Contacts     []Contact `json:"contacts"`
}

// Contact is a security contact as a report lists it.
type Contact struct {
	Label  string `json:"label"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Phone  string `json:"phone,omitempty"`
	PGPKey string `json:"pgp_key,omitempty"`
}

// orgViewer is an organisation as the reader of a report addressed to it: it
// sees what the organisation's standing alone shows its people (WHITE,
// GREEN, and AMBER records naming it) and no RED record, since RED records
// name people, never organisations. UserID -1 belongs to no one.
func orgViewer(orgID int64) access.Caller {
	return access.Caller{UserID: -1, OrgID: orgID, Name: "report recipient", Via: "system"}
}

// supplierData lists, for a Supplier, every manufacturer whose directory
// entry the Supplier may see, with the security contacts that were current
// at asAt. The Supplier's visibility is in the WHERE.
func supplierData(ctx context.Context, q store.Querier, f facts, supplier org, asAt time.Time) (SupplierData, error) {
	d := SupplierData{Supplier: supplier.own(), Manufacturers: []ManufacturerContacts{}}
	args := access.Args{asAt}
	vis := orgViewer(supplier.ID).Visible(&args, "party", "o", "o.id")
	rows, err := q.QueryContext(ctx, `SELECT o.id, c.label, c.name, c.email, c.phone, c.pgp_key
		FROM organisations o
		LEFT JOIN security_contacts c ON c.org_id = o.id AND c.valid_from <= $1 AND (c.valid_to IS NULL OR c.valid_to > $1)
		WHERE EXISTS (SELECT 1 FROM organisation_roles r WHERE r.org_id = o.id AND r.role = 'manufacturer')
		AND `+vis+`
		ORDER BY o.id, c.label`, args...)
	if err != nil {
		return d, errs.Wrap(err, "manufacturers' contacts")
	}
	defer rows.Close()
	byID := map[int64]*ManufacturerContacts{}
	var order []int64
	for rows.Next() {
		var id int64
		var label, name, email, phone, pgp *string
		if err := rows.Scan(&id, &label, &name, &email, &phone, &pgp); err != nil {
			return d, errs.Wrap(err, "manufacturers' contacts")
		}
		mc := byID[id]
		if mc == nil {
			mc = &ManufacturerContacts{Manufacturer: f.org(id).ref(), Contacts: []Contact{}}
			byID[id] = mc
			order = append(order, id)
		}
		if label != nil {
			mc.Contacts = append(mc.Contacts, Contact{Label: *label, Name: *name, Email: *email, Phone: *phone, PGPKey: *pgp})
		}
	}
	if err := rows.Err(); err != nil {
		return d, errs.Wrap(err, "manufacturers' contacts")
	}
	for _, id := range order {
		d.Manufacturers = append(d.Manufacturers, *byID[id])
	}
	slices.SortFunc(d.Manufacturers, func(a, b ManufacturerContacts) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Manufacturer.Name), strings.ToLower(b.Manufacturer.Name)), strings.Compare(a.Manufacturer.Code, b.Manufacturer.Code))
	})
	return d, nil
}

func supplierSections(d SupplierData, m Month) []Section {
	t := &Table{
		Columns: []Column{{Name: "Manufacturer code"}, {Name: "Manufacturer"}, {Name: "Contact"}, {Name: "Name"}, {Name: "Email"}, {Name: "Phone"}, {Name: "PGP key"}},
		Empty:   "No manufacturer is registered.",
	}
	for _, mc := range d.Manufacturers {
		if len(mc.Contacts) == 0 {
			t.Rows = append(t.Rows, []string{mc.Manufacturer.Code, mc.Manufacturer.Name, "", "No security contact on record: ask the SSC", "", "", ""})
			continue
		}
		for _, c := range mc.Contacts {
			pgp := "no"
			if c.PGPKey != "" {
				pgp = "yes (in the JSON file)"
			}
			t.Rows = append(t.Rows, []string{mc.Manufacturer.Code, mc.Manufacturer.Name, c.Label, c.Name, c.Email, c.Phone, pgp})
		}
	}
	intro := "Under SEC Section G the Security Sub-Committee tells each Energy Supplier every month the current security contact details of every Device manufacturer, so that it can notify a manufacturer of a security vulnerability it finds and agree rectification (G3.17, G3.18). " +
		"These are the manufacturers' security contacts as they stood at the end of " + m.Label() + "."
	return []Section{{ID: "contacts", Heading: "Manufacturers' security contacts", Intro: intro, Table: t}}
}
