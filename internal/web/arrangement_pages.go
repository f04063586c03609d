package web

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/arrangement"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

type arrangementsData struct {
	Items        []arrangement.Arrangement
	List         listView
	Req          listing.Request
	Kinds        []arrangement.Kind
	States       []string
	Classes      []sec.Classification
	CSVHeader    string
	ImportErrors []errs.Field
	ImportMore   int
	// SeesEvery: every organisation's arrangements
	// (arrangement.SeesEveryOrganisation).
	SeesEvery bool
}

// StateLabel is how the page names a state facet value.
func (arrangementsData) StateLabel(s string) string { return arrangement.StateLabel(s) }

func (s *Server) arrangementsPage(w http.ResponseWriter, r *http.Request) error {
	req, err := arrangement.ParseList(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportArrangements(w, r, req)
	}
	d, err := s.arrangementsList(r, req)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "arrangements", s.newPage(r, "Arrangements", d))
}

// arrangementsList is the page's data for one page of the list.
func (s *Server) arrangementsList(r *http.Request, req listing.Request) (arrangementsData, error) {
	p, err := s.Arrangements.ListPage(r.Context(), callerOf(r), req)
	if err != nil {
		return arrangementsData{}, err
	}
	return arrangementsData{Items: p.Items, Req: req, List: newListView(r, "/arrangements", arrangement.ListSpec, req, p, "arrangement", "arrangements"),
		Kinds: arrangement.Kinds, States: arrangement.States, Classes: sec.Classifications, CSVHeader: strings.Join(arrangement.CSVHeader, ","),
		SeesEvery: arrangement.SeesEveryOrganisation(callerOf(r))}, nil
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
	// Start the form from the caller's own side.
	in := arrangement.DraftFor(c)
	in.Kind = r.URL.Query().Get("kind")
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
		d, lerr := s.arrangementsList(r, arrangement.ListSpec.First())
		if lerr != nil {
			return lerr
		}
		e := errs.As(err)
		d.ImportErrors, d.ImportMore = e.Fields, e.More
		pg := s.newPage(r, "Arrangements", d)
		pg.Error = e.Message
		return s.render(w, r, s.problemFor(r, err).Status, "arrangements", pg)
	}
	return s.redirect(w, r, "/arrangements", strconv.Itoa(res.Rows)+" rows: "+strconv.Itoa(res.Created)+" created, "+strconv.Itoa(res.Unchanged)+" unchanged.")
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
	mayEdit := arrangement.MayEdit(c, a)
	pg := s.newPage(r, a.Reference, nil)
	in := arrangementInput(a)
	models := strings.Join(in.Models, " ")
	if typed != nil {
		in = *typed
		models = strings.Join(typed.Models, " ")
	}
	pg.Data = arrangementData{A: a, MayEdit: mayEdit, MayConfirm: arrangement.MayConfirm(c, a),
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

// alertsData is the alerts page: one page of them.
type alertsData struct {
	Req          listing.Request
	Items        []arrangement.Alert
	List         listView
	Kinds, Marks []string
	// SeesEvery: every organisation's alerts, with the To filter and
	// column (arrangement.SeesEveryOrganisation).
	SeesEvery bool
}

func (s *Server) alertsPage(w http.ResponseWriter, r *http.Request) error {
	req, err := arrangement.AlertSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportAlerts(w, r, req)
	}
	page, err := s.Arrangements.AlertPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "arrangement_alerts", s.newPage(r, "Alerts", alertsData{Req: req, Items: page.Items,
		List:  newListView(r, "/arrangement-alerts", arrangement.AlertSpec, req, page, "alert", "alerts"),
		Kinds: arrangement.AlertKinds, Marks: facetEnum(arrangement.AlertSpec, "classification"), SeesEvery: arrangement.SeesEveryOrganisation(callerOf(r))}))
}
