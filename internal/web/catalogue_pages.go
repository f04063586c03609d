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
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// UI

type catalogueData struct {
	Models      []catalogue.Model
	Total       int64
	Req         listing.Request
	List        listView
	Filter      catalogue.Filter
	Classes     []string
	Types       []sec.DeviceType
	Generations []sec.Generation
	MayCreate   bool
	MayReport   bool
	ExportHref  template.URL // the export of what the filter shows
}

func (s *Server) cataloguePage(w http.ResponseWriter, r *http.Request) error {
	req, err := catalogue.ModelSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportModels(w, r, req)
	}
	c := callerOf(r)
	page, err := s.Catalogue.ModelPage(r.Context(), c, req)
	if err != nil {
		return err
	}
	f := catalogue.Filter{Manufacturer: req.Facet("manufacturer"), DeviceType: sec.DeviceType(req.Facet("type")), Generation: sec.Generation(req.Facet("generation")), Query: req.Q}
	return s.render(w, r, http.StatusOK, "catalogue", s.newPage(r, "Catalogue", catalogueData{Models: page.Items, Total: page.Total, Req: req,
		List: newListView(r, "/catalogue", catalogue.ModelSpec, req, page, "Device Model", "Device Models"), Filter: f,
		Classes: facetEnum(catalogue.ModelSpec, "classification"), Types: sec.DeviceTypes, Generations: sec.Generations, MayCreate: catalogue.MayCreate(c), MayReport: catalogue.MayReport(c),
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
	return modelFormData{Types: sec.DeviceTypes, Generations: sec.Generations, Classes: modelClasses, ForSelf: !catalogue.MayEditAny(c)}
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
	Report   certReportPage
	Req      listing.Request
	List     listView
	Statuses []string
	// SeesEvery: every Supplier's Devices (catalogue.SeesEverySupplier).
	SeesEvery bool
}

func (s *Server) certReportPage(w http.ResponseWriter, r *http.Request) error {
	rep, req, err := s.certReportList(w, r)
	if err != nil || req.Exporting() {
		return err
	}
	return s.render(w, r, http.StatusOK, "catalogue_report", s.newPage(r, "Devices on bad certificates", certReportData{Report: rep, Req: req,
		List:     newListView(r, "/catalogue/cert-report", catalogue.CertReportSpec, req, rep.Page, "row", "rows"),
		Statuses: facetEnum(catalogue.CertReportSpec, "status"), SeesEvery: catalogue.SeesEverySupplier(callerOf(r))}))
}
