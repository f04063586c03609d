package web

import (
	"io"
	"net/http"
	"strings"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/estate"
	"github.com/metersec/metersec/internal/listing"
)

func (s *Server) apiGetDevice(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	d, err := s.Estate.Device(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiResponsibleOn(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	d, err := optDate("date", r.URL.Query().Get("date"))
	if err != nil {
		return err
	}
	if d.IsZero() {
		return errs.FieldError("date", "is required: the day to ask about (YYYY-MM-DD)")
	}
	p, err := s.Estate.ResponsibleOn(r.Context(), callerOf(r), id, d)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiSetFirmware(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	var in firmwareIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	since, err := optDate("since", in.Since)
	if err != nil {
		return err
	}
	d, err := s.Estate.UpgradeFirmware(r.Context(), callerOf(r), id, in.Firmware, since)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiSetStatus(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	var in statusIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	st, err := estate.ParseStatus(strings.TrimSpace(in.Status))
	if err != nil {
		return err
	}
	d, err := s.Estate.SetStatus(r.Context(), callerOf(r), id, st)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiChangeSupplier(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	var in supplierIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	ch, err := change(id, in.NewSupplier, in.Effective)
	if err != nil {
		return err
	}
	res, err := s.Estate.ChangeSupplier(r.Context(), callerOf(r), ch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiChangeMAP(w http.ResponseWriter, r *http.Request) error {
	id, err := deviceID(r)
	if err != nil {
		return err
	}
	var in mapIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.NewMAP == nil {
		return errs.FieldError("new_map", "is required: the organisation code of the MAP that owns the Device from the day, or \"\" for none")
	}
	ch, err := mapChange(id, *in.NewMAP, in.Effective)
	if err != nil {
		return err
	}
	d, err := s.Estate.ChangeMAP(r.Context(), callerOf(r), ch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, d)
}

// estateBody is the body of an estate file upload: refused when empty,
// limited in size and un-gzipped.
func estateBody(w http.ResponseWriter, r *http.Request, what string) (io.ReadCloser, error) {
	if r.ContentLength == 0 {
		return nil, errs.E(errs.Invalid, "send the %s CSV file (or the same gzip-compressed) as the request body", what)
	}
	return uploadBody(w, r, maxEstateUpload)
}

func (s *Server) apiImportDevices(w http.ResponseWriter, r *http.Request) error {
	body, err := estateBody(w, r, "devices")
	if err != nil {
		return err
	}
	defer body.Close()
	res, err := s.Estate.ImportDevices(r.Context(), callerOf(r), body, estate.ImportOptions{})
	if err != nil {
		return tooLarge(err)
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiImportChurn(w http.ResponseWriter, r *http.Request) error {
	body, err := estateBody(w, r, "churn")
	if err != nil {
		return err
	}
	defer body.Close()
	res, err := s.Estate.ImportChurn(r.Context(), callerOf(r), body, estate.ImportOptions{})
	if err != nil {
		return tooLarge(err)
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiTransfer(w http.ResponseWriter, r *http.Request) error {
	var in transferIn
	if err := s.decodeJSON(w, r, &in); err != nil {
		return err
	}
	t := estate.Transfer{From: strings.ToUpper(strings.TrimSpace(in.From)), To: strings.ToUpper(strings.TrimSpace(in.To))}
	var fields []errs.Field
	if t.From == "" {
		fields = append(fields, errs.Field{Field: "from", Message: "is required: the organisation code of the failed Supplier"})
	}
	if t.To == "" {
		fields = append(fields, errs.Field{Field: "to", Message: "is required: the organisation code of the Supplier of Last Resort"})
	}
	d, err := optDate("effective_date", in.Effective)
	if err != nil {
		fields = append(fields, errs.As(err).Fields...)
	}
	if len(fields) > 0 {
		return errs.Fields("the transfer is not valid", fields...)
	}
	t.Effective = d
	res, err := s.Estate.TransferAll(r.Context(), callerOf(r), t)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res)
}

func (s *Server) apiPortfolio(w http.ResponseWriter, r *http.Request) error {
	req, err := estate.PortfolioSpec.Parse(r.URL.Query())
	if err != nil {
		return err
	}
	if req.Exporting() {
		return s.exportPortfolio(w, r, req)
	}
	page, _, err := s.Estate.PortfolioPage(r.Context(), callerOf(r), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, page)
}

func (s *Server) apiVerifyEstate(w http.ResponseWriter, r *http.Request) error {
	rep, err := s.Estate.Verify(r.Context(), callerOf(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rep)
}

// exportPortfolio streams every portfolio row the request's filters match.
func (s *Server) exportPortfolio(w http.ResponseWriter, r *http.Request, req listing.Request) error {
	return writeExport(w, req, "portfolio", estate.PortfolioCSVHeader, func(lw listing.Writer) error {
		return s.Estate.PortfolioExport(r.Context(), callerOf(r), req, lw)
	})
}
