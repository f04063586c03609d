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
	Roles []sec.OrgRole
}

// ref names the organisation in a report. Only organisations the duty
// requires are ever named (sec.NameUnderDuty), and those are named in full,
// whatever their directory marking.
func (o org) ref() OrgRef { return OrgRef{Code: o.Code, Name: o.Name} }

// own names the organisation in a report addressed to it.
func (o org) own() OrgRef { return o.ref() }

// disclosure is an organisation a report names although its directory
// marking alone would keep it from the report's recipient: the duty
// overrides the marking for that recipient only. recipient marks the
// report's own recipient, owed its report although its entry is RED. Each is
// stored with the report (report_disclosures), audited, and read in the
// report's WHERE so that no third party reads the report.
type disclosure struct {
	Org       org
	Duty      sec.MonthlyDuty
	Recipient bool
	Reason    string
}

// facts is what a run reads besides the snapshot: the organisations, to
// name them, with their roles.
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
		f.orgs[r.ID] = org{ID: r.ID, Code: r.Code, Name: r.Name, Class: r.Classification, Roles: r.Roles}
	}
	return f, nil
}

func (f facts) org(id int64) org {
	if o, ok := f.orgs[id]; ok {
		return o
	}
	return org{ID: id, Code: "?", Name: "unknown organisation"}
}

// recipients lists the organisations owed the duty's report, by code: every
// one registered now (an organisation registered after the month ended still
// operated in it), whatever its directory marking. The duty is owed to every
// manufacturer and every Supplier (sec.MonthlyDuty.Recipient); one whose own
// entry is RED still gets its report, and that is recorded as an override
// (selfDisclosure) so that the report stays hidden from anyone who may not
// see the entry.
func (f facts) recipients(duty sec.MonthlyDuty) []org {
	var out []org
	for _, o := range f.orgs {
		if duty.Recipient(o.Roles) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b org) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// selfDisclosure is the override of a RED recipient's own marking: the
// report names it, as its recipient, to whoever reads the report.
func selfDisclosure(o org, duty sec.MonthlyDuty) []disclosure {
	if o.Class != sec.Red {
		return nil
	}
	return []disclosure{{Org: o, Duty: duty, Recipient: true,
		Reason: "owed the duty's report whatever its marking: its RED directory entry does not take it out of the mailing"}}
}

// openTo lists the organisations whose directory entries the recipient's
// marking lets it see (orgViewer: WHITE, GREEN, AMBER naming it; never RED),
// decided in SQL as every read of the directory is.
func openTo(ctx context.Context, q store.Querier, recipient int64) (map[int64]bool, error) {
	var args access.Args
	vis := orgViewer(recipient).Visible(&args, "party", "o", "o.id")
	rows, err := q.QueryContext(ctx, "SELECT o.id FROM organisations o WHERE "+vis, args...)
	if err != nil {
		return nil, errs.Wrap(err, "directory entries")
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, errs.Wrap(err, "directory entries")
		}
		out[id] = true
	}
	return out, errs.Wrap(rows.Err(), "directory entries")
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
// WHERE, so no other manufacturer's Suppliers can appear. Each Supplier
// operating its Devices is named as sec.NameUnderDuty decides (always, under
// the duty), and the ones whose marking the duty overrides are returned.
// open is the set of directory entries the manufacturer may see by marking.
func manufacturerData(f facts, mfr org, rows []snapshotRow, open map[int64]bool) (ManufacturerData, []disclosure) {
	d := ManufacturerData{Manufacturer: mfr.own(), Suppliers: []SupplierOperating{}}
	disclosed := selfDisclosure(mfr, sec.DutyOperatingSuppliers)
	bySupplier := map[int64]*SupplierOperating{}
	for _, r := range rows {
		d.Devices += r.Devices
		s, known := f.orgs[r.SupplierID]
		ans := sec.NameUnderDuty(sec.Naming{Duty: sec.DutyOperatingSuppliers, RecipientRoles: mfr.Roles, SubjectRoles: s.Roles,
			Operates: r.Devices > 0, Marking: s.Class, SeesByMarking: open[s.ID]})
		if r.SupplierID == 0 || !known || !ans.Named {
			// No Responsible Supplier, or one no longer registered as a
			// Supplier: counted, never named.
			d.NoSupplier += r.Devices
			continue
		}
		so := bySupplier[r.SupplierID]
		if so == nil {
			so = &SupplierOperating{Supplier: s.ref()}
			bySupplier[r.SupplierID] = so
			if ans.Override {
				disclosed = append(disclosed, disclosure{Org: s, Duty: sec.DutyOperatingSuppliers, Reason: ans.Reason})
			}
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
	slices.SortFunc(disclosed, func(a, b disclosure) int { return strings.Compare(a.Org.Code, b.Org.Code) })
	return d, disclosed
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

// contactsAt reads every manufacturer's security contacts current at asAt,
// once for the whole mailing: the duty gives every Supplier all of them.
func contactsAt(ctx context.Context, q store.Querier, asAt time.Time) (map[int64][]Contact, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.org_id, c.label, c.name, c.email, c.phone, c.pgp_key FROM security_contacts c
		WHERE c.valid_from <= $1 AND (c.valid_to IS NULL OR c.valid_to > $1)
		AND EXISTS (SELECT 1 FROM organisation_roles r WHERE r.org_id = c.org_id AND r.role = 'manufacturer')
		ORDER BY c.org_id, c.label`, asAt)
	if err != nil {
		return nil, errs.Wrap(err, "manufacturers' contacts")
	}
	defer rows.Close()
	out := map[int64][]Contact{}
	for rows.Next() {
		var id int64
		var c Contact
		if err := rows.Scan(&id, &c.Label, &c.Name, &c.Email, &c.Phone, &c.PGPKey); err != nil {
			return nil, errs.Wrap(err, "manufacturers' contacts")
		}
		out[id] = append(out[id], c)
	}
	return out, errs.Wrap(rows.Err(), "manufacturers' contacts")
}

// supplierData lists, for a Supplier, every manufacturer with the security
// contacts that were current at the month's end: the duty names all of
// them (sec.NameUnderDuty), and returns the ones whose marking it overrides
// for this Supplier. open is the set of directory entries the Supplier may
// see by marking.
func supplierData(f facts, supplier org, contacts map[int64][]Contact, open map[int64]bool) (SupplierData, []disclosure) {
	d := SupplierData{Supplier: supplier.own(), Manufacturers: []ManufacturerContacts{}}
	disclosed := selfDisclosure(supplier, sec.DutyManufacturerContacts)
	for _, m := range f.orgs {
		ans := sec.NameUnderDuty(sec.Naming{Duty: sec.DutyManufacturerContacts, RecipientRoles: supplier.Roles, SubjectRoles: m.Roles,
			Marking: m.Class, SeesByMarking: open[m.ID]})
		if !ans.Named {
			continue
		}
		if ans.Override {
			disclosed = append(disclosed, disclosure{Org: m, Duty: sec.DutyManufacturerContacts, Reason: ans.Reason})
		}
		d.Manufacturers = append(d.Manufacturers, ManufacturerContacts{Manufacturer: m.ref(), Contacts: append([]Contact{}, contacts[m.ID]...)})
	}
	slices.SortFunc(d.Manufacturers, func(a, b ManufacturerContacts) int {
		return cmp.Or(strings.Compare(strings.ToLower(a.Manufacturer.Name), strings.ToLower(b.Manufacturer.Name)), strings.Compare(a.Manufacturer.Code, b.Manufacturer.Code))
	})
	slices.SortFunc(disclosed, func(a, b disclosure) int { return strings.Compare(a.Org.Code, b.Org.Code) })
	return d, disclosed
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
