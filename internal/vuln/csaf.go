package vuln

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/advisory"
	"github.com/metersec/metersec/internal/catalogue"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// ExportCSAF writes a vulnerability the caller may see as a CSAF 2.0
// security advisory (validated by advisory.ExportCSAF): TLP from the
// classification, the product tree from the catalogue (every firmware of
// each affected model, with its status from the ranges), and remediations
// from the fixed versions and the mitigation. Recipients, acknowledgements
// and plans never go into it; nor does the reporter's name when the reporter
// is a Supplier (a Supplier's identity is not for other Suppliers). It
// returns the document and its file name.
func (s *Service) ExportCSAF(ctx context.Context, c access.Caller, ref string) ([]byte, string, error) {
	var a advisory.Advisory
	err := s.DB.Read(ctx, c, func(tx *store.Tx) error {
		v, err := findVuln(ctx, tx, c, ref, false)
		if err != nil {
			return err
		}
		a, err = s.advisoryOf(ctx, tx, v)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	doc, err := advisory.ExportCSAF(a, s.Publisher)
	if err != nil {
		return nil, "", err
	}
	return doc, advisory.FileName(a.ID), nil
}

func (s *Service) advisoryOf(ctx context.Context, q store.Querier, v vulnRow) (advisory.Advisory, error) {
	a := advisory.Advisory{ID: v.Ref, Title: v.Title, Description: v.Description, CVSS: v.CVSSVector,
		Classification: v.Classification, Material: v.Material.Valid && v.Material.Bool, MaterialityRationale: v.Rationale,
		DiscoveredOn: v.DiscoveredOn, ReportedOn: v.ReportedOn, LastUpdated: s.today(v.UpdatedAt)}
	if v.CVEs != "" {
		a.CVEs = strings.Split(v.CVEs, ",")
	}
	switch {
	case v.State == sec.VulnStateReported:
		a.Status = advisory.Draft
	case v.State.IsClosed():
		a.Status = advisory.Final
	default:
		a.Status = advisory.Interim
	}
	if !v.Material.Valid {
		a.MaterialityRationale = "Not yet judged."
	}

	// The reporter is credited as reporterShown says for a reader with no
	// organisation: the document travels beyond whoever exports it.
	var mcode, mname, rname string
	var args access.Args
	shown := reporterShown(&args, access.Caller{}, "v")
	if err := q.QueryRowContext(ctx, `SELECT m.code, m.name, CASE WHEN `+shown+` THEN r.name ELSE '' END
		FROM vulnerabilities v JOIN organisations m ON m.id = v.manufacturer_id JOIN organisations r ON r.id = v.reporter_id
		WHERE v.id = `+args.Add(v.ID), args...).Scan(&mcode, &mname, &rname); err != nil {
		return a, errs.Wrap(err, "export")
	}
	a.ReportedBy = rname

	// Revisions: the report and every change to what it says.
	rows, err := q.QueryContext(ctx, `SELECT at, kind, event, note FROM vuln_events WHERE vuln_id = $1 AND revision ORDER BY at, id`, v.ID)
	if err != nil {
		return a, errs.Wrap(err, "export")
	}
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.At, &e.Kind, &e.Event, &e.Note); err != nil {
			rows.Close()
			return a, errs.Wrap(err, "export")
		}
		summary := "Initial report."
		switch e.Kind {
		case "updated":
			summary = "Updated: " + e.Note
		case "transition":
			summary = "Vulnerability " + revises[sec.VulnEvent(e.Event)] + "."
		}
		a.Revisions = append(a.Revisions, advisory.Revision{Number: len(a.Revisions) + 1, Date: s.today(e.At), Summary: summary})
	}
	rows.Close()
	if len(a.Revisions) == 0 {
		a.Revisions = []advisory.Revision{{Number: 1, Date: v.ReportedOn, Summary: "Initial report."}}
	}
	if last := a.Revisions[len(a.Revisions)-1].Date; a.LastUpdated.Before(last) {
		a.LastUpdated = last
	}

	// Products and remediations.
	rs, err := storedRanges(ctx, q, v.ID)
	if err != nil {
		return a, err
	}
	ids := []int64{}
	byModel := map[int64][]rangeRow{}
	for _, r := range rs {
		if _, ok := byModel[r.Model.ID]; !ok {
			ids = append(ids, r.Model.ID)
		}
		byModel[r.Model.ID] = append(byModel[r.Model.ID], r)
	}
	fws, err := modelFirmware(ctx, q, ids)
	if err != nil {
		return a, err
	}
	m := advisory.Manufacturer{Code: mcode, Name: mname}
	var allAffected []advisory.FirmwareRef
	for _, id := range ids {
		ranges := byModel[id]
		md := ranges[0].Model
		am := advisory.Model{Code: md.Code, Name: md.Name, DeviceType: md.DeviceType, Generation: md.Generation}
		var affected []advisory.FirmwareRef
		var fixes []string
		for _, r := range ranges {
			if !r.Range.Fixed.IsZero() && !slices.Contains(fixes, r.Range.Fixed.String()) {
				fixes = append(fixes, r.Range.Fixed.String())
			}
		}
		for _, f := range fws[id] {
			st := advisory.KnownNotAffected
			for _, r := range ranges {
				switch {
				case r.Range.Contains(f.Version):
					st = advisory.KnownAffected
				case st != advisory.KnownAffected && !r.Range.Fixed.IsZero() && (catalogue.Range{Introduced: r.Range.Fixed}).Contains(f.Version):
					st = advisory.Fixed
				}
			}
			am.Firmware = append(am.Firmware, advisory.Firmware{Version: f.Version.String(), Status: st})
			if st == advisory.KnownAffected {
				affected = append(affected, advisory.FirmwareRef{Manufacturer: mcode, Model: md.Code, Firmware: f.Version.String()})
			}
		}
		if len(am.Firmware) == 0 {
			continue // no firmware catalogued any more: nothing to say of the model
		}
		m.Models = append(m.Models, am)
		allAffected = append(allAffected, affected...)
		if len(fixes) > 0 && len(affected) > 0 {
			a.Remediations = append(a.Remediations, advisory.Remediation{Category: advisory.VendorFix, Products: affected,
				Details: fmt.Sprintf("Update %s to firmware %s or later.", md.Code, strings.Join(fixes, " / "))})
		}
	}
	if v.Mitigation != "" && len(allAffected) > 0 {
		a.Remediations = append(a.Remediations, advisory.Remediation{Category: advisory.Mitigation, Details: v.Mitigation, Products: allAffected})
	}
	a.Manufacturers = []advisory.Manufacturer{m}
	return a, nil
}

// ImportOptions says what an import cannot: whose products it concerns when
// the advisory names several manufacturers, who reports it (the system
// only), and whether it is material.
type ImportOptions struct {
	Manufacturer         string
	Reporter             string
	Material             *bool
	MaterialityRationale string
	// DryRun maps the advisory and checks the report without recording it.
	DryRun bool
}

// ImportResult is what an import found and, unless a dry run, recorded.
type ImportResult struct {
	Vulnerability *Vulnerability     `json:"vulnerability,omitempty"`
	Manufacturer  string             `json:"manufacturer"`
	Affected      []AffectedInput    `json:"affected"`
	Imported      *advisory.Imported `json:"imported"`
	Report        ImportReport       `json:"report"`
	Input         NewVulnerability   `json:"-"`
}

// ImportCSAF reads a manufacturer's CSAF 2.0 advisory (at most
// advisory.MaxCSAFSize, validated against the CSAF 2.0 schema), maps its
// product tree onto the catalogue's models and firmware, and reports it as a
// vulnerability of one manufacturer with ranges that select exactly the
// firmware the advisory says is affected. What could not be mapped (unknown
// products, other manufacturers' products, version ranges) is listed on the
// result and kept with the vulnerability, for someone to finish by hand.
func (s *Service) ImportCSAF(ctx context.Context, c access.Caller, r io.Reader, opt ImportOptions) (ImportResult, error) {
	var res ImportResult
	if !c.SignedIn() {
		return res, errs.E(errs.Unauthenticated, "sign in to import an advisory")
	}
	if !MayReport(c) {
		return res, errs.E(errs.Forbidden, "vulnerabilities are reported by manufacturers, Suppliers, the DCC and the SSC")
	}
	cat, models, err := s.catalogueFor(ctx, c)
	if err != nil {
		return res, err
	}
	imp, err := advisory.ImportCSAF(r, cat)
	if err != nil {
		return res, err
	}
	res.Imported = imp
	res.Report = ImportReport{TrackingID: imp.TrackingID, Publisher: imp.Publisher, Unmapped: slices.Clone(imp.Unmapped),
		Warnings: slices.Clone(imp.Warnings)}

	affected := imp.Products[advisory.KnownAffected]
	byMfr := map[string][]advisory.FirmwareRef{}
	var mfrs []string
	for _, f := range affected {
		if _, ok := byMfr[f.Manufacturer]; !ok {
			mfrs = append(mfrs, f.Manufacturer)
		}
		byMfr[f.Manufacturer] = append(byMfr[f.Manufacturer], f)
	}
	mfr := strings.ToUpper(strings.TrimSpace(opt.Manufacturer))
	switch {
	case mfr != "":
	case ReportsOwnProducts(c):
		mfr = strings.ToUpper(c.OrgCode)
	case len(mfrs) == 1:
		mfr = mfrs[0]
	case len(mfrs) == 0:
		return res, importError(res, "none of the advisory's affected products maps onto the catalogue")
	default:
		return res, errs.FieldError("manufacturer", "the advisory's affected products belong to %d manufacturers (%s): a vulnerability concerns one, so import it once for each, naming the manufacturer",
			len(mfrs), strings.Join(mfrs, ", "))
	}
	res.Manufacturer = mfr
	for _, other := range mfrs {
		if other == mfr {
			continue
		}
		for _, f := range byMfr[other] {
			res.Report.Unmapped = append(res.Report.Unmapped, advisory.Unmapped{ProductID: advisory.ProductID(f),
				Name:   f.Manufacturer + " " + f.Model + " " + f.Firmware,
				Reason: "a product of manufacturer " + other + ": import the advisory again for it"})
		}
	}
	for _, f := range imp.Products[advisory.UnderInvestigation] {
		res.Report.Warnings = append(res.Report.Warnings, fmt.Sprintf("%s %s firmware %s is under investigation: it is not in the fan-out until the advisory says it is affected",
			f.Manufacturer, f.Model, f.Firmware))
	}
	if len(byMfr[mfr]) == 0 {
		return res, importError(res, "none of the advisory's affected products is a catalogued product of "+mfr)
	}
	res.Affected = rangesFor(byMfr[mfr], models)

	title := strings.TrimSpace(imp.Title)
	if utf8.RuneCountInString(title) > maxTitle {
		title = string([]rune(title)[:maxTitle-1]) + "…"
	}
	desc := strings.TrimSpace(imp.Description)
	if desc == "" {
		desc = title
	}
	class := imp.Classification
	in := NewVulnerability{Title: title, Description: desc, Manufacturer: mfr, Affected: res.Affected, CVEs: imp.CVEs,
		Classification: string(class), Material: opt.Material, MaterialityRationale: opt.MaterialityRationale,
		Reporter: opt.Reporter, Source: "csaf:" + imp.TrackingID}
	if imp.CVSS != nil {
		in.CVSS = imp.CVSS.Vector
	}
	if !imp.DiscoveredOn.IsZero() && !imp.DiscoveredOn.After(s.today(s.DB.Now())) {
		in.DiscoveredOn = imp.DiscoveredOn
	}
	if c.System && in.Reporter == "" {
		in.Reporter = mfr
	}
	rep := res.Report
	in.importReport = &rep
	res.Input = in
	if opt.DryRun {
		return res, nil
	}
	v, err := s.Report(ctx, c, in)
	if err != nil {
		return res, err
	}
	res.Vulnerability = &v
	return res, nil
}

func importError(res ImportResult, msg string) error {
	col := errs.Collector{Limit: 20}
	for _, u := range res.Report.Unmapped {
		col.Add(errs.Field{Field: u.ProductID, Message: strings.TrimSpace(u.Name + ": " + u.Reason)})
	}
	if col.Count() == 0 {
		return errs.E(errs.Invalid, "%s: it lists no affected product", msg)
	}
	return col.Err(msg)
}

// catalogueFor loads the catalogue the caller may see as an
// advisory.Catalogue (the catalogue is small: hundreds of models, low
// thousands of firmware), with each model's firmware in version order.
func (s *Service) catalogueFor(ctx context.Context, c access.Caller) (advisory.Catalogue, map[advisory.ModelRef][]string, error) {
	var args access.Args
	rows, err := s.DB.QueryContext(ctx, `SELECT o.code, o.name, m.code, m.name, m.device_type, m.generation, COALESCE(f.version, '')
		FROM device_models m JOIN organisations o ON o.id = m.manufacturer_id LEFT JOIN firmware_versions f ON f.model_id = m.id
		WHERE `+c.Visible(&args, modelKind, "m", "m.manufacturer_id")+" ORDER BY o.code, m.code", args...)
	if err != nil {
		return nil, nil, errs.Wrap(err, "catalogue")
	}
	defer rows.Close()
	var ms []advisory.Manufacturer
	index := map[string]int{}
	models := map[advisory.ModelRef][]string{}
	for rows.Next() {
		var oc, on, mc, mn, ver string
		var dt sec.DeviceType
		var gen sec.Generation
		if err := rows.Scan(&oc, &on, &mc, &mn, &dt, &gen, &ver); err != nil {
			return nil, nil, errs.Wrap(err, "catalogue")
		}
		i, ok := index[oc]
		if !ok {
			i = len(ms)
			index[oc] = i
			ms = append(ms, advisory.Manufacturer{Code: oc, Name: on})
		}
		m := &ms[i]
		if n := len(m.Models); n == 0 || m.Models[n-1].Code != mc {
			m.Models = append(m.Models, advisory.Model{Code: mc, Name: mn, DeviceType: dt, Generation: gen})
		}
		if ver != "" {
			md := &m.Models[len(m.Models)-1]
			md.Firmware = append(md.Firmware, advisory.Firmware{Version: ver})
			// A version that does not parse is in no range (rangesFor
			// could not bound it), so an advisory naming it lists it as
			// affected but the fan-out cannot select it: it stays out.
			if _, err := catalogue.ParseFirmwareVersion(ver); err == nil {
				ref := advisory.ModelRef{Manufacturer: oc, Model: mc}
				models[ref] = append(models[ref], ver)
			}
		}
	}
	for ref, vs := range models {
		slices.SortFunc(vs, func(a, b string) int {
			va, _ := catalogue.ParseFirmwareVersion(a)
			vb, _ := catalogue.ParseFirmwareVersion(b)
			return catalogue.Compare(va, vb)
		})
		models[ref] = vs
	}
	return advisory.NewCatalogue(ms), models, errs.Wrap(rows.Err(), "catalogue")
}

// rangesFor turns a set of affected firmware into ranges over each model's
// firmware in the catalogue's version order: one range per run of
// consecutive affected versions, from its first to its last, so the ranges
// select exactly the advisory's firmware as the catalogue stands.
func rangesFor(affected []advisory.FirmwareRef, models map[advisory.ModelRef][]string) []AffectedInput {
	set := map[advisory.ModelRef]map[string]bool{}
	var order []advisory.ModelRef
	for _, f := range affected {
		ref := advisory.ModelRef{Manufacturer: f.Manufacturer, Model: f.Model}
		if set[ref] == nil {
			set[ref] = map[string]bool{}
			order = append(order, ref)
		}
		set[ref][f.Firmware] = true
	}
	slices.SortFunc(order, func(a, b advisory.ModelRef) int { return strings.Compare(a.Model, b.Model) })
	var out []AffectedInput
	for _, ref := range order {
		var run []string
		var family catalogue.Family
		flush := func() {
			if len(run) > 0 {
				out = append(out, AffectedInput{Model: ref.Model, Introduced: run[0], LastAffected: run[len(run)-1]})
				run = nil
			}
		}
		for _, v := range models[ref] {
			// A range holds versions of one family only (catalogue.Range):
			// a run that crosses from dotted to hex versions is two.
			fv, _ := catalogue.ParseFirmwareVersion(v)
			if fv.Family() != family {
				flush()
				family = fv.Family()
			}
			if set[ref][v] {
				run = append(run, v)
			} else {
				flush()
			}
		}
		flush()
	}
	return out
}
