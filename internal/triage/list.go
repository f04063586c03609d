package triage

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/uk"
)

// The triage lists of issue 15 on the shared paging core: facilities (and
// the overview, a report per facility of the same list), a facility's tools,
// its record, the Devices in triage and the outcomes by model. Each is
// keyset-paged, sorted by its columns, filtered and exported with the same
// filters.

func facilityStates() []string {
	var out []string
	for _, s := range sec.FacilityLifecycle.States() {
		out = append(out, string(s))
	}
	return out
}

func triageStates() []string {
	var out []string
	for _, s := range sec.TriageLifecycle.States() {
		out = append(out, string(s))
	}
	return out
}

func triageSteps() []string {
	var out []string
	for _, s := range sec.TriageSteps {
		out = append(out, string(s))
	}
	return out
}

// ukDay is the instant a UK day starts, for a date range over timestamps.
func ukDay(d sec.Date) time.Time {
	t := d.Time()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, uk.London).UTC()
}

// dateRange adds the request's from/to over the timestamp column col.
func dateRange(where []string, args *access.Args, req listing.Request, col string) []string {
	if !req.From.IsZero() {
		where = append(where, col+" >= "+args.Add(ukDay(req.From)))
	}
	if !req.To.IsZero() {
		where = append(where, col+" < "+args.Add(ukDay(req.To).AddDate(0, 0, 1)))
	}
	return where
}

// like is "lower(col) LIKE p" for each column, ORed.
func like(p string, cols ...string) string {
	var or []string
	for _, c := range cols {
		or = append(or, "lower("+c+") LIKE "+p+" ESCAPE '\\'")
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Facilities.

// FacilitySpec is what the facility list and the overview accept.
var FacilitySpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "name", Label: "Facility", Expr: "f.name", Kind: listing.Text},
		{Name: "provider", Label: "Provider", Expr: "o.code", Kind: listing.Text},
		{Name: "state", Label: "Status", Expr: "f.status", Kind: listing.Text},
		{Name: "entries", Label: "Entries", Expr: "f.head_seq", Kind: listing.Int},
		{Name: "applied", Label: "Applied", Expr: "f.created_at", Kind: listing.Time},
	},
	Default: "provider",
	ID:      "f.id",
	Facets: []listing.Facet{
		{Name: "state", Description: "only facilities in this status", Enum: facilityStates()},
		{Name: "provider", Description: "only facilities of this provider (organisation code)"},
	},
	Search: "text in the facility's name or address, or its provider's code or name",
	Dates:  "the day it was applied for",
}

// FacilityCSVHeader is the header of the facility list's export.
var FacilityCSVHeader = []string{"id", "name", "provider", "provider_name", "address", "status", "breach_policy", "assessment_id", "entries", "created_at", "updated_at"}

// CSV is the facility as a row of the export (ISO dates).
func (f Facility) CSV() []string {
	aid := ""
	if f.AssessmentID != 0 {
		aid = strconv.FormatInt(f.AssessmentID, 10)
	}
	return []string{strconv.FormatInt(f.ID, 10), f.Name, f.Provider, f.ProviderName, f.Address, string(f.Status), string(f.BreachPolicy),
		aid, strconv.FormatInt(f.Entries, 10), iso(f.CreatedAt), iso(f.UpdatedAt)}
}

func (s *Service) facilityQuery(c access.Caller) listing.Query[Facility] {
	return listing.Query[Facility]{
		What:    "list triage facilities",
		Columns: func(*access.Args) string { return facilityCols },
		From:    facilityFrom,
		Where: func(args *access.Args, req listing.Request) string {
			where := []string{facilityVisible(c, args)}
			if st := req.Facet("state"); st != "" {
				where = append(where, "f.status = "+args.Add(st))
			}
			if p := req.Facet("provider"); p != "" {
				where = append(where, "o.code = "+args.Add(strings.ToUpper(p)))
			}
			if req.Q != "" {
				where = append(where, like(args.Add(listing.Like(req.Q)), "f.name", "f.address", "o.code", "o.name"))
			}
			return strings.Join(dateRange(where, args, req, "f.created_at"), " AND ")
		},
		Scan: func(r listing.Scanner) (Facility, error) { return scanFacility(r) },
		Key: func(f Facility, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "name":
				return f.Name, f.ID
			case "provider":
				return f.Provider, f.ID
			case "state":
				return string(f.Status), f.ID
			case "entries":
				return f.Entries, f.ID
			}
			return f.CreatedAt, f.ID
		},
	}
}

// FacilitiesPage is one page of the facilities the caller may see, with
// the total the filters match.
func (s *Service) FacilitiesPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Facility], error) {
	var page listing.Page[Facility]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = s.facilityQuery(c).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportFacilities writes every facility the caller may see that the
// filters match to w.
func (s *Service) ExportFacilities(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return s.facilityQuery(c).Export(ctx, tx, req, w, Facility.CSV)
	})
}

// Overview.

// OverviewCSVHeader is the header of the overview's export: a facility's
// report, the Devices by state as "state=n" pairs.
var OverviewCSVHeader = []string{"facility_id", "facility", "provider", "status", "entries", "seals", "breaches", "devices_by_state"}

// CSV is the report as a row of the overview's export.
func (r FacilityReport) CSV() []string {
	var states []string
	for _, st := range r.States {
		states = append(states, string(st.State)+"="+strconv.FormatInt(st.Devices, 10))
	}
	return []string{strconv.FormatInt(r.FacilityID, 10), r.Facility, r.Provider, string(r.Status), strconv.FormatInt(r.Entries, 10),
		strconv.FormatInt(r.Seals, 10), strconv.FormatInt(r.Breaches, 10), strings.Join(states, ";")}
}

// OverviewPage is the report of each facility on one page of the facility
// list (FacilitySpec): the SSC's view across facilities a page at a time.
func (s *Service) OverviewPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[FacilityReport], error) {
	fs, err := s.FacilitiesPage(ctx, c, req)
	if err != nil {
		return listing.Page[FacilityReport]{}, err
	}
	out := listing.Page[FacilityReport]{Items: make([]FacilityReport, 0, len(fs.Items)), Total: fs.Total,
		NextCursor: fs.NextCursor, PrevCursor: fs.PrevCursor, Limit: fs.Limit, Sort: fs.Sort}
	for _, f := range fs.Items {
		rep, err := s.Report(ctx, c, f.ID)
		if err != nil {
			return out, err
		}
		out.Items = append(out.Items, rep)
	}
	return out, nil
}

// ExportOverview writes the report of every facility the filters match.
// The facilities are read first (they are few: each is an SSC-approved
// site), then each report, so no statement runs while another's rows are
// open.
func (s *Service) ExportOverview(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	var ids []int64
	if err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return s.facilityQuery(c).Each(ctx, tx, req.Export(), func(f Facility) error { ids = append(ids, f.ID); return nil })
	}); err != nil {
		return err
	}
	for _, id := range ids {
		rep, err := s.Report(ctx, c, id)
		if err != nil {
			return err
		}
		if err := w.Row(rep.CSV(), rep); err != nil {
			return err
		}
	}
	return nil
}

// Tools.

// ToolSpec is what a facility's list of tools and interfaces accepts.
var ToolSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "serial", Label: "Serial", Expr: "t.serial", Kind: listing.Text},
		{Name: "category", Label: "Kind", Expr: "t.category", Kind: listing.Text},
		{Name: "kind", Label: "Description", Expr: "t.kind", Kind: listing.Text},
		{Name: "uses", Label: "Uses", Expr: toolUses, Kind: listing.Int},
		{Name: "registered", Label: "Registered", Expr: "t.created_at", Kind: listing.Time},
	},
	Default: "serial",
	ID:      "t.id",
	Facets: []listing.Facet{
		{Name: "category", Description: "only Triage Tools (tool) or Triage Interfaces (interface)", Enum: []string{string(CategoryTool), string(CategoryInterface)}},
	},
	Search: "text in the serial, description or firmware",
}

const toolUses = "(SELECT COUNT(*) FROM triage_entries e WHERE e.facility_id = t.facility_id AND (e.tool_id = t.id OR e.interface_id = t.id))"

// ToolCSVHeader is the header of the tool list's export.
var ToolCSVHeader = []string{"id", "facility_id", "category", "serial", "kind", "firmware", "operators", "uses", "created_at"}

// CSV is the tool as a row of the export, its operators separated by
// semicolons.
func (t Tool) CSV() []string {
	return []string{strconv.FormatInt(t.ID, 10), strconv.FormatInt(t.FacilityID, 10), string(t.Category), t.Serial, t.Kind, t.Firmware,
		strings.Join(t.Operators, ";"), strconv.FormatInt(t.Uses, 10), iso(t.CreatedAt)}
}

// toolQuery is facility f's tools; ops are their operators by tool, read
// before (see operators).
func toolQuery(f Facility, ops map[int64][]string) listing.Query[Tool] {
	return listing.Query[Tool]{
		What: "list triage tools",
		Columns: func(*access.Args) string {
			return "t.id, t.facility_id, t.category, t.serial, t.kind, t.firmware, t.created_at, " + toolUses
		},
		From: " FROM triage_tools t",
		Where: func(args *access.Args, req listing.Request) string {
			where := []string{"t.facility_id = " + args.Add(f.ID)}
			if cat := req.Facet("category"); cat != "" {
				where = append(where, "t.category = "+args.Add(cat))
			}
			if req.Q != "" {
				where = append(where, like(args.Add(listing.Like(req.Q)), "t.serial", "t.kind", "t.firmware"))
			}
			return strings.Join(where, " AND ")
		},
		Scan: func(r listing.Scanner) (Tool, error) {
			var t Tool
			err := r.Scan(&t.ID, &t.FacilityID, &t.Category, &t.Serial, &t.Kind, &t.Firmware, &t.CreatedAt, &t.Uses)
			t.CreatedAt = t.CreatedAt.UTC()
			t.Operators = ops[t.ID]
			if t.Operators == nil {
				t.Operators = []string{}
			}
			return t, err
		},
		Key: func(t Tool, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "serial":
				return t.Serial, t.ID
			case "category":
				return t.Category, t.ID
			case "kind":
				return t.Kind, t.ID
			case "uses":
				return t.Uses, t.ID
			}
			return t.CreatedAt, t.ID
		},
	}
}

// operators are the emails allowed on each of facility id's tools.
func operators(ctx context.Context, q store.Querier, facilityID int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	err := each(ctx, q, `SELECT o.tool_id, u.email FROM triage_tool_operators o JOIN triage_tools t ON t.id = o.tool_id
		JOIN users u ON u.id = o.user_id WHERE t.facility_id = $1 ORDER BY u.email`, []any{facilityID}, func(sc scanner) error {
		var id int64
		var email string
		if err := sc.Scan(&id, &email); err != nil {
			return err
		}
		out[id] = append(out[id], email)
		return nil
	})
	return out, err
}

// ToolsPage is one page of facility id's tools and interfaces, if the
// caller may see the facility.
func (s *Service) ToolsPage(ctx context.Context, c access.Caller, facilityID int64, req listing.Request) (listing.Page[Tool], error) {
	var page listing.Page[Tool]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, facilityID)
		if err != nil {
			return err
		}
		ops, err := operators(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		page, err = toolQuery(f, ops).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportTools writes every tool of facility id the filters match to w.
func (s *Service) ExportTools(ctx context.Context, c access.Caller, facilityID int64, req listing.Request, w listing.Writer) error {
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, facilityID)
		if err != nil {
			return err
		}
		ops, err := operators(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		return toolQuery(f, ops).Export(ctx, tx, req, w, Tool.CSV)
	})
}

// The record.

// EntrySpec is what a facility's record accepts. Its id is the entry's
// number in the facility's record (unique there). "before", the former
// cursor, still works in the default order.
var EntrySpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "seq", Label: "Entry", Expr: "e.seq", Kind: listing.Int},
		{Name: "at", Label: "When, by whom", Expr: "e.at", Kind: listing.Time},
		{Name: "device", Label: "Device", Expr: "e.device_id", Kind: listing.Int},
		{Name: "step", Label: "Step", Expr: "e.step", Kind: listing.Text},
		{Name: "state", Label: "Now", Expr: "e.to_state", Kind: listing.Text},
		{Name: "operator", Label: "Operator", Expr: "e.operator", Kind: listing.Text},
	},
	Default: "-seq",
	ID:      "e.seq",
	Facets: []listing.Facet{
		{Name: "step", Description: "only entries of this Triage Activity", Enum: triageSteps()},
		{Name: "state", Description: "only entries that left the Device in this state", Enum: triageStates()},
		{Name: "device", Description: "only this Device's entries (its Device ID)"},
		{Name: "supplier", Description: "only Devices of this Responsible Supplier when received (organisation code)"},
		{Name: "manufacturer", Description: "only Devices of this manufacturer (organisation code)"},
		{Name: "model", Description: "only Devices of this model (its catalogue code)"},
		{Name: "before", Description: "the former cursor: only entries numbered below this (use cursor instead)", Type: "integer"},
	},
	Search: "text in the operator, the entry's detail (sender, note, reason, seal) or the serial of its tool or interface",
	Dates:  "the day the entry was recorded",
}

// EntryCSVHeader is the header of the record's export.
var EntryCSVHeader = []string{"facility_id", "seq", "at", "device_id", "step", "from", "to", "operator", "tool", "interface",
	"received_from", "released_to", "model", "firmware", "cpa_status", "outer", "inner", "breach_reason", "firmware_from", "firmware_to",
	"seal", "estate_status", "reason", "note", "prev_hash", "hash"}

// CSV is the entry as a row of the record's export.
func (e Entry) CSV() []string {
	d := e.Detail
	return []string{strconv.FormatInt(e.FacilityID, 10), strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.DeviceID.String(),
		string(e.Step), string(e.From), string(e.To), e.Operator, e.Tool, e.Interface,
		d.ReceivedFrom, d.ReleasedTo, d.Model, d.Firmware, d.CPAStatus, string(d.Outer), string(d.Inner), d.BreachReason, d.FirmwareFrom, d.FirmwareTo,
		d.Seal, string(d.EstateStatus), d.Reason, d.Note, e.PrevHash, e.Hash}
}

// modelFilters adds the supplier, manufacturer and model facets over the
// columns holding a Supplier's and a model's id.
func modelFilters(where []string, args *access.Args, req listing.Request, supplierCol, modelCol string) []string {
	if v := req.Facet("supplier"); v != "" {
		where = append(where, supplierCol+" IN (SELECT id FROM organisations WHERE code = "+args.Add(strings.ToUpper(v))+")")
	}
	if v := req.Facet("manufacturer"); v != "" {
		where = append(where, modelCol+" IN (SELECT dm.id FROM device_models dm JOIN organisations mo ON mo.id = dm.manufacturer_id WHERE mo.code = "+
			args.Add(strings.ToUpper(v))+")")
	}
	if v := req.Facet("model"); v != "" {
		where = append(where, modelCol+" IN (SELECT id FROM device_models WHERE lower(code) = "+args.Add(strings.ToLower(v))+")")
	}
	return where
}

// deviceFacet reads the device facet: a Device ID, or a field error naming it.
func deviceFacet(req listing.Request) (estate.DeviceID, error) {
	v := req.Facet("device")
	if v == "" {
		return 0, nil
	}
	id, err := estate.ParseDeviceID(v)
	if err != nil {
		return 0, errs.FieldError("device", "%s", strings.TrimPrefix(err.Error(), "device id "))
	}
	return id, nil
}

func entryQuery(c access.Caller, f Facility, device estate.DeviceID) listing.Query[Entry] {
	return listing.Query[Entry]{
		What:    "list triage entries",
		Columns: func(*access.Args) string { return entryListCols },
		From:    entryFrom,
		Where: func(args *access.Args, req listing.Request) string {
			where := []string{"e.facility_id = " + args.Add(f.ID), entryVisible(c, args)}
			if v := req.Facet("step"); v != "" {
				where = append(where, "e.step = "+args.Add(v))
			}
			if v := req.Facet("state"); v != "" {
				where = append(where, "e.to_state = "+args.Add(v))
			}
			if device != 0 {
				where = append(where, "e.device_id = "+args.Add(device.Int64()))
			}
			if v := req.Facet("before"); v != "" {
				n, _ := strconv.ParseInt(v, 10, 64)
				where = append(where, "e.seq < "+args.Add(n))
			}
			where = modelFilters(where, args, req, "e.supplier_id", "e.model_id")
			if req.Q != "" {
				where = append(where, like(args.Add(listing.Like(req.Q)), "e.operator", "e.detail", "t.serial", "i.serial"))
			}
			return strings.Join(dateRange(where, args, req, "e.at"), " AND ")
		},
		Scan: func(r listing.Scanner) (Entry, error) { return scanListedEntry(r) },
		Key: func(e Entry, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "at":
				return e.At, e.Seq
			case "device":
				return e.DeviceID.Int64(), e.Seq
			case "step":
				return string(e.Step), e.Seq
			case "state":
				return string(e.To), e.Seq
			case "operator":
				return e.Operator, e.Seq
			}
			return e.Seq, e.Seq
		},
	}
}

// EntriesPage is one page of facility id's record, if the caller may see
// the facility: its provider and the SSC see every entry; a Supplier reads
// its own Devices' through DeviceHistory.
func (s *Service) EntriesPage(ctx context.Context, c access.Caller, facilityID int64, req listing.Request) (listing.Page[Entry], error) {
	device, err := deviceFacet(req)
	if err != nil {
		return listing.Page[Entry]{}, err
	}
	var page listing.Page[Entry]
	err = s.DB.Read(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, facilityID)
		if err != nil {
			return err
		}
		page, err = entryQuery(c, f, device).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportEntries writes every entry of facility id's record the filters
// match to w, row by row (a record may hold a million).
func (s *Service) ExportEntries(ctx context.Context, c access.Caller, facilityID int64, req listing.Request, w listing.Writer) error {
	device, err := deviceFacet(req)
	if err != nil {
		return err
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		f, err := findFacility(ctx, tx, c, facilityID)
		if err != nil {
			return err
		}
		return entryQuery(c, f, device).Export(ctx, tx, req, w, Entry.CSV)
	})
}

// Devices in triage.

// Device is where one Device stands in triage now: its latest entry's
// state at the facility that holds (or last held) it.
type Device struct {
	DeviceID   estate.DeviceID `json:"device_id"`
	FacilityID int64           `json:"facility_id"`
	// Facility is its name, for those who may see the facility (its
	// provider and the SSC); a Supplier sees its number only.
	Facility     string          `json:"facility,omitempty"`
	State        sec.TriageState `json:"state"`
	Supplier     string          `json:"supplier"`
	Manufacturer string          `json:"manufacturer"`
	Model        string          `json:"model"`
	LastSeq      int64           `json:"last_seq"`
	UpdatedAt    time.Time       `json:"updated_at"`
}

// DeviceSpec is what the list of Devices in triage accepts.
var DeviceSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "device", Label: "Device", Expr: "td.device_id", Kind: listing.Int},
		{Name: "facility", Label: "Facility", Expr: "td.facility_id", Kind: listing.Int},
		{Name: "state", Label: "Now", Expr: "td.state", Kind: listing.Text},
		{Name: "supplier", Label: "Supplier", Expr: "so.code", Kind: listing.Text},
		{Name: "manufacturer", Label: "Manufacturer", Expr: "mo.code", Kind: listing.Text},
		{Name: "model", Label: "Model", Expr: "dm.code", Kind: listing.Text},
		{Name: "updated", Label: "Last step", Expr: "td.updated_at", Kind: listing.Time},
	},
	Default: "-updated",
	ID:      "td.device_id",
	Facets: []listing.Facet{
		{Name: "state", Description: "only Devices standing in this state (released, returned, disposed: the outcome)", Enum: triageStates()},
		{Name: "facility", Description: "only Devices at (or last at) this facility, by its id", Type: "integer"},
		{Name: "device", Description: "only this Device (its Device ID)"},
		{Name: "supplier", Description: "only Devices of this Responsible Supplier when received (organisation code)"},
		{Name: "manufacturer", Description: "only Devices of this manufacturer (organisation code)"},
		{Name: "model", Description: "only Devices of this model (its catalogue code)"},
	},
	Search: "text in the model's code or name",
	Dates:  "the day of the Device's latest step",
}

// DeviceCSVHeader is the header of the Device list's export.
var DeviceCSVHeader = []string{"device_id", "facility_id", "facility", "state", "supplier", "manufacturer", "model", "last_seq", "updated_at"}

// CSV is the Device as a row of the export.
func (d Device) CSV() []string {
	return []string{d.DeviceID.String(), strconv.FormatInt(d.FacilityID, 10), d.Facility, string(d.State), d.Supplier, d.Manufacturer, d.Model,
		strconv.FormatInt(d.LastSeq, 10), iso(d.UpdatedAt)}
}

const deviceFrom = ` FROM triage_devices td JOIN triage_facilities f ON f.id = td.facility_id
	JOIN organisations so ON so.id = td.supplier_id
	JOIN device_models dm ON dm.id = td.model_id
	JOIN organisations mo ON mo.id = td.manufacturer_id`

// deviceVisible: as an entry, a Device in triage is the facility's
// provider's, its Supplier's (when received) and the SSC's. A manufacturer
// reads its models' outcomes, never the Devices with their Supplier.
func deviceVisible(c access.Caller, args *access.Args) string {
	switch {
	case c.System || c.IsSSC():
		return "TRUE"
	case !c.SignedIn() || c.OrgID == 0 || !c.HasAny(sec.RoleTriage, sec.RoleSupplier):
		return "FALSE"
	}
	var or []string
	org := args.Add(c.OrgID)
	if c.Has(sec.RoleTriage) {
		or = append(or, "f.provider_id = "+org)
	}
	if c.Has(sec.RoleSupplier) {
		or = append(or, "td.supplier_id = "+org)
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// MaySeeDevices reports whether the caller may hold a list of Devices in
// triage: a provider (its facilities'), a Supplier (its own) and the SSC.
// The triage page asks it whether to link the list.
func MaySeeDevices(c access.Caller) bool {
	return c.System || c.IsSSC() || (c.SignedIn() && c.OrgID != 0 && c.HasAny(sec.RoleTriage, sec.RoleSupplier))
}

func deviceQuery(c access.Caller, device estate.DeviceID) listing.Query[Device] {
	return listing.Query[Device]{
		What: "list Devices in triage",
		Columns: func(args *access.Args) string {
			// The facility's name is AMBER to its provider: a Supplier
			// reading its own Devices sees the facility's number.
			return "td.device_id, td.facility_id, CASE WHEN " + facilityVisible(c, args) + " THEN f.name ELSE '' END, td.state, so.code, mo.code, dm.code, td.last_seq, td.updated_at"
		},
		From: deviceFrom,
		Where: func(args *access.Args, req listing.Request) string {
			where := []string{deviceVisible(c, args)}
			if v := req.Facet("state"); v != "" {
				where = append(where, "td.state = "+args.Add(v))
			}
			if v := req.Facet("facility"); v != "" {
				n, _ := strconv.ParseInt(v, 10, 64)
				where = append(where, "td.facility_id = "+args.Add(n))
			}
			if device != 0 {
				where = append(where, "td.device_id = "+args.Add(device.Int64()))
			}
			if v := req.Facet("supplier"); v != "" {
				where = append(where, "so.code = "+args.Add(strings.ToUpper(v)))
			}
			if v := req.Facet("manufacturer"); v != "" {
				where = append(where, "mo.code = "+args.Add(strings.ToUpper(v)))
			}
			if v := req.Facet("model"); v != "" {
				where = append(where, "lower(dm.code) = "+args.Add(strings.ToLower(v)))
			}
			if req.Q != "" {
				where = append(where, like(args.Add(listing.Like(req.Q)), "dm.code", "dm.name"))
			}
			return strings.Join(dateRange(where, args, req, "td.updated_at"), " AND ")
		},
		Scan: func(r listing.Scanner) (Device, error) {
			var d Device
			var dev int64
			err := r.Scan(&dev, &d.FacilityID, &d.Facility, &d.State, &d.Supplier, &d.Manufacturer, &d.Model, &d.LastSeq, &d.UpdatedAt)
			d.DeviceID, d.UpdatedAt = estate.DeviceIDFromInt64(dev), d.UpdatedAt.UTC()
			return d, err
		},
		Key: func(d Device, req listing.Request) (any, int64) {
			id := d.DeviceID.Int64()
			switch req.Sort.Name {
			case "device":
				return id, id
			case "facility":
				return d.FacilityID, id
			case "state":
				return string(d.State), id
			case "supplier":
				return d.Supplier, id
			case "manufacturer":
				return d.Manufacturer, id
			case "model":
				return d.Model, id
			}
			return d.UpdatedAt, id
		},
	}
}

// DevicesPage is one page of the Devices in triage the caller may see.
func (s *Service) DevicesPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Device], error) {
	device, err := deviceFacet(req)
	if err != nil {
		return listing.Page[Device]{}, err
	}
	var page listing.Page[Device]
	err = s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = deviceQuery(c, device).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportDevices writes every Device in triage the caller may see that the
// filters match to w.
func (s *Service) ExportDevices(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	device, err := deviceFacet(req)
	if err != nil {
		return err
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return deviceQuery(c, device).Export(ctx, tx, req, w, Device.CSV)
	})
}

// Outcomes by model.

// OutcomeSpec is what the outcomes by model accept.
var OutcomeSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "manufacturer", Label: "Manufacturer", Expr: "mo.code", Kind: listing.Text},
		{Name: "model", Label: "Model", Expr: "dm.code", Kind: listing.Text},
		{Name: "devices", Label: "Devices", Expr: "x.devices", Kind: listing.Int},
		{Name: "breaches", Label: "Breaches", Expr: "COALESCE(b.n, 0)", Kind: listing.Int},
	},
	Default: "manufacturer",
	ID:      "x.model_id",
	Facets: []listing.Facet{
		{Name: "outcome", Description: "only models with Devices standing in this state (released, returned, disposed: the outcome)", Enum: triageStates()},
		{Name: "manufacturer", Description: "only models of this manufacturer (organisation code)"},
		{Name: "model", Description: "only this model (its catalogue code)"},
	},
	Search: "text in the model's code or name, or its manufacturer's code or name",
}

// outcomeFrom counts each model's Devices by state (a column a state, in
// the lifecycle's order) and its breached boundary checks.
var outcomeFrom = func() string {
	var b strings.Builder
	b.WriteString(" FROM (SELECT td.model_id, td.manufacturer_id, COUNT(*) AS devices")
	for i, st := range sec.TriageLifecycle.States() {
		// The states are the lifecycle's own constants, not input.
		b.WriteString(", SUM(CASE WHEN td.state = '" + string(st) + "' THEN 1 ELSE 0 END) AS s" + strconv.Itoa(i))
	}
	b.WriteString(` FROM triage_devices td GROUP BY td.model_id, td.manufacturer_id) x
	JOIN device_models dm ON dm.id = x.model_id
	JOIN organisations mo ON mo.id = x.manufacturer_id
	LEFT JOIN (SELECT td.model_id, COUNT(*) AS n FROM triage_entries e JOIN triage_devices td ON td.device_id = e.device_id
		WHERE e.step = 'boundary_check' AND e.detail LIKE '%"breached"%' GROUP BY td.model_id) b ON b.model_id = x.model_id`)
	return b.String()
}()

// OutcomeCSVHeader is the header of the outcomes' export: a column a state.
var OutcomeCSVHeader = append([]string{"manufacturer", "model", "devices", "breaches"}, triageStates()...)

// CSV is the model's outcomes as a row of the export.
func (o ModelOutcome) CSV() []string {
	by := map[sec.TriageState]int64{}
	for _, s := range o.States {
		by[s.State] = s.Devices
	}
	row := []string{o.Manufacturer, o.Model, strconv.FormatInt(o.Devices, 10), strconv.FormatInt(o.Breaches, 10)}
	for _, st := range sec.TriageLifecycle.States() {
		row = append(row, strconv.FormatInt(by[st], 10))
	}
	return row
}

func outcomeQuery(c access.Caller) listing.Query[ModelOutcome] {
	states := sec.TriageLifecycle.States()
	return listing.Query[ModelOutcome]{
		What: "list triage outcomes",
		Columns: func(*access.Args) string {
			cols := "x.model_id, mo.code, dm.code, x.devices, COALESCE(b.n, 0)"
			for i := range states {
				cols += ", x.s" + strconv.Itoa(i)
			}
			return cols
		},
		From: outcomeFrom,
		Where: func(args *access.Args, req listing.Request) string {
			where := []string{"TRUE"}
			if !seesAllOutcomes(c) {
				where[0] = "x.manufacturer_id = " + args.Add(c.OrgID)
			}
			if v := req.Facet("outcome"); v != "" {
				for i, st := range states {
					if string(st) == v {
						where = append(where, "x.s"+strconv.Itoa(i)+" > 0")
					}
				}
			}
			if v := req.Facet("manufacturer"); v != "" {
				where = append(where, "mo.code = "+args.Add(strings.ToUpper(v)))
			}
			if v := req.Facet("model"); v != "" {
				where = append(where, "lower(dm.code) = "+args.Add(strings.ToLower(v)))
			}
			if req.Q != "" {
				where = append(where, like(args.Add(listing.Like(req.Q)), "dm.code", "dm.name", "mo.code", "mo.name"))
			}
			return strings.Join(where, " AND ")
		},
		Scan: func(r listing.Scanner) (ModelOutcome, error) {
			var o ModelOutcome
			counts := make([]int64, len(states))
			dest := []any{&o.modelID, &o.Manufacturer, &o.Model, &o.Devices, &o.Breaches}
			for i := range counts {
				dest = append(dest, &counts[i])
			}
			err := r.Scan(dest...)
			o.States = []StateCount{}
			for i, n := range counts {
				if n > 0 {
					o.States = append(o.States, StateCount{State: states[i], Devices: n})
				}
			}
			return o, err
		},
		Key: func(o ModelOutcome, req listing.Request) (any, int64) {
			switch req.Sort.Name {
			case "model":
				return o.Model, o.modelID
			case "devices":
				return o.Devices, o.modelID
			case "breaches":
				return o.Breaches, o.modelID
			}
			return o.Manufacturer, o.modelID
		},
	}
}

// outcomesAllowed refuses a caller who holds no outcomes.
func outcomesAllowed(c access.Caller) error {
	if !MaySeeOutcomes(c) {
		return errs.E(errs.Forbidden, "triage outcomes by model are for manufacturers (their own models) and the SSC")
	}
	return nil
}

// OutcomesPage is one page of the outcomes by model: a manufacturer's own
// models, or every model for the SSC.
func (s *Service) OutcomesPage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[ModelOutcome], error) {
	if err := outcomesAllowed(c); err != nil {
		return listing.Page[ModelOutcome]{}, err
	}
	var page listing.Page[ModelOutcome]
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = outcomeQuery(c).Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportOutcomes writes the outcomes of every model the filters match.
func (s *Service) ExportOutcomes(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if err := outcomesAllowed(c); err != nil {
		return err
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return outcomeQuery(c).Export(ctx, tx, req, w, ModelOutcome.CSV)
	})
}
