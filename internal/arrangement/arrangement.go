package arrangement

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	parties "github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// RecordKind names arrangements in the audience tables and the audit trail.
const RecordKind = "arrangement"

// Org is an organisation as an arrangement shows it. Name is empty when the
// caller may not see the organisation's own record (a Supplier's entry is
// AMBER): the code is enough to tell the counterparty.
type Org struct {
	ID   int64  `json:"-"`
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
}

// Label is the name when known, else the code.
func (o Org) Label() string {
	if o.Name != "" {
		return o.Name + " (" + o.Code + ")"
	}
	return o.Code
}

// ModelRef names a Device Model: its manufacturer's code and its code.
type ModelRef struct {
	ID           int64  `json:"-"`
	Manufacturer string `json:"manufacturer"`
	Code         string `json:"code"`
	Name         string `json:"name,omitempty"`
}

// String is "MANUFACTURER/MODEL", the form inputs accept.
func (m ModelRef) String() string { return m.Manufacturer + "/" + m.Code }

// Arrangement is one notification arrangement.
type Arrangement struct {
	ID           int64  `json:"id"`
	Reference    string `json:"reference"`
	Kind         Kind   `json:"kind"`
	KindLabel    string `json:"kind_label"`
	Title        string `json:"title,omitempty"`
	Supplier     *Org   `json:"supplier,omitempty"`
	MAP          *Org   `json:"map,omitempty"`
	Manufacturer *Org   `json:"manufacturer,omitempty"`
	// AllModels covers every model of the manufacturer (or, for a contract
	// with a MAP, every model the MAP owns Devices of); otherwise Models.
	AllModels bool       `json:"all_models"`
	Models    []ModelRef `json:"models,omitempty"`
	// Materiality is the parties' agreed definition of a material security
	// vulnerability: the SEC has none, so each arrangement carries its own.
	Materiality string      `json:"materiality"`
	SECVersion  sec.Version `json:"sec_version,omitzero"`
	// Legacy, for an SSC scheme enrolment: the manufacturer agreed to notify
	// the SSC for models certified before 22 June 2020 too.
	Legacy bool     `json:"legacy,omitempty"`
	Signed sec.Date `json:"signed"`
	// Signatures, for a Letter of Intent: each party that signed it and
	// when (seeds/000: "a contract or Letter of Intent signed by both
	// parties").
	Signatures     []Signature        `json:"signatures,omitempty"`
	Effective      sec.Date           `json:"effective"`
	Expires        sec.Date           `json:"expires,omitzero"`
	Ended          sec.Date           `json:"ended,omitzero"`
	Status         Status             `json:"status"`
	State          string             `json:"state"` // on the day it was read
	Classification sec.Classification `json:"classification"`
	ConfirmedAt    *time.Time         `json:"confirmed_at,omitempty"`
	ConfirmedBy    string             `json:"confirmed_by,omitempty"`
	Evidence       []Evidence         `json:"evidence,omitempty"`
	CreatedAt      time.Time          `json:"created_at"`
	UpdatedAt      time.Time          `json:"updated_at"`
}

// InForce reports whether the arrangement counts on day d: confirmed, on or
// after its effective date, not past its expiry, not ended.
func (a Arrangement) InForce(d sec.Date) bool {
	return inForce(a.Status, a.Effective, a.Expires, a.Ended, d)
}

func inForce(st Status, effective, expires, ended sec.Date, d sec.Date) bool {
	return st != Pending && !d.Before(effective) && (expires.IsZero() || !d.After(expires)) &&
		(ended.IsZero() || d.Before(ended))
}

// StateOn describes where the arrangement stands on day d.
func (a Arrangement) StateOn(d sec.Date) string {
	switch {
	case a.Status == Pending:
		return "pending SSC confirmation"
	case !a.Ended.IsZero() && !d.Before(a.Ended):
		return "ended"
	case d.Before(a.Effective):
		return "not yet in force"
	case !a.Expires.IsZero() && d.After(a.Expires):
		return "expired"
	}
	return "in force"
}

// Parties are the organisations the arrangement names.
func (a Arrangement) Parties() []*Org {
	var out []*Org
	for _, o := range []*Org{a.Supplier, a.MAP, a.Manufacturer} {
		if o != nil {
			out = append(out, o)
		}
	}
	return out
}

// Service keeps arrangements.
type Service struct {
	DB *store.DB
	// Versions is the SEC release table an arrangement's sec_version is
	// checked against; DefaultVersions until the release history is loaded.
	Versions sec.Versions
	// Today gives the day in the regime's time zone; tests replace it.
	Today func(time.Time) sec.Date
}

// NewService returns a service on db with the default release table.
func NewService(db *store.DB) *Service {
	return &Service{DB: db, Versions: sec.DefaultVersions(), Today: sec.UKDay}
}

func (s *Service) today(t time.Time) sec.Date {
	if s.Today != nil {
		return s.Today(t)
	}
	return sec.UKDay(t)
}

// Filter narrows a listing.
type Filter struct {
	Kind  Kind   // only this kind
	Party string // only arrangements naming this organisation code
	// InForceOn, when set, keeps arrangements in force on that day.
	InForceOn sec.Date
}

// List returns every arrangement the caller may see that f matches, newest
// first: the list's query without paging, for the CLI and the demo.
func (s *Service) List(ctx context.Context, c access.Caller, f Filter) ([]Arrangement, error) {
	req := ListSpec.First()
	if f.Kind != "" {
		req.Facets["kind"] = string(f.Kind)
	}
	if f.Party != "" {
		req.Facets["party"] = f.Party
	}
	if !f.InForceOn.IsZero() {
		req.Facets["in_force_on"] = f.InForceOn.String()
	}
	return s.all(ctx, s.DB, c, req, nil)
}

// Get returns the arrangement with the reference, with its evidence files
// (not their content), if the caller may see it.
func (s *Service) Get(ctx context.Context, c access.Caller, ref string) (Arrangement, error) {
	return s.get(ctx, s.DB, c, ref)
}

func (s *Service) get(ctx context.Context, q store.Querier, c access.Caller, ref string) (Arrangement, error) {
	as, err := s.all(ctx, q, c, ListSpec.First(), func(args *access.Args) string {
		return "a.reference = " + args.Add(strings.TrimSpace(ref))
	})
	if err != nil {
		return Arrangement{}, err
	}
	if len(as) == 0 {
		return Arrangement{}, errs.NotFoundf("arrangement", ref)
	}
	a := as[0]
	a.Evidence, err = evidenceOf(ctx, q, a.ID)
	return a, err
}

// loadModels fills in the covered models of the listed arrangements.
func (s *Service) loadModels(ctx context.Context, q store.Querier, c access.Caller, as []Arrangement) error {
	idx := map[int64]int{}
	var args access.Args
	var ph []string
	for i, a := range as {
		as[i].Models = nil // by code from the list's aggregate: now with names
		if !a.AllModels {
			idx[a.ID] = i
			ph = append(ph, args.Add(a.ID))
		}
	}
	if len(ph) == 0 {
		return nil
	}
	// Model names are shown where the caller may see the model (the
	// catalogue marks models GREEN by default).
	name := "CASE WHEN " + c.Visible(&args, "device_model", "m", "m.manufacturer_id") + " THEN m.name ELSE '' END"
	rows, err := q.QueryContext(ctx, `SELECT am.arrangement_id, m.id, o.code, m.code, `+name+`
		FROM arrangement_models am JOIN device_models m ON m.id = am.model_id JOIN organisations o ON o.id = m.manufacturer_id
		WHERE am.arrangement_id IN (`+strings.Join(ph, ", ")+`) ORDER BY o.code, m.code`, args...)
	if err != nil {
		return errs.Wrap(err, "arrangement models")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var m ModelRef
		if err := rows.Scan(&id, &m.ID, &m.Manufacturer, &m.Code, &m.Name); err != nil {
			return errs.Wrap(err, "arrangement models")
		}
		as[idx[id]].Models = append(as[idx[id]].Models, m)
	}
	return errs.Wrap(rows.Err(), "arrangement models")
}

// Input is an arrangement as submitted (API, form or CSV row). Parties are
// organisation codes; models are "MANUFACTURER/MODEL" codes, or just "MODEL"
// when the arrangement names a manufacturer; dates are YYYY-MM-DD.
type Input struct {
	Reference      string   `json:"reference,omitempty"`
	Kind           string   `json:"kind"`
	Title          string   `json:"title,omitempty"`
	Supplier       string   `json:"supplier,omitempty"`
	MAP            string   `json:"map,omitempty"`
	Manufacturer   string   `json:"manufacturer,omitempty"`
	AllModels      bool     `json:"all_models,omitempty"`
	Models         []string `json:"models,omitempty"`
	Materiality    string   `json:"materiality"`
	SECVersion     string   `json:"sec_version,omitempty"`
	Legacy         bool     `json:"legacy,omitempty"`
	Signed         string   `json:"signed"`
	Effective      string   `json:"effective"`
	Expires        string   `json:"expires,omitempty"`
	Classification string   `json:"classification,omitempty"`
	// Signatures of a Letter of Intent: at most one for each of its two
	// parties.
	Signatures []SignatureInput `json:"signatures,omitempty"`
}

// SignatureInput is one party's signature of a Letter of Intent as
// submitted: the party's organisation code and the day (YYYY-MM-DD).
type SignatureInput struct {
	Party  string `json:"party"`
	Signed string `json:"signed"`
}

// Signature is one party's signature of a Letter of Intent.
type Signature struct {
	Party  Org      `json:"party"`
	Signed sec.Date `json:"signed"`
}

// SignedByBoth reports whether both parties of a Letter of Intent had signed
// it by day d: then it counts for G3.20 coverage as a contract does.
func (a Arrangement) SignedByBoth(d sec.Date) bool {
	return a.Kind == LetterOfIntent && BothSigned(a.Signatures, d)
}

// BothSigned reports whether two signatures were given by day d.
func BothSigned(sigs []Signature, d sec.Date) bool {
	n := 0
	for _, s := range sigs {
		if !s.Signed.IsZero() && !s.Signed.After(d) {
			n++
		}
	}
	return n >= 2
}

// Update changes an arrangement's terms; nil fields stay as they are. The
// kind and the parties never change: that is a new arrangement.
type Update struct {
	Title          *string   `json:"title,omitempty"`
	AllModels      *bool     `json:"all_models,omitempty"`
	Models         *[]string `json:"models,omitempty"`
	Materiality    *string   `json:"materiality,omitempty"`
	SECVersion     *string   `json:"sec_version,omitempty"`
	Legacy         *bool     `json:"legacy,omitempty"`
	Signed         *string   `json:"signed,omitempty"`
	Effective      *string   `json:"effective,omitempty"`
	Expires        *string   `json:"expires,omitempty"`
	Classification *string   `json:"classification,omitempty"`
	// Signatures replaces a Letter of Intent's signatures: give both to
	// record the second party signing.
	Signatures *[]SignatureInput `json:"signatures,omitempty"`
}

// terms is an arrangement checked and resolved, ready to store.
type terms struct {
	reference      string
	kind           Kind
	title          string
	supplier       *party
	mapOrg         *party
	manufacturer   *party
	allModels      bool
	models         []model
	materiality    string
	secVersion     sec.Version
	legacy         bool
	signed         sec.Date
	effective      sec.Date
	expires        sec.Date
	classification sec.Classification
	signatures     [2]sigTerm
}

type party struct {
	id    int64
	code  string
	roles []sec.OrgRole
}

type model struct {
	id             int64
	manufacturerID int64
	manufacturer   string
	code           string
}

func (t terms) partyIDs() []int64 {
	var out []int64
	for _, p := range []*party{t.supplier, t.mapOrg, t.manufacturer} {
		if p != nil {
			out = append(out, p.id)
		}
	}
	return out
}

func idOf(p *party) int64 {
	if p == nil {
		return 0
	}
	return p.id
}

var referenceRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$`)

// Limits on free text.
const (
	maxTitle       = 200
	maxMateriality = 4000
)

// resolver looks up parties and models inside a transaction, caching what it
// found, so an import of many rows asks once per code.
type resolver struct {
	tx      *store.Tx
	parties map[string]*party
	models  map[string]*model
}

func newResolver(tx *store.Tx) *resolver {
	return &resolver{tx: tx, parties: map[string]*party{}, models: map[string]*model{}}
}

func (r *resolver) party(ctx context.Context, code string) (*party, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if p, ok := r.parties[code]; ok {
		return p, nil
	}
	ref, ok, err := parties.Lookup(ctx, r.tx, code)
	if err != nil {
		return nil, err
	}
	var p *party
	if ok {
		p = &party{id: ref.ID, code: ref.Code, roles: ref.Roles}
	}
	r.parties[code] = p
	return p, nil
}

func (r *resolver) model(ctx context.Context, manufacturer, code string) (*model, error) {
	key := strings.ToUpper(manufacturer) + "/" + strings.ToUpper(code)
	if m, ok := r.models[key]; ok {
		return m, nil
	}
	var m model
	err := r.tx.QueryRowContext(ctx, `SELECT m.id, m.manufacturer_id, o.code, m.code FROM device_models m
		JOIN organisations o ON o.id = m.manufacturer_id WHERE upper(o.code) = $1 AND upper(m.code) = $2`,
		strings.ToUpper(manufacturer), strings.ToUpper(code)).Scan(&m.id, &m.manufacturerID, &m.manufacturer, &m.code)
	if err == sql.ErrNoRows {
		r.models[key] = nil
		return nil, nil
	}
	if err != nil {
		return nil, errs.Wrap(err, "find model")
	}
	r.models[key] = &m
	return &m, nil
}

// sigTerm is a checked signature: zero party when absent.
type sigTerm struct {
	party int64
	on    sec.Date
}

// check turns an Input into terms, listing every problem. today bounds the
// signing date.
func (s *Service) check(ctx context.Context, r *resolver, in Input, today sec.Date) (terms, error) {
	var fields []errs.Field
	bad := func(field, format string, args ...any) {
		fields = append(fields, errs.Field{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	t := terms{reference: strings.TrimSpace(in.Reference), title: strings.TrimSpace(in.Title),
		materiality: strings.TrimSpace(in.Materiality), allModels: in.AllModels, legacy: in.Legacy}
	if t.reference != "" && !referenceRE.MatchString(t.reference) {
		bad("reference", "must be 2 to 40 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	k, err := ParseKind(in.Kind)
	if err != nil {
		bad("kind", "%v", err)
	}
	t.kind = k
	if len([]rune(t.title)) > maxTitle || strings.ContainsAny(t.title, "\r\n\x00") {
		bad("title", "must be one line of at most %d characters", maxTitle)
	}
	switch {
	case t.materiality == "" && k != SSCScheme:
		bad("materiality", "is required: the parties' agreed definition of a material security vulnerability (the SEC gives none)")
	case len([]rune(t.materiality)) > maxMateriality || strings.ContainsRune(t.materiality, 0):
		bad("materiality", "must be text of at most %d characters", maxMateriality)
	}
	if v := strings.TrimSpace(in.SECVersion); v != "" {
		rel, err := s.versions().Lookup(v)
		if err != nil {
			bad("sec_version", "%v", err)
		}
		t.secVersion = rel.Version
	}
	if t.legacy && k != SSCScheme && k != "" {
		bad("legacy", "applies only to an SSC scheme enrolment")
	}
	t.classification = sec.Amber
	if in.Classification != "" {
		cl, err := sec.ParseClassification(in.Classification)
		switch {
		case err != nil:
			bad("classification", "%v", err)
		case cl == sec.Red:
			bad("classification", "RED names people, not organisations: an arrangement is shared by its parties, so mark it AMBER (the default), GREEN or WHITE")
		}
		t.classification = cl
	}

	// Parties: the right sides for the kind, each holding the side's role.
	for _, side := range []struct {
		side Side
		code string
		dst  **party
	}{{SideSupplier, in.Supplier, &t.supplier}, {SideMAP, in.MAP, &t.mapOrg}, {SideManufacturer, in.Manufacturer, &t.manufacturer}} {
		if strings.TrimSpace(side.code) == "" {
			continue
		}
		p, err := r.party(ctx, side.code)
		if err != nil {
			return t, err
		}
		switch {
		case p == nil:
			bad(string(side.side), "no organisation has the code %s", strings.ToUpper(strings.TrimSpace(side.code)))
		case !RoleOK(side.side, p.roles):
			bad(string(side.side), "%s must be %s, and does not hold that role", p.code, sideLabels[side.side])
		case side.side == SideSupplier && SupplierOnly(k, strings.TrimSpace(in.MAP) != "") && !SupplierOK(p.roles):
			bad(string(side.side), "%s must be an Energy Supplier for an arrangement with a Meter Asset Provider: MAPs provide Devices, which only Energy Suppliers operate; another User makes its arrangement with the manufacturer", p.code)
		}
		*side.dst = p
	}
	if k != "" {
		if m := CheckSides(k, strings.TrimSpace(in.Supplier) != "", strings.TrimSpace(in.MAP) != "", strings.TrimSpace(in.Manufacturer) != ""); m != "" {
			bad("parties", "%s", m)
		}
	}
	if t.supplier != nil && t.mapOrg != nil && t.supplier.id == t.mapOrg.id ||
		t.mapOrg != nil && t.manufacturer != nil && t.mapOrg.id == t.manufacturer.id ||
		t.supplier != nil && t.manufacturer != nil && t.supplier.id == t.manufacturer.id {
		bad("parties", "an arrangement is between two different organisations")
	}

	// Models: all, or a list; of the manufacturer when one is named.
	switch {
	case t.allModels && len(in.Models) > 0:
		bad("models", "give either all_models or a list of models, not both")
	case !t.allModels && len(in.Models) == 0:
		bad("models", "name the covered models, or set all_models")
	}
	seen := map[int64]bool{}
	for i, ref := range in.Models {
		field := fmt.Sprintf("models[%d]", i)
		mf, code, ok := strings.Cut(strings.TrimSpace(ref), "/")
		if !ok {
			mf, code = "", mf
			if t.manufacturer != nil {
				mf = t.manufacturer.code
			}
		}
		if mf == "" || code == "" {
			bad(field, "%q: write MANUFACTURER/MODEL (a model code alone is enough only when the arrangement names a manufacturer)", ref)
			continue
		}
		m, err := r.model(ctx, mf, code)
		if err != nil {
			return t, err
		}
		switch {
		case m == nil:
			bad(field, "no model %s/%s in the catalogue", strings.ToUpper(mf), strings.ToUpper(code))
			continue
		case t.manufacturer != nil && m.manufacturerID != t.manufacturer.id:
			bad(field, "model %s/%s is made by %s, not by %s, the manufacturer of this arrangement", m.manufacturer, m.code, m.manufacturer, t.manufacturer.code)
			continue
		case seen[m.id]:
			bad(field, "model %s/%s is listed twice", m.manufacturer, m.code)
			continue
		}
		seen[m.id] = true
		t.models = append(t.models, *m)
	}

	// Dates.
	date := func(field, v string, required bool) sec.Date {
		v = strings.TrimSpace(v)
		if v == "" {
			if required {
				bad(field, "is required (YYYY-MM-DD)")
			}
			return sec.Date{}
		}
		d, err := sec.ParseDate(v)
		if err != nil {
			bad(field, "%v", err)
		}
		return d
	}
	t.signed = date("signed", in.Signed, true)
	t.effective = date("effective", in.Effective, true)
	t.expires = date("expires", in.Expires, false)
	if !t.signed.IsZero() && t.signed.After(today) {
		bad("signed", "%s is in the future: record an arrangement once it is signed", t.signed)
	}
	if !t.expires.IsZero() && !t.effective.IsZero() && t.expires.Before(t.effective) {
		bad("expires", "%s is before the effective date %s: the dates are backwards", t.expires, t.effective)
	}
	if !t.expires.IsZero() && !t.signed.IsZero() && t.expires.Before(t.signed) {
		bad("expires", "%s is before the signing date %s: the dates are backwards", t.expires, t.signed)
	}
	t.signatures = checkSignatures(t, k, in.Signatures, today, bad)
	if len(fields) > 0 {
		return t, errs.Fields("the arrangement is not valid", fields...)
	}
	return t, nil
}

// checkSignatures checks a Letter of Intent's signatures: at most one for
// each of its two named parties, each dated, not in the future.
func checkSignatures(t terms, k Kind, in []SignatureInput, today sec.Date, bad func(field, format string, args ...any)) [2]sigTerm {
	var out [2]sigTerm
	if len(in) == 0 {
		return out
	}
	if k != LetterOfIntent {
		bad("signatures", "are recorded for a Letter of Intent only; a %s is signed as a whole (signed)", k.Label())
		return out
	}
	if len(in) > 2 {
		bad("signatures", "a Letter of Intent has two parties: give at most two signatures, not %d", len(in))
		return out
	}
	parties := map[string]int64{}
	for _, p := range []*party{t.supplier, t.mapOrg, t.manufacturer} {
		if p != nil {
			parties[strings.ToUpper(p.code)] = p.id
		}
	}
	for i, sg := range in {
		field := fmt.Sprintf("signatures[%d]", i)
		code := strings.ToUpper(strings.TrimSpace(sg.Party))
		id, ok := parties[code]
		switch {
		case code == "":
			bad(field+".party", "is required: the organisation code of the party that signed")
			continue
		case !ok:
			bad(field+".party", "%s is not a party to this Letter of Intent", code)
			continue
		case i == 1 && out[0].party == id:
			bad(field+".party", "%s has already signed (signatures[0]): each party signs once", code)
			continue
		}
		d, err := sec.ParseDate(strings.TrimSpace(sg.Signed))
		switch {
		case strings.TrimSpace(sg.Signed) == "":
			bad(field+".signed", "is required (YYYY-MM-DD)")
			continue
		case err != nil:
			bad(field+".signed", "%v", err)
			continue
		case d.After(today):
			bad(field+".signed", "%s is in the future: record a signature once it is given", d)
			continue
		}
		out[i] = sigTerm{party: id, on: d}
	}
	return out
}

func (s *Service) versions() sec.Versions {
	if len(s.Versions.Releases()) == 0 {
		return sec.DefaultVersions()
	}
	return s.Versions
}

// mayChange reports whether the caller may create or change an arrangement
// between the parties: a party to it, or the SSC and secretariat, those who
// may amend it (sec.ArrangementLifecycle).
func mayChange(c access.Caller, parties []int64) bool {
	return sec.ArrangementLifecycle.Permits(sec.ArrangementAmend, actorsFor(c, parties)...)
}

// actorsFor are the parts the caller plays for an arrangement between the
// parties, as sec.ArrangementLifecycle names them: a party to it (owner),
// the SSC and its secretariat, the system.
func actorsFor(c access.Caller, parties []int64) []sec.Actor {
	var out []sec.Actor
	if c.System {
		out = append(out, sec.ActorSystem)
	}
	if c.IsSSC() {
		out = append(out, sec.ActorSSC)
	}
	if c.OrgID != 0 && c.UserID != 0 && slices.Contains(parties, c.OrgID) {
		out = append(out, sec.ActorOwner)
	}
	return out
}

// MayEdit reports whether the caller may change or end arrangement a (which
// it has been shown): a party to it, the SSC and the secretariat. Update and
// Terminate decide with the same rule; the page asks it whether to offer the
// forms.
func MayEdit(c access.Caller, a Arrangement) bool { return mayChange(c, a.partyIDs()) }

// MayConfirm reports whether the caller may confirm arrangement a: the SSC
// and the secretariat confirm a scheme enrolment awaiting confirmation
// (sec.ArrangementLifecycle), as Confirm decides.
func MayConfirm(c access.Caller, a Arrangement) bool {
	return a.Kind == SSCScheme && slices.Contains(sec.ArrangementLifecycle.Events(sec.ArrangementState(a.Status), actorsFor(c, a.partyIDs())...), sec.ArrangementConfirm)
}

// actorNames says who the caller acts as, for an error.
func actorNames(actors []sec.Actor) string {
	if len(actors) == 0 {
		return "nothing on this arrangement"
	}
	names := make([]string, len(actors))
	for i, a := range actors {
		names[i] = a.Label()
	}
	return strings.Join(names, ", ")
}

// transitionError turns a refusal of sec.ArrangementLifecycle into the
// error the caller sees: not permitted is Forbidden, no such move a
// Conflict; both name the arrangement, its state and who the caller acts as.
func transitionError(a Arrangement, err error) error {
	var te *sec.TransitionError
	if !errors.As(err, &te) {
		return err
	}
	if errors.Is(err, sec.ErrNotPermitted) {
		return errs.E(errs.Forbidden, "%s: %s", a.Reference, te.Error())
	}
	return errs.E(errs.Conflict, "%s is %s: %s", a.Reference, a.Status, te.Error())
}

// Create records a new arrangement. A manufacturer's own scheme enrolment
// waits for the SSC's confirmation; everything else is active at once.
func (s *Service) Create(ctx context.Context, c access.Caller, in Input) (Arrangement, error) {
	var ref string
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		t, err := s.check(ctx, newResolver(tx), in, s.today(tx.Now))
		if err != nil {
			return err
		}
		ref, err = s.create(ctx, tx, t, true)
		return err
	})
	if err != nil {
		return Arrangement{}, err
	}
	return s.Get(ctx, c, ref)
}

// create stores checked terms. audited is false inside an import, which
// writes one audit record for the whole file.
func (s *Service) create(ctx context.Context, tx *store.Tx, t terms, audited bool) (string, error) {
	c := tx.Actor
	if !mayChange(c, t.partyIDs()) {
		return "", errs.E(errs.Forbidden, "only the parties to an arrangement, the SSC and the secretariat may record it")
	}
	if err := checkOverlap(ctx, tx, t, 0); err != nil {
		return "", err
	}
	status := Status(sec.ArrangementRecorded(t.kind == SSCScheme, actorsFor(c, t.partyIDs())...))
	var confirmedAt any
	confirmedBy := ""
	if t.kind == SSCScheme && status == Active {
		// Recorded by the SSC (or the system): confirmed as it is recorded.
		confirmedAt, confirmedBy = tx.Now, c.Name
	}
	ref := t.reference
	if ref == "" {
		// A placeholder that cannot clash, replaced by ARR-<id> below.
		ref = fmt.Sprintf("~new~%d", tx.Now.UnixNano())
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO arrangements (reference, kind, title, supplier_id, map_id, manufacturer_id,
		all_models, materiality, sec_version, legacy, signed, effective, expires, status, classification,
		confirmed_at, confirmed_by, created_at, updated_at, first_signatory, first_signed, second_signatory, second_signed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20, $21, $22) RETURNING id`,
		ref, t.kind, t.title, nullID(idOf(t.supplier)), nullID(idOf(t.mapOrg)), nullID(idOf(t.manufacturer)),
		t.allModels, t.materiality, t.secVersion, t.legacy, t.signed, t.effective, t.expires, status, t.classification,
		confirmedAt, confirmedBy, tx.Now, nullID(t.signatures[0].party), t.signatures[0].on, nullID(t.signatures[1].party), t.signatures[1].on).Scan(&id)
	if store.IsUniqueViolation(err) {
		return "", errs.FieldError("reference", "an arrangement with the reference %s already exists", t.reference)
	}
	if err != nil {
		return "", errs.Wrap(err, "create arrangement")
	}
	if t.reference == "" {
		ref = fmt.Sprintf("ARR-%06d", id)
		if _, err := tx.ExecContext(ctx, "UPDATE arrangements SET reference = $1 WHERE id = $2", ref, id); err != nil {
			if store.IsUniqueViolation(err) {
				return "", errs.E(errs.Conflict, "the reference %s is taken: give the arrangement a reference", ref)
			}
			return "", errs.Wrap(err, "create arrangement")
		}
	}
	if err := setModels(ctx, tx, id, t); err != nil {
		return "", err
	}
	if !audited {
		return ref, nil
	}
	return ref, audit.Record(ctx, tx, "arrangement.create", RecordKind, ref, t.state(status))
}

// state is what the audit trail digests.
func (t terms) state(st Status) any {
	models := make([]string, len(t.models))
	for i, m := range t.models {
		models[i] = m.manufacturer + "/" + m.code
	}
	return map[string]any{"reference": t.reference, "kind": t.kind, "title": t.title, "supplier": idOf(t.supplier),
		"map": idOf(t.mapOrg), "manufacturer": idOf(t.manufacturer), "all_models": t.allModels, "models": models,
		"materiality": t.materiality, "sec_version": t.secVersion.String(), "legacy": t.legacy, "signed": t.signed,
		"effective": t.effective, "expires": t.expires, "classification": t.classification, "status": st,
		"signatures": []any{t.signatures[0].party, t.signatures[0].on, t.signatures[1].party, t.signatures[1].on}}
}

// setModels makes the arrangement's model list t's. Only the models added or removed are written, so an edit that keeps the
// models (a new title) leaves the table, and the cached coverage that
// depends on it, untouched.
func setModels(ctx context.Context, tx *store.Tx, id int64, t terms) error {
	rows, err := tx.QueryContext(ctx, "SELECT model_id FROM arrangement_models WHERE arrangement_id = $1", id)
	if err != nil {
		return errs.Wrap(err, "arrangement models")
	}
	had := map[int64]bool{}
	for rows.Next() {
		var m int64
		if err := rows.Scan(&m); err != nil {
			rows.Close()
			return errs.Wrap(err, "arrangement models")
		}
		had[m] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return errs.Wrap(err, "arrangement models")
	}
	for _, m := range t.models {
		if had[m.id] {
			delete(had, m.id)
			continue
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO arrangement_models (arrangement_id, model_id) VALUES ($1, $2)", id, m.id); err != nil {
			return errs.Wrap(err, "arrangement models")
		}
	}
	for m := range had {
		if _, err := tx.ExecContext(ctx, "DELETE FROM arrangement_models WHERE arrangement_id = $1 AND model_id = $2", id, m); err != nil {
			return errs.Wrap(err, "arrangement models")
		}
	}
	return nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// lastDay is the last day an arrangement is in force, or the zero Date when
// it runs on without end.
func lastDay(expires, ended sec.Date) sec.Date {
	last := expires
	if !ended.IsZero() {
		e := ended.AddDays(-1)
		if last.IsZero() || e.Before(last) {
			last = e
		}
	}
	return last
}

// checkOverlap refuses an arrangement of the same kind between the same
// parties that covers a model another one covers on a day both are in
// force: a renewal starts after the previous one expires or ends, so which
// arrangement covers a model on a day has one answer.
func checkOverlap(ctx context.Context, tx *store.Tx, t terms, self int64) error {
	// The other arrangement is named only if the caller may see it: a party
	// may not learn the reference of, say, a RED arrangement it is not named on.
	args := access.Args{t.kind, idOf(t.supplier), idOf(t.mapOrg), idOf(t.manufacturer), self}
	rows, err := tx.QueryContext(ctx, `SELECT a.id, CASE WHEN `+tx.Actor.Visible(&args, RecordKind, "a", "a.supplier_id", "a.map_id", "a.manufacturer_id")+
		` THEN a.reference ELSE '' END, a.effective, a.expires, a.ended, a.all_models FROM arrangements a
		WHERE a.kind = $1 AND COALESCE(a.supplier_id, 0) = $2 AND COALESCE(a.map_id, 0) = $3 AND COALESCE(a.manufacturer_id, 0) = $4
		AND a.id <> $5`, args...)
	if err != nil {
		return errs.Wrap(err, "check overlap")
	}
	type other struct {
		id                        int64
		ref                       string
		effective, expires, ended sec.Date
		all                       bool
	}
	var others []other
	for rows.Next() {
		var o other
		if err := rows.Scan(&o.id, &o.ref, &o.effective, &o.expires, &o.ended, &o.all); err != nil {
			rows.Close()
			return errs.Wrap(err, "check overlap")
		}
		others = append(others, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return errs.Wrap(err, "check overlap")
	}
	mine := map[int64]bool{}
	for _, m := range t.models {
		mine[m.id] = true
	}
	myLast := lastDay(t.expires, sec.Date{})
	for _, o := range others {
		oLast := lastDay(o.expires, o.ended)
		if !o.ended.IsZero() && !o.ended.After(o.effective) {
			continue // ended before it began: never in force
		}
		if (!oLast.IsZero() && oLast.Before(t.effective)) || (!myLast.IsZero() && myLast.Before(o.effective)) {
			continue
		}
		shared := ""
		if !o.all && !t.allModels {
			mrows, err := tx.QueryContext(ctx, `SELECT o.code, m.code, m.id FROM arrangement_models am
				JOIN device_models m ON m.id = am.model_id JOIN organisations o ON o.id = m.manufacturer_id
				WHERE am.arrangement_id = $1 ORDER BY o.code, m.code`, o.id)
			if err != nil {
				return errs.Wrap(err, "check overlap")
			}
			for mrows.Next() {
				var mf, code string
				var id int64
				if err := mrows.Scan(&mf, &code, &id); err != nil {
					mrows.Close()
					return errs.Wrap(err, "check overlap")
				}
				if mine[id] && shared == "" {
					shared = "model " + mf + "/" + code
				}
			}
			mrows.Close()
			if shared == "" {
				continue
			}
		} else {
			shared = "the same models"
		}
		until := "with no expiry"
		if !oLast.IsZero() {
			until = "until " + oLast.String()
		}
		if o.ref == "" {
			return errs.E(errs.Conflict, "the dates overlap another %s between the same parties that covers %s, which you may not see: ask the SSC",
				t.kind.Label(), shared)
		}
		return errs.E(errs.Conflict, "the dates overlap arrangement %s (%s, in force from %s %s), which covers %s between the same parties: end or change that one first, or start this one after it",
			o.ref, t.kind.Label(), o.effective, until, shared)
	}
	return nil
}

// Update changes an arrangement's terms. A manufacturer changing a confirmed
// scheme enrolment sends it back to the SSC for confirmation.
func (s *Service) Update(ctx context.Context, c access.Caller, ref string, u Update) (Arrangement, error) {
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.get(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		// After the lookup, so that a record the caller may not see still
		// answers as a missing one.
		if u == (Update{}) {
			return errs.E(errs.Invalid, "nothing to change: send at least one field of the arrangement")
		}
		in := a.input()
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&in.Title, u.Title)
		set(&in.Materiality, u.Materiality)
		set(&in.SECVersion, u.SECVersion)
		set(&in.Signed, u.Signed)
		set(&in.Effective, u.Effective)
		set(&in.Expires, u.Expires)
		if u.Legacy != nil {
			in.Legacy = *u.Legacy
		}
		if u.Signatures != nil {
			in.Signatures = *u.Signatures
		}
		if u.AllModels != nil {
			in.AllModels = *u.AllModels
			if in.AllModels && u.Models == nil {
				in.Models = nil
			}
		}
		if u.Models != nil {
			in.Models = *u.Models
			if u.AllModels == nil && len(in.Models) > 0 {
				in.AllModels = false
			}
		}
		// The marking changes only when a new one is given; an empty one
		// keeps it. A RED arrangement (marked so by the SSC, naming people)
		// thus stays RED through an edit form, which cannot offer RED.
		keep := a.Classification
		in.Classification = ""
		if u.Classification != nil && strings.TrimSpace(*u.Classification) != "" {
			keep, in.Classification = "", *u.Classification
		}
		t, err := s.check(ctx, newResolver(tx), in, s.today(tx.Now))
		if err != nil {
			return err
		}
		if keep != "" {
			t.classification = keep
		}
		if !mayChange(c, t.partyIDs()) {
			return errs.E(errs.Forbidden, "only the parties to an arrangement, the SSC and the secretariat may change it")
		}
		if !a.Ended.IsZero() && a.Ended.Before(t.effective) {
			return errs.FieldError("effective", "the arrangement ended on %s, before %s", a.Ended, t.effective)
		}
		if !a.Ended.IsZero() && !t.expires.IsZero() && t.expires.Before(a.Ended.AddDays(-1)) {
			return errs.FieldError("expires", "the arrangement ended on %s: an expiry before that would rewrite history; it stays ended", a.Ended)
		}
		if err := checkOverlap(ctx, tx, t, a.ID); err != nil {
			return err
		}
		actors := actorsFor(c, t.partyIDs())
		from := sec.ArrangementState(a.Status)
		next, err := sec.ArrangementLifecycle.Next(from, sec.ArrangementAmendment(a.Kind == SSCScheme, from, actors...), actors...)
		if err != nil {
			return transitionError(a, err)
		}
		status := Status(next)
		if _, err := tx.ExecContext(ctx, `UPDATE arrangements SET title = $1, all_models = $2, materiality = $3, sec_version = $4,
			legacy = $5, signed = $6, effective = $7, expires = $8, classification = $9, status = $10, updated_at = $11,
			first_signatory = $13, first_signed = $14, second_signatory = $15, second_signed = $16 WHERE id = $12`,
			t.title, t.allModels, t.materiality, t.secVersion, t.legacy, t.signed, t.effective, t.expires, t.classification,
			status, tx.Now, a.ID, nullID(t.signatures[0].party), t.signatures[0].on, nullID(t.signatures[1].party), t.signatures[1].on); err != nil {
			return errs.Wrap(err, "update arrangement")
		}
		if err := setModels(ctx, tx, a.ID, t); err != nil {
			return err
		}
		t.reference = a.Reference
		return audit.Record(ctx, tx, "arrangement.update", RecordKind, a.Reference, t.state(status))
	})
	if err != nil {
		return Arrangement{}, err
	}
	return s.Get(ctx, c, ref)
}

// input is the arrangement as an Input, to apply an Update to.
func (a Arrangement) input() Input {
	in := Input{Reference: a.Reference, Kind: string(a.Kind), Title: a.Title, AllModels: a.AllModels,
		Materiality: a.Materiality, SECVersion: a.SECVersion.String(), Legacy: a.Legacy, Signed: a.Signed.String(),
		Effective: a.Effective.String(), Expires: a.Expires.String(), Classification: string(a.Classification)}
	if a.Supplier != nil {
		in.Supplier = a.Supplier.Code
	}
	if a.MAP != nil {
		in.MAP = a.MAP.Code
	}
	if a.Manufacturer != nil {
		in.Manufacturer = a.Manufacturer.Code
	}
	for _, m := range a.Models {
		in.Models = append(in.Models, m.String())
	}
	for _, sg := range a.Signatures {
		in.Signatures = append(in.Signatures, SignatureInput{Party: sg.Party.Code, Signed: sg.Signed.String()})
	}
	return in
}

func (a Arrangement) partyIDs() []int64 {
	var out []int64
	for _, o := range a.Parties() {
		out = append(out, o.ID)
	}
	return out
}

// Confirm is the SSC accepting a manufacturer's scheme enrolment.
func (s *Service) Confirm(ctx context.Context, c access.Caller, ref string) (Arrangement, error) {
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.get(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		actors := actorsFor(c, a.partyIDs())
		switch {
		case !sec.ArrangementLifecycle.Permits(sec.ArrangementConfirm, actors...):
			return errs.E(errs.Forbidden, "only SSC members and the secretariat confirm scheme enrolments (you act as: %s)", actorNames(actors))
		case a.Kind != SSCScheme:
			return errs.E(errs.Conflict, "%s is a %s: only SSC scheme enrolments are confirmed", a.Reference, a.Kind.Label())
		}
		to, err := sec.ArrangementLifecycle.Next(sec.ArrangementState(a.Status), sec.ArrangementConfirm, actors...)
		if err != nil {
			return transitionError(a, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE arrangements SET status = $4, confirmed_at = $1, confirmed_by = $2, updated_at = $1 WHERE id = $3",
			tx.Now, c.Name, a.ID, string(to)); err != nil {
			return errs.Wrap(err, "confirm arrangement")
		}
		return audit.Record(ctx, tx, "arrangement.confirm", RecordKind, a.Reference, map[string]any{"status": Status(to)})
	})
	if err != nil {
		return Arrangement{}, err
	}
	return s.Get(ctx, c, ref)
}

// Terminate ends an arrangement early: from day on (today when zero) it no
// longer counts.
func (s *Service) Terminate(ctx context.Context, c access.Caller, ref string, on sec.Date) (Arrangement, error) {
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		a, err := s.get(ctx, tx, c, ref)
		if err != nil {
			return err
		}
		actors := actorsFor(c, a.partyIDs())
		if !sec.ArrangementLifecycle.Permits(sec.ArrangementEnd, actors...) {
			return errs.E(errs.Forbidden, "only the parties to an arrangement, the SSC and the secretariat may end it")
		}
		to, err := sec.ArrangementLifecycle.Next(sec.ArrangementState(a.Status), sec.ArrangementEnd, actors...)
		if err != nil {
			if a.Status == Ended {
				return errs.E(errs.Conflict, "%s already ended on %s (%s)", a.Reference, a.Ended, err)
			}
			return transitionError(a, err)
		}
		if on.IsZero() {
			on = s.today(tx.Now)
		}
		switch {
		case on.Before(a.Effective):
			return errs.FieldError("ended", "%s is before the effective date %s: the dates are backwards", on, a.Effective)
		case !a.Expires.IsZero() && on.After(a.Expires):
			return errs.FieldError("ended", "%s is after the expiry %s: the arrangement has already expired by then", on, a.Expires)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE arrangements SET status = $4, ended = $1, updated_at = $2 WHERE id = $3",
			on, tx.Now, a.ID, string(to)); err != nil {
			return errs.Wrap(err, "end arrangement")
		}
		return audit.Record(ctx, tx, "arrangement.end", RecordKind, a.Reference, map[string]any{"ended": on})
	})
	if err != nil {
		return Arrangement{}, err
	}
	return s.Get(ctx, c, ref)
}
