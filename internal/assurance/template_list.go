package assurance

import (
	"context"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/listing"
	"github.com/metersec/metersec/internal/store"
)

// TemplateSpec is what the list of the questionnaire's versions accepts:
// newest first, by version or title, searched by title. A version is added
// when the questionnaire changes, so the list grows without end, slowly.
var TemplateSpec = &listing.Spec{
	Columns: []listing.Column{
		{Name: "version", Label: "Version", Expr: "qt.version", Kind: listing.Int},
		{Name: "title", Label: "Title", Expr: "qt.title", Kind: listing.Text},
	},
	Default: "-version",
	ID:      "qt.id",
	Search:  "text in the version's title",
}

// TemplateCSVHeader is the header of the versions' CSV export.
var TemplateCSVHeader = []string{"version", "title", "created_at", "created_by"}

// CSV is the version as a row of the export (ISO dates).
func (t Template) CSV() []string {
	return []string{strconv.Itoa(t.Version), t.Title, t.CreatedAt.UTC().Format(time.RFC3339), t.CreatedBy}
}

// templateQuery lists the versions without their questions (every
// signed-in caller reads the questionnaire).
var templateQuery = listing.Query[Template]{
	What:    "list questionnaire versions",
	Columns: func(*access.Args) string { return "qt.id, qt.version, qt.title, qt.created_at, qt.created_by" },
	From:    " FROM questionnaire_templates qt",
	Where: func(args *access.Args, req listing.Request) string {
		if req.Q == "" {
			return "TRUE"
		}
		return "lower(qt.title) LIKE " + args.Add(listing.Like(req.Q)) + " ESCAPE '\\'"
	},
	Scan: func(r listing.Scanner) (Template, error) {
		var t Template
		err := r.Scan(&t.ID, &t.Version, &t.Title, &t.CreatedAt, &t.CreatedBy)
		t.CreatedAt = t.CreatedAt.UTC()
		return t, err
	},
	Key: func(t Template, req listing.Request) (any, int64) {
		if req.Sort.Name == "title" {
			return t.Title, t.ID
		}
		return int64(t.Version), t.ID
	},
}

// TemplatePage is one page of the questionnaire's versions, without their
// questions, with the total.
func (s *Service) TemplatePage(ctx context.Context, c access.Caller, req listing.Request) (listing.Page[Template], error) {
	var page listing.Page[Template]
	if !c.SignedIn() {
		return page, errs.E(errs.Unauthenticated, "sign in to read the questionnaire")
	}
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		var err error
		page, err = templateQuery.Page(ctx, tx, req)
		return err
	})
	return page, err
}

// ExportTemplates writes every version the filters match to w.
func (s *Service) ExportTemplates(ctx context.Context, c access.Caller, req listing.Request, w listing.Writer) error {
	if !c.SignedIn() {
		return errs.E(errs.Unauthenticated, "sign in to read the questionnaire")
	}
	return s.DB.Read(ctx, c, func(tx *store.Tx) error {
		return templateQuery.Export(ctx, tx, req, w, Template.CSV)
	})
}
