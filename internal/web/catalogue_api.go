package web

import (
	"net/http"
	"slices"

	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

func (s *Server) apiListModels(w http.ResponseWriter, r *http.Request) error {
	req, err := catalogue.ModelSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportModels(w, r, req)
	}
	page, err := s.Catalogue.ModelPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

// exportModels streams every model the request's filters match.
func (s *Server) exportModels(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "models", catalogue.ModelCSVHeader, func(lw listing.Writer) error {
		return s.Catalogue.ModelExport(r.Context(), callerOf(r), req, lw)
	})
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
	req, err := catalogue.FirmwareSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	p, err := s.Catalogue.FirmwarePage(r.Context(), callerOf(r), id, d, req)
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "firmware", catalogue.FirmwareCSVHeader, func(lw listing.Writer) error {
			for _, f := range p.Items {
				if err := lw.Row(f.CSV(), f); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return writeJSON(w, http.StatusOK, p)
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
	req, err := catalogue.CertificateSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	p, err := s.Catalogue.CertificatePage(r.Context(), callerOf(r), id, d, req)
	if err != nil {
		return err
	}
	if req.Exporting() {
		return writeExport(w, req, "certificates", catalogue.CertificateCSVHeader, func(lw listing.Writer) error {
			for _, c := range p.Items {
				if err := lw.Row(c.CSV(), c); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return writeJSON(w, http.StatusOK, p)
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
	out, req, err := s.certReportList(w, r)
	if err != nil || req.Exporting() {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// certReportPage is the certificate report as the API answers it: the
// Supplier totals whole, the rows by model and firmware a page at a time.
type certReportPage struct {
	Date      sec.Date                  `json:"date"`
	Suppliers []catalogue.SupplierTotal `json:"suppliers"`
	// Devices is every Device on a bad certificate the caller may see;
	// total counts the rows the filters match.
	Devices int64 `json:"devices"`
	listing.Page[catalogue.ReportRow]
}

// certReportList computes the report and cuts the page the request asks
// for; an export (format=csv or json) it writes itself, every row the
// filters match, and returns the request for the caller to see that.
func (s *Server) certReportList(w http.ResponseWriter, r *http.Request) (certReportPage, listing.Request, error) {
	req, cursor, err := parseMemList(catalogue.CertReportSpec, r.URL.Query())
	if err != nil {
		return certReportPage{}, req, err
	}
	d, err := queryDate(r, "date")
	if err != nil {
		return certReportPage{}, req, err
	}
	rep, err := s.Catalogue.CertReport(r.Context(), callerOf(r), d)
	if err != nil {
		return certReportPage{}, req, err
	}
	rows := rep.Rows[:0:0]
	for _, row := range rep.Rows {
		if row.Keep(req) {
			rows = append(rows, row)
		}
	}
	if req.Exporting() {
		slices.SortFunc(rows, catalogue.CompareReportRows(req.SortName()))
		return certReportPage{}, req, writeExport(w, req, "cert-report-"+rep.Date.String(), append([]string{"date"}, catalogue.CertReportCSVHeader...), func(lw listing.Writer) error {
			for _, row := range rows {
				if err := lw.Row(append([]string{rep.Date.String()}, row.CSV()...), row); err != nil {
					return err
				}
			}
			return nil
		})
	}
	page, err := pageMemList(req, cursor, rows, catalogue.CompareReportRows(req.SortName()))
	return certReportPage{Date: rep.Date, Suppliers: rep.Suppliers, Devices: rep.Devices, Page: page}, req, err
}
