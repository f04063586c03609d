package catalogue

import (
	"cmp"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/sec"
)

// A model's firmware and certificates are lists bounded by the model, made
// in Go: the firmware in the catalogue's version order (Compare, which SQL
// cannot sort by) and both with statuses on a day. They are paged with
// listing.Slice, so their pages, cursors and exports are those of every
// other list (issue 15). The status facet is the certificate standing the
// rows are classified by on the day. Day columns sort as their ISO text,
// in which an unknown day ("") comes first.

// FirmwareSpec is what a model's firmware list accepts: in version order by
// default, sorted also by release day, status (best first) and when added;
// filtered by status and by the certificate covering it; q finds text in
// the version; from/to bound the release day.
var FirmwareSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "version", Label: "Version", Expr: "f.version", Kind: listing.Text},
		{Name: "released", Label: "Released", Expr: "f.released", Kind: listing.Text},
		{Name: "status", Label: "Certificate status", Expr: "status", Kind: listing.Int},
		{Name: "created_at", Label: "Added", Expr: "f.created_at", Kind: listing.Time},
	},
	Default: "version",
	ID:      "f.id",
	Facets: []listing.Facet{
		{Name: "status", Description: "only firmware with this certificate status on the day (date)", Enum: listing.Enum(States)},
		{Name: "certificate", Description: "only firmware covered by the CPA certificate with this reference"},
	},
	Search: "text in the firmware version",
	Dates:  "the day the firmware was released",
}

// CertificateSpec is what a model's certificate list accepts: by issue day
// by default, sorted also by reference, status (best first) and expiry;
// filtered by status, kind and a firmware version covered; q finds text in
// the reference or conditions; from/to bound the issue day.
var CertificateSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "issued", Label: "Issued", Expr: "c.issued", Kind: listing.Text},
		{Name: "reference", Label: "Reference", Expr: "c.reference", Kind: listing.Text},
		{Name: "status", Label: "Status", Expr: "status", Kind: listing.Int},
		{Name: "expiry", Label: "Expires", Expr: "c.expires", Kind: listing.Text},
	},
	Default: "issued",
	ID:      "c.id",
	Facets: []listing.Facet{
		{Name: "status", Description: "only certificates with this status on the day (date)", Enum: listing.Enum(States)},
		{Name: "kind", Description: "only expiring or lifetime certificates", Enum: []string{string(CPAExpiring), string(CPALifetime)}},
		{Name: "firmware", Description: "only certificates covering this firmware version"},
	},
	Search: "text in the reference or the conditions",
	Dates:  "the day the certificate was issued",
}

// statusOrder ranks a status for sorting: the ranked states best first,
// then not yet issued and uncertified.
func statusOrder(s Status) int64 {
	if r := s.rank(); r >= 0 {
		return int64(r)
	}
	if s.State == NotIssued {
		return 6
	}
	return 7
}

func inDates(d sec.Date, req listing.Request) bool {
	if !req.From.IsZero() && (d.IsZero() || d.Before(req.From)) {
		return false
	}
	if !req.To.IsZero() && (d.IsZero() || d.After(req.To)) {
		return false
	}
	return true
}

func contains(s, q string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(q)) }

// FirmwarePage is one page of a model's firmware the caller may see, with
// statuses on asOf (today when zero), as req filters and sorts it; an
// export request answers every row.
func (s *Service) FirmwarePage(ctx context.Context, c access.Caller, modelID int64, asOf sec.Date, req listing.Request) (listing.Page[Firmware], error) {
	m, err := s.GetModel(ctx, c, modelID, asOf)
	if err != nil {
		return listing.Page[Firmware]{}, err
	}
	var rows []Firmware
	for _, f := range m.Firmware {
		switch {
		case req.Facet("status") != "" && string(f.Status.State) != req.Facet("status"),
			req.Facet("certificate") != "" && !containsFold(f.Certificates, req.Facet("certificate")),
			req.Q != "" && !contains(f.Version.String(), req.Q),
			!inDates(f.Released, req):
			continue
		}
		rows = append(rows, f)
	}
	return listing.Slice(req, rows, func(f Firmware) (any, int64) { return firmwareSortKey(f, req), f.ID }, func(a, b Firmware) int {
		switch req.Sort.Name {
		case "released":
			return strings.Compare(a.Released.String(), b.Released.String())
		case "status":
			return cmp.Compare(statusOrder(a.Status), statusOrder(b.Status))
		case "created_at":
			return a.CreatedAt.Compare(b.CreatedAt)
		}
		return Compare(a.Version, b.Version)
	}), nil
}

func firmwareSortKey(f Firmware, req listing.Request) any {
	switch req.Sort.Name {
	case "released":
		return f.Released.String() // "" when not known: a Date cursor could not carry it
	case "status":
		return statusOrder(f.Status)
	case "created_at":
		return f.CreatedAt
	}
	return f.Version.String()
}

func containsFold(vs []string, v string) bool {
	for _, x := range vs {
		if strings.EqualFold(x, strings.TrimSpace(v)) {
			return true
		}
	}
	return false
}

// CertificatePage is one page of a model's certificates the caller may
// see, with statuses on asOf (today when zero), as req filters and sorts
// it; an export request answers every row.
func (s *Service) CertificatePage(ctx context.Context, c access.Caller, modelID int64, asOf sec.Date, req listing.Request) (listing.Page[Certificate], error) {
	m, err := s.GetModel(ctx, c, modelID, asOf)
	if err != nil {
		return listing.Page[Certificate]{}, err
	}
	var rows []Certificate
	for _, ct := range m.Certificates {
		switch {
		case req.Facet("status") != "" && string(ct.Status.State) != req.Facet("status"),
			req.Facet("kind") != "" && string(ct.Kind) != req.Facet("kind"),
			req.Facet("firmware") != "" && !containsFold(ct.Firmware, req.Facet("firmware")),
			req.Q != "" && !contains(ct.Reference, req.Q) && !contains(ct.Conditions, req.Q),
			!inDates(ct.Issued, req):
			continue
		}
		rows = append(rows, ct)
	}
	return listing.Slice(req, rows, func(ct Certificate) (any, int64) { return certificateSortKey(ct, req), ct.ID }, func(a, b Certificate) int {
		switch req.Sort.Name {
		case "reference":
			return strings.Compare(a.Reference, b.Reference)
		case "status":
			return cmp.Compare(statusOrder(a.Status), statusOrder(b.Status))
		case "expiry":
			return strings.Compare(a.Expiry.String(), b.Expiry.String())
		}
		return cmp.Or(strings.Compare(a.Issued.String(), b.Issued.String()), strings.Compare(a.Reference, b.Reference))
	}), nil
}

func certificateSortKey(ct Certificate, req listing.Request) any {
	switch req.Sort.Name {
	case "reference":
		return ct.Reference
	case "status":
		return statusOrder(ct.Status)
	case "expiry":
		return ct.Expiry.String() // "" for a lifetime certificate
	}
	return ct.Issued.String()
}

// FirmwareCSVHeader names the columns of Firmware.CSV.
var FirmwareCSVHeader = []string{"id", "model_id", "version", "released", "image_hash", "certificates", "status", "status_reason", "created_at"}

// CSV is the firmware as a row of the list's export (ISO dates).
func (f Firmware) CSV() []string {
	return []string{strconv.FormatInt(f.ID, 10), strconv.FormatInt(f.ModelID, 10), f.Version.String(), f.Released.String(), f.ImageHash,
		strings.Join(f.Certificates, ";"), string(f.Status.State), f.Status.Reason, f.CreatedAt.UTC().Format(time.RFC3339)}
}

// CertificateCSVHeader names the columns of Certificate.CSV.
var CertificateCSVHeader = []string{"id", "model_id", "reference", "issued", "kind", "expiry", "renewal", "conditional", "conditions_due",
	"withdrawn", "firmware", "status", "status_reason"}

// CSV is the certificate as a row of the list's export (ISO dates).
func (ct Certificate) CSV() []string {
	return []string{strconv.FormatInt(ct.ID, 10), strconv.FormatInt(ct.ModelID, 10), ct.Reference, ct.Issued.String(), string(ct.Kind),
		ct.Expiry.String(), ct.Renewal.String(), strconv.FormatBool(ct.Conditional), ct.ConditionsDue.String(), ct.Withdrawn.String(),
		strings.Join(ct.Firmware, ";"), string(ct.Status.State), ct.Status.Reason}
}
