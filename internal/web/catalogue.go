package web

import (
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// maxCatalogueUpload bounds a catalogue file. The GB catalogue is about
// 1,500 rows of some 200 bytes; 32 MiB leaves room for a hundred times that.
const maxCatalogueUpload = 32 << 20

func (s *Server) catalogueRoutes() []Route {
	filter := []Param{
		{Name: "manufacturer", Description: "the manufacturer's organisation code"},
		{Name: "type", Description: "device type: ESME, GSME, CHF, GPF, PPMID, HCALCS or IHD"},
		{Name: "generation", Description: "SMETS1 or SMETS2+"},
		{Name: "q", Description: "text in the model's code or name"},
	}
	asOf := []Param{{Name: "date", Description: "certificate statuses on this date (YYYY-MM-DD); today (UK) when absent"}}
	return []Route{
		{Method: "GET", Path: "/api/v1/catalogue/models", Name: "listModels", Summary: "Device Models the caller may see, by manufacturer and code.",
			Tag: "catalogue", API: true, Params: filter, Response: listOf([]catalogue.Model{}), Handle: s.apiListModels},
		{Method: "POST", Path: "/api/v1/catalogue/models", Name: "createModel", Summary: "Add a Device Model (a manufacturer for itself; SSC and secretariat for any).",
			Tag: "catalogue", API: true, Request: catalogue.ModelInput{}, Response: catalogue.Model{}, Status: http.StatusCreated, Handle: s.apiCreateModel},
		{Method: "GET", Path: "/api/v1/catalogue/models/{id}", Name: "getModel", Summary: "A Device Model with its firmware in version order and its CPA certificates, with statuses.",
			Tag: "catalogue", API: true, Params: asOf, Response: catalogue.Model{}, Handle: s.apiGetModel},
		{Method: "PATCH", Path: "/api/v1/catalogue/models/{id}", Name: "updateModel", Summary: "Change a model's name, type, generation, hardware version or classification.",
			Tag: "catalogue", API: true, Request: catalogue.ModelUpdate{}, Response: catalogue.Model{}, Handle: s.apiUpdateModel},
		{Method: "GET", Path: "/api/v1/catalogue/models/{id}/firmware", Name: "listFirmware", Summary: "A model's firmware versions in the catalogue's version order, with certificate statuses.",
			Tag: "catalogue", API: true, Params: asOf, Response: listOf([]catalogue.Firmware{}), Handle: s.apiListFirmware},
		{Method: "POST", Path: "/api/v1/catalogue/models/{id}/firmware", Name: "addFirmware", Summary: "Add a firmware version to a model.",
			Tag: "catalogue", API: true, Request: catalogue.FirmwareInput{}, Response: catalogue.Firmware{}, Status: http.StatusCreated, Handle: s.apiAddFirmware},
		{Method: "PATCH", Path: "/api/v1/catalogue/firmware/{id}", Name: "updateFirmware", Summary: "Set a firmware version's release date or image hash.",
			Tag: "catalogue", API: true, Request: catalogue.FirmwareUpdate{}, Response: catalogue.Firmware{}, Handle: s.apiUpdateFirmware},
		{Method: "GET", Path: "/api/v1/catalogue/models/{id}/certificates", Name: "listCertificates", Summary: "A model's CPA certificates with their statuses.",
			Tag: "catalogue", API: true, Params: asOf, Response: listOf([]catalogue.Certificate{}), Handle: s.apiListCertificates},
		{Method: "POST", Path: "/api/v1/catalogue/models/{id}/certificates", Name: "addCertificate", Summary: "Record a CPA certificate of a model for some of its firmware versions.",
			Tag: "catalogue", API: true, Request: catalogue.CertificateInput{}, Response: catalogue.Certificate{}, Status: http.StatusCreated, Handle: s.apiAddCertificate},
		{Method: "PATCH", Path: "/api/v1/catalogue/certificates/{id}", Name: "updateCertificate", Summary: "Change a certificate's dates, kind, conditions or firmware.",
			Tag: "catalogue", API: true, Request: catalogue.CertificateUpdate{}, Response: catalogue.Certificate{}, Handle: s.apiUpdateCertificate},
		{Method: "POST", Path: "/api/v1/catalogue/certificates/{id}/withdraw", Name: "withdrawCertificate", Summary: "Record that a certificate was withdrawn, and why (the reason is required; today unless a date is given).",
			Tag: "catalogue", API: true, Request: catalogue.Withdrawal{}, Response: catalogue.Certificate{}, Handle: s.apiWithdrawCertificate},
		{Method: "POST", Path: "/api/v1/catalogue/import", Name: "importCatalogue", Summary: "Import a catalogue CSV file (CSV or CSV.gz, streamed): all rows or none; the same file again changes nothing.",
			Tag: "catalogue", API: true, Upload: true, Scope: "import", Response: catalogue.ImportResult{},
			Params: []Param{{Name: "classification", Description: "GREEN (default), WHITE or AMBER for the models the import creates"}}, Handle: s.apiImportCatalogue},
		{Method: "GET", Path: "/api/v1/catalogue/export", Name: "exportCatalogue", Summary: "The catalogue the caller may see as a catalogue CSV file (text/csv), which imports back unchanged.",
			Tag: "catalogue", API: true, Params: filter, Handle: s.apiExportCatalogue},
		{Method: "GET", Path: "/api/v1/catalogue/cert-report", Name: "certificateReport", Summary: "Installed Devices on expired, overdue, withdrawn or conditional certificates (or none), by Supplier.",
			Tag: "catalogue", API: true, Params: []Param{{Name: "date", Description: "the report's date (YYYY-MM-DD); today (UK) when absent"}},
			Response: catalogue.CertReport{}, Handle: s.apiCertReport},

		{Method: "GET", Path: "/catalogue", Name: "cataloguePage", Summary: "The catalogue browser.", Tag: "ui", Handle: s.cataloguePage},
		{Method: "GET", Path: "/catalogue/new", Name: "newModelPage", Summary: "Add a Device Model.", Tag: "ui", Handle: s.newModelPage},
		{Method: "POST", Path: "/catalogue", Name: "createModelForm", Summary: "Add a Device Model.", Tag: "ui", Handle: s.createModelForm},
		{Method: "GET", Path: "/catalogue/models/{id}", Name: "modelPage", Summary: "A Device Model, its firmware and certificates.", Tag: "ui", Handle: s.modelPage},
		{Method: "POST", Path: "/catalogue/models/{id}", Name: "updateModelForm", Summary: "Change a Device Model.", Tag: "ui", Handle: s.updateModelForm},
		{Method: "POST", Path: "/catalogue/models/{id}/firmware", Name: "addFirmwareForm", Summary: "Add a firmware version.", Tag: "ui", Handle: s.addFirmwareForm},
		{Method: "POST", Path: "/catalogue/firmware/{id}", Name: "updateFirmwareForm", Summary: "Change a firmware version.", Tag: "ui", Handle: s.updateFirmwareForm},
		{Method: "POST", Path: "/catalogue/models/{id}/certificates", Name: "addCertificateForm", Summary: "Record a CPA certificate.", Tag: "ui", Handle: s.addCertificateForm},
		{Method: "POST", Path: "/catalogue/certificates/{id}", Name: "updateCertificateForm", Summary: "Change a CPA certificate.", Tag: "ui", Handle: s.updateCertificateForm},
		{Method: "POST", Path: "/catalogue/certificates/{id}/withdraw", Name: "withdrawCertificateForm", Summary: "Withdraw a CPA certificate.", Tag: "ui", Handle: s.withdrawCertificateForm},
		{Method: "GET", Path: "/catalogue/import", Name: "importCataloguePage", Summary: "Import a catalogue file.", Tag: "ui", Handle: s.importCataloguePage},
		{Method: "POST", Path: "/catalogue/import", Name: "importCatalogueForm", Summary: "Import a catalogue file.", Tag: "ui", Upload: true, Scope: "import", Handle: s.importCatalogueForm},
		{Method: "GET", Path: "/catalogue/cert-report", Name: "certReportPage", Summary: "Devices on bad certificates, by Supplier.", Tag: "ui", Handle: s.certReportPage},
	}
}

// catalogueFilter reads the listing filter from the query.
func catalogueFilter(r *http.Request) (catalogue.Filter, error) {
	q := r.URL.Query()
	f := catalogue.Filter{Manufacturer: strings.TrimSpace(q.Get("manufacturer")), Query: q.Get("q")}
	var fields []errs.Field
	if t := q.Get("type"); t != "" {
		dt, err := sec.ParseDeviceType(t)
		if err != nil {
			fields = append(fields, errs.Field{Field: "type", Message: "want one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD"})
		}
		f.DeviceType = dt
	}
	if g := q.Get("generation"); g != "" {
		gen, err := sec.ParseGeneration(g)
		if err != nil {
			fields = append(fields, errs.Field{Field: "generation", Message: "want SMETS1 or SMETS2+"})
		}
		f.Generation = gen
	}
	if len(fields) > 0 {
		return f, errs.Fields("the filter is not valid", fields...)
	}
	return f, nil
}

func (s *Server) apiListModels(w http.ResponseWriter, r *http.Request) error {
	f, err := catalogueFilter(r)
	if err != nil {
		return err
	}
	ms, err := s.Catalogue.ListModels(r.Context(), callerOf(r), f)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(ms))
}

func (s *Server) apiCreateModel(w http.ResponseWriter, r *http.Request) error {
	var in catalogue.ModelInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Catalogue.CreateModel(r.Context(), callerOf(r), in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, m)
}

func (s *Server) apiGetModel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	m, err := s.Catalogue.GetModel(r.Context(), callerOf(r), id, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiUpdateModel(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in catalogue.ModelUpdate
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := s.Catalogue.UpdateModel(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

func (s *Server) apiListFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	fws, err := s.Catalogue.ListFirmware(r.Context(), callerOf(r), id, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(fws))
}

func (s *Server) apiAddFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in catalogue.FirmwareInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.Catalogue.AddFirmware(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, f)
}

func (s *Server) apiUpdateFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in catalogue.FirmwareUpdate
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	f, err := s.Catalogue.UpdateFirmware(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, f)
}

func (s *Server) apiListCertificates(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	cs, err := s.Catalogue.ListCertificates(r.Context(), callerOf(r), id, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, listOf(cs))
}

func (s *Server) apiAddCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in catalogue.CertificateInput
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Catalogue.AddCertificate(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, c)
}

func (s *Server) apiUpdateCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in catalogue.CertificateUpdate
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Catalogue.UpdateCertificate(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiWithdrawCertificate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	// The body is required: a withdrawal carries its reason.
	var in catalogue.Withdrawal
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.Catalogue.WithdrawCertificate(r.Context(), callerOf(r), id, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// importOptions reads the classification for models an import creates.
func importOptions(v string) (catalogue.ImportOptions, error) {
	var opts catalogue.ImportOptions
	if v = strings.TrimSpace(v); v != "" {
		cl, err := sec.ParseClassification(v)
		if err != nil {
			return opts, errs.FieldError("classification", "want WHITE, GREEN or AMBER")
		}
		opts.Classification = cl
	}
	return opts, nil
}

func (s *Server) apiImportCatalogue(w http.ResponseWriter, r *http.Request) error {
	opts, err := importOptions(r.URL.Query().Get("classification"))
	if err != nil {
		return err
	}
	body, err := uploadBody(w, r, maxCatalogueUpload)
	if err != nil {
		return err
	}
	defer body.Close()
	res, err := s.Catalogue.Import(r.Context(), callerOf(r), body, opts)
	if err != nil {
		return tooLarge(err)
	}
	return writeJSON(w, http.StatusOK, res)
}

// tooLarge turns a body over its limit, met while a service read it, into
// the error saying so.
func tooLarge(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "the file is larger than %d bytes", mbe.Limit)
	}
	return err
}

func (s *Server) apiExportCatalogue(w http.ResponseWriter, r *http.Request) error {
	f, err := catalogueFilter(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="catalogue.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	_, err = s.Catalogue.Export(r.Context(), callerOf(r), w, f)
	return err
}

func (s *Server) apiCertReport(w http.ResponseWriter, r *http.Request) error {
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	rep, err := s.Catalogue.CertReport(r.Context(), callerOf(r), d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// UI

type catalogueData struct {
	Models      []catalogue.Model
	Filter      catalogue.Filter
	Types       []sec.DeviceType
	Generations []sec.Generation
	MayCreate   bool
	MayReport   bool
	ExportHref  template.URL // the export of what the filter shows
}

func (s *Server) cataloguePage(w http.ResponseWriter, r *http.Request) error {
	f, err := catalogueFilter(r)
	if err != nil {
		return err
	}
	c := callerOf(r)
	ms, err := s.Catalogue.ListModels(r.Context(), c, f)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "catalogue", s.newPage(r, "Catalogue", catalogueData{Models: ms, Filter: f,
		Types: sec.DeviceTypes, Generations: sec.Generations, MayCreate: catalogue.MayCreate(c), MayReport: catalogue.MayReport(c),
		ExportHref: exportHref(f)}))
}

// exportHref is the export link for a filter, built from parsed values only.
func exportHref(f catalogue.Filter) template.URL {
	q := url.Values{}
	for k, v := range map[string]string{"manufacturer": f.Manufacturer, "type": string(f.DeviceType), "generation": string(f.Generation), "q": f.Query} {
		if v != "" {
			q.Set(k, v)
		}
	}
	href := "/api/v1/catalogue/export"
	if len(q) > 0 {
		href += "?" + q.Encode()
	}
	return template.URL(href)
}

// modelClasses are the markings a catalogue entry may carry.
var modelClasses = []sec.Classification{sec.White, sec.Green, sec.Amber}

type modelFormData struct {
	Types       []sec.DeviceType
	Generations []sec.Generation
	Classes     []sec.Classification
	ForSelf     bool // the caller adds models for its own organisation only
}

func newModelForm(c access.Caller) modelFormData {
	return modelFormData{Types: sec.DeviceTypes, Generations: sec.Generations, Classes: modelClasses, ForSelf: !c.IsSSC()}
}

// formValues is what a form sent, to fill it again after an error.
func formValues(r *http.Request) map[string]string {
	out := map[string]string{}
	for k, v := range r.PostForm {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

func (s *Server) newModelPage(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	if !catalogue.MayCreate(c) {
		return errs.E(errs.Forbidden, "only manufacturers (for their own models), SSC members and the secretariat may add Device Models")
	}
	pg := s.newPage(r, "Add a Device Model", newModelForm(c))
	pg.Form = map[string]string{"manufacturer": c.OrgCode, "classification": "GREEN"}
	return s.render(w, r, http.StatusOK, "catalogue_new", pg)
}

func (s *Server) createModelForm(w http.ResponseWriter, r *http.Request) error {
	r.ParseForm()
	c := callerOf(r)
	in := catalogue.ModelInput{Manufacturer: r.PostFormValue("manufacturer"), Code: r.PostFormValue("code"), Name: r.PostFormValue("name"),
		DeviceType: r.PostFormValue("device_type"), Generation: r.PostFormValue("generation"), Hardware: r.PostFormValue("hardware_version"),
		Classification: r.PostFormValue("classification")}
	m, err := s.Catalogue.CreateModel(r.Context(), c, in)
	if err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			return err
		}
		pg := s.newPage(r, "Add a Device Model", newModelForm(c))
		pg.Form = formValues(r)
		pg.formErrors(err)
		return s.render(w, r, s.problemFor(r, err).Status, "catalogue_new", pg)
	}
	return s.redirect(w, r, "/catalogue/models/"+strconv.FormatInt(m.ID, 10), "Added model "+m.Code+".")
}

type modelPageData struct {
	Model   catalogue.Model
	MayEdit bool
	Form    modelFormData
	Kinds   []catalogue.CPAKind
	// Open names the form that failed, so the page opens it.
	Open string
}

func (s *Server) modelPage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.showModel(w, r, id, http.StatusOK, "", nil)
}

// showModel renders a model page, with a form's error when one failed.
func (s *Server) showModel(w http.ResponseWriter, r *http.Request, id int64, status int, open string, formErr error) error {
	c := callerOf(r)
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	m, err := s.Catalogue.GetModel(r.Context(), c, id, d)
	if err != nil {
		return err
	}
	pg := s.newPage(r, "Model "+m.Manufacturer+" "+m.Code, nil)
	pg.Data = modelPageData{Model: m, MayEdit: catalogue.MayEdit(c, m), Form: newModelForm(c),
		Kinds: []catalogue.CPAKind{catalogue.CPAExpiring, catalogue.CPALifetime}, Open: open}
	pg.Form = map[string]string{}
	if formErr != nil {
		pg.Form = formValues(r)
		pg.formErrors(formErr)
	}
	return s.render(w, r, status, "catalogue_model", pg)
}

// formFailed re-renders the model page for a form's invalid input, or
// returns any other error.
func (s *Server) formFailed(w http.ResponseWriter, r *http.Request, modelID int64, open string, err error) error {
	if errs.CodeOf(err) != errs.Invalid && errs.CodeOf(err) != errs.Conflict {
		return err
	}
	return s.showModel(w, r, modelID, s.problemFor(r, err).Status, open, err)
}

func modelPath(id int64) string { return "/catalogue/models/" + strconv.FormatInt(id, 10) }

func (s *Server) updateModelForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.ParseForm()
	name, dt, gen, hw, class := r.PostFormValue("name"), r.PostFormValue("device_type"), r.PostFormValue("generation"),
		r.PostFormValue("hardware_version"), r.PostFormValue("classification")
	if _, err := s.Catalogue.UpdateModel(r.Context(), callerOf(r), id, catalogue.ModelUpdate{Name: &name, DeviceType: &dt,
		Generation: &gen, Hardware: &hw, Classification: &class}); err != nil {
		return s.formFailed(w, r, id, "model", err)
	}
	return s.redirect(w, r, modelPath(id), "Saved.")
}

func (s *Server) addFirmwareForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.ParseForm()
	f, err := s.Catalogue.AddFirmware(r.Context(), callerOf(r), id, catalogue.FirmwareInput{Version: r.PostFormValue("version"),
		Released: r.PostFormValue("released"), ImageHash: r.PostFormValue("image_hash")})
	if err != nil {
		return s.formFailed(w, r, id, "firmware", err)
	}
	return s.redirect(w, r, modelPath(id), "Added firmware "+f.Version.String()+".")
}

func (s *Server) updateFirmwareForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.ParseForm()
	rel, hash := r.PostFormValue("released"), r.PostFormValue("image_hash")
	f, err := s.Catalogue.UpdateFirmware(r.Context(), callerOf(r), id, catalogue.FirmwareUpdate{Released: &rel, ImageHash: &hash})
	if err != nil {
		modelID, _ := strconv.ParseInt(r.PostFormValue("model"), 10, 64)
		if modelID <= 0 || (errs.CodeOf(err) != errs.Invalid && errs.CodeOf(err) != errs.Conflict) {
			return err
		}
		return s.formFailed(w, r, modelID, "fw-"+strconv.FormatInt(id, 10), err)
	}
	return s.redirect(w, r, modelPath(f.ModelID), "Saved firmware "+f.Version.String()+".")
}

func certificateInput(r *http.Request) catalogue.CertificateInput {
	return catalogue.CertificateInput{Reference: r.PostFormValue("reference"), Issued: r.PostFormValue("issued"), Kind: r.PostFormValue("kind"),
		Expiry: r.PostFormValue("expiry"), Renewal: r.PostFormValue("renewal"), Conditional: r.PostFormValue("conditional") != "",
		Conditions: r.PostFormValue("conditions"), ConditionsDue: r.PostFormValue("conditions_due"), Withdrawn: r.PostFormValue("withdrawn"),
		WithdrawnReason: r.PostFormValue("withdrawn_reason"),
		Firmware:        r.PostForm["firmware"]}
}

func (s *Server) addCertificateForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.ParseForm()
	c, err := s.Catalogue.AddCertificate(r.Context(), callerOf(r), id, certificateInput(r))
	if err != nil {
		return s.formFailed(w, r, id, "certificate", err)
	}
	return s.redirect(w, r, modelPath(id), "Recorded certificate "+c.Reference+".")
}

func (s *Server) updateCertificateForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.ParseForm()
	in := certificateInput(r)
	up := catalogue.CertificateUpdate{Issued: &in.Issued, Kind: &in.Kind, Expiry: &in.Expiry, Renewal: &in.Renewal,
		Conditional: &in.Conditional, Conditions: &in.Conditions, ConditionsDue: &in.ConditionsDue, Withdrawn: &in.Withdrawn, Firmware: &in.Firmware}
	c, err := s.Catalogue.UpdateCertificate(r.Context(), callerOf(r), id, up)
	if err != nil {
		modelID, _ := strconv.ParseInt(r.PostFormValue("model"), 10, 64)
		if modelID <= 0 || (errs.CodeOf(err) != errs.Invalid && errs.CodeOf(err) != errs.Conflict) {
			return err
		}
		return s.formFailed(w, r, modelID, "cert-"+strconv.FormatInt(id, 10), err)
	}
	return s.redirect(w, r, modelPath(c.ModelID), "Saved certificate "+c.Reference+".")
}

func (s *Server) withdrawCertificateForm(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	r.ParseForm()
	c, err := s.Catalogue.WithdrawCertificate(r.Context(), callerOf(r), id, catalogue.Withdrawal{Date: r.PostFormValue("date"), Reason: r.PostFormValue("reason")})
	if err != nil {
		modelID, _ := strconv.ParseInt(r.PostFormValue("model"), 10, 64)
		if modelID <= 0 || (errs.CodeOf(err) != errs.Invalid && errs.CodeOf(err) != errs.Conflict) {
			return err
		}
		return s.formFailed(w, r, modelID, "cert-"+strconv.FormatInt(id, 10), err)
	}
	return s.redirect(w, r, modelPath(c.ModelID), "Certificate "+c.Reference+" withdrawn from "+c.Withdrawn.String()+".")
}

type importPageData struct {
	Header  string
	Classes []sec.Classification
	Result  *catalogue.ImportResult
	Fields  []errs.Field
	More    int
}

func (s *Server) importCataloguePage(w http.ResponseWriter, r *http.Request) error {
	if !catalogue.MayCreate(callerOf(r)) {
		return errs.E(errs.Forbidden, "only manufacturers (for their own models), SSC members and the secretariat may import the catalogue")
	}
	return s.render(w, r, http.StatusOK, "catalogue_import", s.newPage(r, "Import the catalogue",
		importPageData{Header: strings.Join(catalogue.CatalogueHeader, ","), Classes: modelClasses}))
}

// importCatalogueForm takes a multipart upload and streams its file part to
// the importer: the file is never held whole in memory or on disk.
func (s *Server) importCatalogueForm(w http.ResponseWriter, r *http.Request) error {
	c := callerOf(r)
	if !catalogue.MayCreate(c) {
		return errs.E(errs.Forbidden, "only manufacturers (for their own models), SSC members and the secretariat may import the catalogue")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxCatalogueUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		return errs.E(errs.Invalid, "send the file from the import form (multipart/form-data)")
	}
	data := importPageData{Header: strings.Join(catalogue.CatalogueHeader, ","), Classes: modelClasses}
	var opts catalogue.ImportOptions
	var res catalogue.ImportResult
	found := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return tooLarge(errs.E(errs.Invalid, "the upload could not be read: %v", err))
		}
		switch part.FormName() {
		case "classification":
			v, _ := io.ReadAll(io.LimitReader(part, 64))
			if opts, err = importOptions(string(v)); err != nil {
				return err
			}
		case "file":
			found = true
			body, err := openUpload(io.NopCloser(part), true)
			if err != nil {
				return err
			}
			res, err = s.Catalogue.Import(r.Context(), c, body, opts)
			if err != nil {
				err = tooLarge(err)
				if errs.CodeOf(err) != errs.Invalid {
					return err
				}
				pg := s.newPage(r, "Import the catalogue", nil)
				e := errs.As(err)
				data.Fields, data.More = e.Fields, e.More
				pg.Error = e.Message
				pg.Data = data
				return s.render(w, r, s.problemFor(r, err).Status, "catalogue_import", pg)
			}
		}
		part.Close()
	}
	if !found {
		return errs.E(errs.Invalid, "choose a catalogue file to import")
	}
	data.Result = &res
	return s.render(w, r, http.StatusOK, "catalogue_import", s.newPage(r, "Import the catalogue", data))
}

type certReportData struct {
	Report catalogue.CertReport
}

func (s *Server) certReportPage(w http.ResponseWriter, r *http.Request) error {
	d, err := queryDate(r, "date")
	if err != nil {
		return err
	}
	rep, err := s.Catalogue.CertReport(r.Context(), callerOf(r), d)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "catalogue_report", s.newPage(r, "Devices on bad certificates", certReportData{Report: rep}))
}
