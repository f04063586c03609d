package web

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) arrangementRoutes() []Route {
	listParams := []Param{
		{Name: "kind", Description: "only this kind: supplier_manufacturer, supplier_map, map_manufacturer, churn, letter_of_intent, ssc_scheme"},
		{Name: "party", Description: "only arrangements naming this organisation code"},
		{Name: "in_force_on", Description: "only arrangements in force on this day (YYYY-MM-DD)"},
	}
	return []Route{
		{Method: "GET", Path: "/api/v1/arrangements", Name: "listArrangements", Summary: "G3.20 arrangements the caller may see (its own, or all for the SSC).",
			Tag: "arrangements", API: true, Params: listParams, Response: listOf([]arrangement.Arrangement{}), Handle: s.apiListArrangements},
		{Method: "POST", Path: "/api/v1/arrangements", Name: "createArrangement", Summary: "Record an arrangement (its parties, the SSC or secretariat). A manufacturer's own SSC scheme enrolment waits for the SSC's confirmation.",
			Tag: "arrangements", API: true, Request: arrangement.Input{}, Response: arrangement.Arrangement{}, Status: http.StatusCreated, Handle: s.apiCreateArrangement},
		{Method: "POST", Path: "/api/v1/arrangements/import", Name: "importArrangements", Summary: "Import an arrangements CSV file (" + strings.Join(arrangement.CSVHeader, ",") + "): all rows or none.",
			Tag: "arrangements", API: true, Upload: true, Scope: "import", Response: arrangement.ImportResult{}, Handle: s.apiImportArrangements},
		{Method: "GET", Path: "/api/v1/arrangements/{ref}", Name: "getArrangement", Summary: "One arrangement with its evidence files.",
			Tag: "arrangements", API: true, Response: arrangement.Arrangement{}, Handle: s.apiGetArrangement},
		{Method: "PATCH", Path: "/api/v1/arrangements/{ref}", Name: "updateArrangement", Summary: "Change an arrangement's terms (its parties, the SSC or secretariat).",
			Tag: "arrangements", API: true, Request: arrangement.Update{}, Response: arrangement.Arrangement{}, Handle: s.apiUpdateArrangement},
		{Method: "POST", Path: "/api/v1/arrangements/{ref}/confirm", Name: "confirmArrangement", Summary: "Confirm a manufacturer's SSC scheme enrolment (SSC and secretariat).",
			Tag: "arrangements", API: true, Response: arrangement.Arrangement{}, Handle: s.apiConfirmArrangement},
		{Method: "POST", Path: "/api/v1/arrangements/{ref}/end", Name: "endArrangement", Summary: "End an arrangement early, from a day (today by default).",
			Tag: "arrangements", API: true, Request: endInput{}, Response: arrangement.Arrangement{}, Handle: s.apiEndArrangement},
		{Method: "POST", Path: "/api/v1/arrangements/{ref}/evidence", Name: "addEvidence", Summary: "Attach an evidence file (" + arrangement.AcceptedTypes + "); the body is the file, ?name= its name. Typed by content; a disguised file is refused.",
			Tag: "arrangements", API: true, Upload: true, StoredAsSent: true, Params: []Param{{Name: "name", Description: "the file name, with an extension matching its content", Required: true}},
			Response: arrangement.Evidence{}, Status: http.StatusCreated, Handle: s.apiAddEvidence},
		{Method: "GET", Path: "/api/v1/arrangements/{ref}/evidence/{id}", Name: "getEvidence", Summary: "Download an evidence file.",
			Tag: "arrangements", API: true, Handle: s.downloadEvidence},
		{Method: "GET", Path: "/api/v1/arrangement-alerts", Name: "listArrangementAlerts", Summary: "Alerts about arrangements and coverage for the caller's organisation (all, for the SSC).",
			Tag: "arrangements", API: true, Response: listOf([]arrangement.Alert{}), Handle: s.apiListAlerts},

		{Method: "GET", Path: "/arrangements", Name: "arrangementsPage", Summary: "Arrangements.", Tag: "ui", Handle: s.arrangementsPage},
		{Method: "GET", Path: "/arrangements/new", Name: "newArrangementPage", Summary: "Record an arrangement.", Tag: "ui", Handle: s.newArrangementPage},
		{Method: "POST", Path: "/arrangements", Name: "createArrangementForm", Summary: "Record an arrangement.", Tag: "ui", Handle: s.createArrangementForm},
		{Method: "POST", Path: "/arrangements/import", Name: "importArrangementsForm", Summary: "Import arrangements.", Tag: "ui", Upload: true, Handle: s.importArrangementsForm},
		{Method: "GET", Path: "/arrangements/{ref}", Name: "arrangementPage", Summary: "An arrangement.", Tag: "ui", Handle: s.arrangementPage},
		{Method: "POST", Path: "/arrangements/{ref}", Name: "updateArrangementForm", Summary: "Change an arrangement.", Tag: "ui", Handle: s.updateArrangementForm},
		{Method: "POST", Path: "/arrangements/{ref}/confirm", Name: "confirmArrangementForm", Summary: "Confirm a scheme enrolment.", Tag: "ui", Handle: s.confirmArrangementForm},
		{Method: "POST", Path: "/arrangements/{ref}/end", Name: "endArrangementForm", Summary: "End an arrangement.", Tag: "ui", Handle: s.endArrangementForm},
		{Method: "POST", Path: "/arrangements/{ref}/evidence", Name: "addEvidenceForm", Summary: "Attach evidence.", Tag: "ui", Upload: true, StoredAsSent: true, Handle: s.addEvidenceForm},
		{Method: "GET", Path: "/arrangements/{ref}/evidence/{id}", Name: "evidencePage", Summary: "Download evidence.", Tag: "ui", Handle: s.downloadEvidence},
		{Method: "GET", Path: "/arrangement-alerts", Name: "alertsPage", Summary: "Arrangement and coverage alerts.", Tag: "ui", Handle: s.alertsPage},
	}
}

// endInput is the body of an end request.
type endInput struct {
	Date string `json:"date,omitempty"` // the first day it no longer counts; today when empty
}

func arrangementFilter(r *http.Request) (arrangement.Filter, error) {
	q := r.URL.Query()
	f := arrangement.Filter{Party: q.Get("party")}
	if k := q.Get("kind"); k != "" {
		kind, err := arrangement.ParseKind(k)
		if err != nil {
			return f, errs.FieldError("kind", "%v", err)
		}
		f.Kind = kind
	}
	d, err := queryDate(r, "in_force_on")
	f.InForceOn = d
	return f, err
}

// queryDate reads an optional YYYY-MM-DD query parameter.
func queryDate(r *http.Request, name string) (sec.Date, error) {
	return optDate(name, r.URL.Query().Get(name))
}

func (s *Server) apiListArrangements(w http.ResponseWriter, r *http.Request) error {
	f, err := arrangementFilter(r)
	if err != nil {
		return err
	}
	as, err := s.Arrangements.List(r.Context(), callerOf(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(as))
}

func (s *Server) apiCreateArrangement(w http.ResponseWriter, r *http.Request) error {
	var in arrangement.Input
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Arrangements.Create(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, a)
}

func (s *Server) apiImportArrangements(w http.ResponseWriter, r *http.Request) error {
	body, err := uploadBody(w, r, 16<<20)
	if err != nil {
		return err
	}
	defer body.Close()
	res, err := s.Arrangements.Import(r.Context(), callerOf(r), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiGetArrangement(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Arrangements.Get(r.Context(), callerOf(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiUpdateArrangement(w http.ResponseWriter, r *http.Request) error {
	var in arrangement.Update
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	a, err := s.Arrangements.Update(r.Context(), callerOf(r), r.PathValue("ref"), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiConfirmArrangement(w http.ResponseWriter, r *http.Request) error {
	a, err := s.Arrangements.Confirm(r.Context(), callerOf(r), r.PathValue("ref"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiEndArrangement(w http.ResponseWriter, r *http.Request) error {
	var in endInput
	if r.ContentLength != 0 {
		if err := s.decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	var d sec.Date
	if in.Date != "" {
		var err error
		if d, err = sec.ParseDate(in.Date); err != nil {
			return errs.FieldError("date", "%v", err)
		}
	}
	a, err := s.Arrangements.Terminate(r.Context(), callerOf(r), r.PathValue("ref"), d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, a)
}

func (s *Server) apiAddEvidence(w http.ResponseWriter, r *http.Request) error {
	body := http.MaxBytesReader(w, r.Body, arrangement.MaxEvidenceSize)
	defer body.Close()
	ev, err := s.Arrangements.AddEvidence(r.Context(), callerOf(r), r.PathValue("ref"), r.URL.Query().Get("name"), body)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, ev)
}

// downloadEvidence serves a stored file as an attachment with the type its
// content was recognised as, never rendered inline by the browser.
func (s *Server) downloadEvidence(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.NotFoundf("evidence file", r.PathValue("id"))
	}
	ev, content, err := s.Arrangements.EvidenceFile(r.Context(), callerOf(r), r.PathValue("ref"), id)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ev.MediaType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": ev.Name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.Header().Set("Digest", "sha-256="+ev.SHA256)
	_, err = w.Write(content)
	return err
}

func (s *Server) apiListAlerts(w http.ResponseWriter, r *http.Request) error {
	al, err := s.Arrangements.Alerts(r.Context(), callerOf(r), 0)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(al))
}

type arrangementsData struct {
	Arrangements []arrangement.Arrangement
	Filter       arrangement.Filter
	Kinds        []arrangement.Kind
	CSVHeader    string
	ImportErrors []errs.Field
	ImportMore   int
}

func (s *Server) arrangementsPage(w http.ResponseWriter, r *http.Request) error {
	f, err := arrangementFilter(r)
	if err != nil {
		return err
	}
	as, err := s.Arrangements.List(r.Context(), callerOf(r), f)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "arrangements", s.newPage(r, "Arrangements",
		arrangementsData{Arrangements: as, Filter: f, Kinds: arrangement.Kinds, CSVHeader: strings.Join(arrangement.CSVHeader, ",")}))
}

// arrangementForm is what the form shows: the input and the choices.
type arrangementForm struct {
	CSRF   string
	New    bool
	Ref    string
	In     arrangement.Input
	Models string
	Kinds  []arrangement.Kind
	Scheme bool
}

// Sig is the i-th signature of a Letter of Intent on the form (empty when
// there is none).
func (f arrangementForm) Sig(i int) arrangement.SignatureInput {
	if i < len(f.In.Signatures) {
		return f.In.Signatures[i]
	}
	return arrangement.SignatureInput{}
}

func (s *Server) newArrangementPage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	pg := s.newPage(r, "Record an arrangement", nil)
	in := arrangement.Input{Kind: r.URL.Query().Get("kind")}
	// Start the form from the caller's own side.
	switch {
	case c.OrgHas(sec.LargeSupplier) || c.OrgHas(sec.SmallSupplier) || c.Has(sec.RoleSupplier):
		in.Supplier = c.OrgCode
	case c.Has(sec.RoleMAP):
		in.MAP = c.OrgCode
	case c.Has(sec.RoleManufacturer):
		in.Manufacturer = c.OrgCode
	}
	pg.Data = arrangementForm{CSRF: pg.CSRF, New: true, In: in, Kinds: arrangement.Kinds}
	return s.render(w, r, http.StatusOK, "arrangement_form", pg)
}

// formInput reads the arrangement form.
func formInput(r *http.Request) (arrangement.Input, string) {
	r.ParseForm()
	models := r.PostFormValue("models")
	in := arrangement.Input{Reference: r.PostFormValue("reference"), Kind: r.PostFormValue("kind"), Title: r.PostFormValue("title"),
		Supplier: r.PostFormValue("supplier"), MAP: r.PostFormValue("map"), Manufacturer: r.PostFormValue("manufacturer"),
		AllModels: r.PostFormValue("all_models") != "", Models: splitModels(models), Materiality: r.PostFormValue("materiality"),
		SECVersion: r.PostFormValue("sec_version"), Legacy: r.PostFormValue("legacy") != "", Signed: r.PostFormValue("signed"),
		Effective: r.PostFormValue("effective"), Expires: r.PostFormValue("expires"), Classification: r.PostFormValue("classification")}
	// A Letter of Intent's signatures: a party and a day each; a pair left
	// empty is no signature.
	for _, k := range []string{"sig1", "sig2"} {
		p, d := strings.TrimSpace(r.PostFormValue(k+"_party")), strings.TrimSpace(r.PostFormValue(k+"_signed"))
		if p != "" || d != "" {
			in.Signatures = append(in.Signatures, arrangement.SignatureInput{Party: p, Signed: d})
		}
	}
	return in, models
}

// splitModels reads model codes separated by commas, semicolons or spaces.
func splitModels(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		out = append(out, f)
	}
	return out
}

func (s *Server) createArrangementForm(w http.ResponseWriter, r *http.Request) error {
	in, models := formInput(r)
	a, err := s.Arrangements.Create(r.Context(), callerOf(r), in)
	if err != nil {
		pg := s.newPage(r, "Record an arrangement", nil)
		pg.Data = arrangementForm{CSRF: pg.CSRF, New: true, In: in, Models: models, Kinds: arrangement.Kinds}
		pg.formErrors(err)
		return s.render(w, r, s.problemFor(r, err).Status, "arrangement_form", pg)
	}
	msg := "Recorded " + a.Reference + "."
	if a.Status == arrangement.Pending {
		msg += " The SSC will confirm the enrolment."
	}
	return s.redirect(w, r, "/arrangements/"+url.PathEscape(a.Reference), msg)
}

func (s *Server) importArrangementsForm(w http.ResponseWriter, r *http.Request) error {
	_, body, err := formFile(w, r, "file", 16<<20)
	var res arrangement.ImportResult
	if err == nil {
		var rc io.ReadCloser
		if rc, err = openUpload(io.NopCloser(bytes.NewReader(body)), true); err == nil {
			res, err = s.Arrangements.Import(r.Context(), callerOf(r), rc)
		}
	}
	if err != nil {
		if errs.CodeOf(err) == errs.Internal || errs.CodeOf(err) == errs.Forbidden {
			return err
		}
		c := callerOf(r)
		as, lerr := s.Arrangements.List(r.Context(), c, arrangement.Filter{})
		if lerr != nil {
			return lerr
		}
		e := errs.As(err)
		pg := s.newPage(r, "Arrangements", arrangementsData{Arrangements: as, Kinds: arrangement.Kinds,
			CSVHeader: strings.Join(arrangement.CSVHeader, ","), ImportErrors: e.Fields, ImportMore: e.More})
		pg.Error = e.Message
		return s.render(w, r, s.problemFor(r, err).Status, "arrangements", pg)
	}
	return s.redirect(w, r, "/arrangements", strconv.Itoa(res.Rows)+" rows: "+strconv.Itoa(res.Created)+" created, "+strconv.Itoa(res.Unchanged)+" unchanged.")
}

// formFile reads the one file part named field of a multipart form, up to
// max bytes.
func formFile(w http.ResponseWriter, r *http.Request, field string, max int64) (string, []byte, error) {
	r.Body = http.MaxBytesReader(w, r.Body, max+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, errs.E(errs.Unsupported, "send the file as multipart/form-data")
	}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return "", nil, errs.FieldError(field, "choose a file")
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", nil, errs.E(errs.TooLarge, "the file is larger than %d bytes", max)
			}
			return "", nil, errs.E(errs.Invalid, "the form could not be read: %v", err)
		}
		if p.FormName() != field {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, max+1))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return "", nil, errs.E(errs.TooLarge, "the file is larger than %d bytes", max)
			}
			return "", nil, errs.E(errs.Invalid, "the file could not be read: %v", err)
		}
		if int64(len(b)) > max {
			return "", nil, errs.E(errs.TooLarge, "the file is larger than %d bytes", max)
		}
		return p.FileName(), b, nil
	}
}

type arrangementData struct {
	A          arrangement.Arrangement
	MayEdit    bool
	MayConfirm bool
	Form       arrangementForm
	Accepted   string
}

func (s *Server) arrangementPage(w http.ResponseWriter, r *http.Request) error {
	return s.showArrangement(w, r, http.StatusOK, nil, nil)
}

func (s *Server) showArrangement(w http.ResponseWriter, r *http.Request, status int, formErr error, typed *arrangement.Input) error {
	c := callerOf(r)
	a, err := s.Arrangements.Get(r.Context(), c, r.PathValue("ref"))
	if err != nil {
		return err
	}
	mayEdit := c.System || c.IsSSC()
	for _, o := range a.Parties() {
		mayEdit = mayEdit || (o.ID == c.OrgID && c.UserID != 0)
	}
	pg := s.newPage(r, a.Reference, nil)
	in := arrangementInput(a)
	models := strings.Join(in.Models, " ")
	if typed != nil {
		in = *typed
		models = strings.Join(typed.Models, " ")
	}
	pg.Data = arrangementData{A: a, MayEdit: mayEdit, MayConfirm: (c.IsSSC() || c.System) && a.Status == arrangement.Pending,
		Form:     arrangementForm{CSRF: pg.CSRF, Ref: a.Reference, In: in, Models: models, Kinds: arrangement.Kinds, Scheme: a.Kind == arrangement.SSCScheme},
		Accepted: arrangement.AcceptedTypes}
	if formErr != nil {
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "arrangement", pg)
}

// arrangementInput is an arrangement as the edit form shows it.
func arrangementInput(a arrangement.Arrangement) arrangement.Input {
	in := arrangement.Input{Reference: a.Reference, Kind: string(a.Kind), Title: a.Title, AllModels: a.AllModels,
		Materiality: a.Materiality, SECVersion: a.SECVersion.String(), Legacy: a.Legacy, Signed: a.Signed.String(),
		Effective: a.Effective.String(), Expires: a.Expires.String(), Classification: string(a.Classification)}
	for _, m := range a.Models {
		in.Models = append(in.Models, m.String())
	}
	for _, sg := range a.Signatures {
		in.Signatures = append(in.Signatures, arrangement.SignatureInput{Party: sg.Party.Code, Signed: sg.Signed.String()})
	}
	return in
}

func (s *Server) updateArrangementForm(w http.ResponseWriter, r *http.Request) error {
	in, _ := formInput(r)
	models := in.Models
	u := arrangement.Update{Title: &in.Title, AllModels: &in.AllModels, Models: &models, Materiality: &in.Materiality,
		SECVersion: &in.SECVersion, Legacy: &in.Legacy, Signed: &in.Signed, Effective: &in.Effective, Expires: &in.Expires,
		Classification: &in.Classification}
	if in.Kind == "" || in.Kind == string(arrangement.LetterOfIntent) {
		sigs := in.Signatures
		u.Signatures = &sigs
	}
	if in.AllModels {
		u.Models = nil
	}
	if _, err := s.Arrangements.Update(r.Context(), callerOf(r), r.PathValue("ref"), u); err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.Conflict {
			return s.showArrangement(w, r, s.problemFor(r, err).Status, err, &in)
		}
		return err
	}
	return s.redirect(w, r, "/arrangements/"+url.PathEscape(r.PathValue("ref")), "Saved.")
}

func (s *Server) confirmArrangementForm(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.Arrangements.Confirm(r.Context(), callerOf(r), r.PathValue("ref")); err != nil {
		return err
	}
	return s.redirect(w, r, "/arrangements/"+url.PathEscape(r.PathValue("ref")), "The enrolment is confirmed.")
}

func (s *Server) endArrangementForm(w http.ResponseWriter, r *http.Request) error {
	var d sec.Date
	if v := strings.TrimSpace(r.PostFormValue("date")); v != "" {
		var err error
		if d, err = sec.ParseDate(v); err != nil {
			return s.showArrangement(w, r, http.StatusUnprocessableEntity, errs.FieldError("ended", "%v", err), nil)
		}
	}
	a, err := s.Arrangements.Terminate(r.Context(), callerOf(r), r.PathValue("ref"), d)
	if err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.Conflict {
			return s.showArrangement(w, r, s.problemFor(r, err).Status, err, nil)
		}
		return err
	}
	return s.redirect(w, r, "/arrangements/"+url.PathEscape(a.Reference), "Ended from "+a.Ended.String()+".")
}

func (s *Server) addEvidenceForm(w http.ResponseWriter, r *http.Request) error {
	name, body, err := formFile(w, r, "file", arrangement.MaxEvidenceSize)
	if err == nil {
		_, err = s.Arrangements.AddEvidence(r.Context(), callerOf(r), r.PathValue("ref"), name, bytes.NewReader(body))
	}
	if err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.Conflict || c == errs.TooLarge || c == errs.Unsupported {
			return s.showArrangement(w, r, s.problemFor(r, err).Status, err, nil)
		}
		return err
	}
	return s.redirect(w, r, "/arrangements/"+url.PathEscape(r.PathValue("ref")), "Attached "+name+".")
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) error {
	al, err := s.Arrangements.Alerts(r.Context(), callerOf(r), 0)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "arrangement_alerts", s.newPage(r, "Alerts", al))
}
