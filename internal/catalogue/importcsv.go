package catalogue

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/party"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// ImportResult says what an import did. Rows that changed nothing are
// Unchanged: importing the same file twice changes nothing the second time.
type ImportResult struct {
	Rows                int    `json:"rows"`
	ModelsCreated       int    `json:"models_created"`
	ModelsUpdated       int    `json:"models_updated"`
	FirmwareCreated     int    `json:"firmware_created"`
	FirmwareUpdated     int    `json:"firmware_updated"`
	CertificatesCreated int    `json:"certificates_created"`
	CertificatesUpdated int    `json:"certificates_updated"`
	Unchanged           int    `json:"unchanged_rows"`
	SHA256              string `json:"sha256"` // of the file as read (after gzip)
}

// ImportOptions tune an import.
type ImportOptions struct {
	// Classification marks the models the import creates (GREEN when
	// empty); models that exist keep theirs. A manufacturer importing models
	// it keeps AMBER says so here, so they are never GREEN for a moment.
	Classification sec.Classification
}

// MaxImportRows bounds a catalogue file. The GB catalogue is low thousands
// of rows; the importer keeps a few bytes per row to check the file's rows
// against each other, so the bound keeps its memory bounded too.
const MaxImportRows = 200_000

// Import loads a catalogue CSV file (CatalogueHeader): every row valid or
// nothing is written, in one transaction. Models, firmware versions and
// certificates that exist already are brought in line with the file, so
// importing the same file again changes nothing; nothing is ever deleted.
//
// Beyond each row's own checks (ParseCatalogueRow) the file must agree with
// itself: every row of a model gives the same type, generation and hardware
// version; every row of a firmware version the same release date and hash;
// every row of a certificate (a model's cpa_reference) the same dates and
// conditions; no (model, firmware, certificate) twice. The manufacturer must
// be an organisation with the Manufacturer role, and a manufacturer's user
// may import only its own models. A model's type and generation do not change
// once Devices of it are installed.
//
// The file is read once, as a stream: each row is checked and written in
// turn, and the transaction rolls back at the end if any row had a problem.
// The error lists the first 100 problems with their line numbers and counts
// the rest. One audit record covers the whole import.
func (s *Service) Import(ctx context.Context, c access.Caller, r io.Reader, opts ImportOptions) (ImportResult, error) {
	if !MayCreate(c) {
		return ImportResult{}, errMayNotCreate
	}
	if opts.Classification == "" {
		opts.Classification = sec.Green
	}
	if _, msg := parseModelClass(string(opts.Classification)); msg != "" {
		return ImportResult{}, errs.FieldError("classification", "%s", msg)
	}
	h := sha256.New()
	cr := csv.NewReader(io.TeeReader(r, h))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return ImportResult{}, errs.E(errs.Invalid, "the file is empty: it needs the header %s", strings.Join(CatalogueHeader, ","))
	case err != nil:
		return ImportResult{}, errs.E(errs.Invalid, "line 1: the file is not valid CSV: %v", csvMessage(err))
	}
	if err := CheckCatalogueHeader(header); err != nil {
		return ImportResult{}, errs.E(errs.Invalid, "line 1: %v", err)
	}
	var res ImportResult
	attempted := false
	err = s.DB.Write(ctx, c, func(tx *store.Tx) error {
		// The file is a stream read once: a transaction retried after a
		// clash with another writer cannot read it again.
		if attempted {
			return errs.E(errs.Conflict, "the import clashed with another change to the catalogue; send the file again")
		}
		attempted = true
		im, err := newImporter(ctx, tx, c, opts)
		if err != nil {
			return err
		}
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				// FieldPos knows only records read whole.
				line := 0
				var pe *csv.ParseError
				if errors.As(err, &pe) {
					line = pe.Line
				}
				im.problem(line, "", "not valid CSV: "+csvMessage(err))
				// A broken quote leaves no way to find where the next record
				// starts: stop reading.
				break
			}
			line, _ := cr.FieldPos(0)
			if im.res.Rows == MaxImportRows {
				im.problem(line, "", fmt.Sprintf("the file has more than %d rows; a catalogue is low thousands of rows", MaxImportRows))
				break
			}
			if err := im.row(ctx, line, rec); err != nil {
				return err
			}
		}
		if err := im.problems.Err(fmt.Sprintf("the file was not imported: %s", plural(im.problems.Count(), "problem"))); err != nil {
			return err
		}
		res = im.res
		res.SHA256 = hex.EncodeToString(h.Sum(nil))
		if !im.changed {
			return nil
		}
		return audit.Record(ctx, tx, "catalogue.import", "catalogue", res.SHA256[:16], res)
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// csvMessage is a CSV error without the position the caller reports itself.
func csvMessage(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if pe.Column > 0 {
			return fmt.Sprintf("%v (column %d)", pe.Err, pe.Column)
		}
		return pe.Err.Error()
	}
	return err.Error()
}

// importer holds the catalogue as it stands (loaded once: it is small) and
// what the file said so far.
type importer struct {
	tx     *store.Tx
	caller access.Caller
	opts   ImportOptions

	orgs      map[string]importOrg
	models    map[string]*Model // by modelKey
	firmware  map[firmwareKey]*Firmware
	certs     map[certKey]*Certificate
	links     map[[2]int64]bool // certificate id, firmware id
	installed map[int64]bool    // model id → Devices installed (asked once)
	created   map[string]bool   // "m"/"f"/"c" + id: made by this import
	counted   map[string]bool   // updates already counted

	// What earlier rows of the file said, with their lines.
	fileModels map[string]fileFacts
	fileFw     map[string]fileFacts
	fileCerts  map[string]fileFacts
	fileRows   map[string]int

	problems errs.Collector
	res      ImportResult
	changed  bool
}

type importOrg struct {
	id           int64
	code         string
	manufacturer bool
}

type certKey struct {
	modelID   int64
	reference string
}

// fileFacts is what a row said about a model, firmware or certificate, in
// words for messages, and the line that said it first.
type fileFacts struct {
	facts string
	line  int
}

func newImporter(ctx context.Context, tx *store.Tx, c access.Caller, opts ImportOptions) (*importer, error) {
	im := &importer{tx: tx, caller: c, opts: opts, orgs: map[string]importOrg{}, models: map[string]*Model{},
		firmware: map[firmwareKey]*Firmware{}, certs: map[certKey]*Certificate{}, links: map[[2]int64]bool{},
		installed: map[int64]bool{}, created: map[string]bool{}, counted: map[string]bool{},
		fileModels: map[string]fileFacts{}, fileFw: map[string]fileFacts{}, fileCerts: map[string]fileFacts{}, fileRows: map[string]int{}}
	ix, err := party.LoadIndex(ctx, tx)
	if err != nil {
		return nil, errs.Wrap(err, "import: organisations")
	}
	for _, o := range ix.All() {
		im.orgs[o.Code] = importOrg{id: o.ID, code: o.Code, manufacturer: o.Has(sec.Manufacturer)}
	}
	// Every model, whatever its classification: whoever may import a
	// manufacturer's models may change them all.
	rows, err := tx.QueryContext(ctx, modelSelect)
	if err != nil {
		return nil, errs.Wrap(err, "import: models")
	}
	ms, err := scanModels(rows)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		im.models[modelKey(ms[i].Manufacturer, ms[i].Code)] = &ms[i]
	}
	rows, err = tx.QueryContext(ctx, firmwareSelect)
	if err != nil {
		return nil, errs.Wrap(err, "import: firmware")
	}
	fws, err := scanFirmware(rows)
	if err != nil {
		return nil, err
	}
	for i := range fws {
		im.firmware[firmwareKey{fws[i].ModelID, fws[i].Version.String()}] = &fws[i]
	}
	rows, err = tx.QueryContext(ctx, certificateSelect)
	if err != nil {
		return nil, errs.Wrap(err, "import: certificates")
	}
	certs, err := scanCertificates(rows)
	if err != nil {
		return nil, err
	}
	for i := range certs {
		im.certs[certKey{certs[i].ModelID, certs[i].Reference}] = &certs[i]
	}
	rows, err = tx.QueryContext(ctx, "SELECT certificate_id, firmware_id FROM cpa_certificate_firmware")
	if err != nil {
		return nil, errs.Wrap(err, "import: certificate firmware")
	}
	defer rows.Close()
	for rows.Next() {
		var l [2]int64
		if err := rows.Scan(&l[0], &l[1]); err != nil {
			return nil, errs.Wrap(err, "import: certificate firmware")
		}
		im.links[l] = true
	}
	return im, errs.Wrap(rows.Err(), "import: certificate firmware")
}

func (im *importer) problem(line int, field, msg string) {
	im.problems.Add(errs.Field{Line: line, Field: field, Message: msg})
}

// agree checks that what this row says of a thing matches what the file
// said of it before; it reports whether it does.
func (im *importer) agree(seen map[string]fileFacts, key, facts string, line int, field, what string) bool {
	prev, ok := seen[key]
	if !ok {
		seen[key] = fileFacts{facts, line}
		return true
	}
	if prev.facts != facts {
		im.problem(line, field, fmt.Sprintf("%s differs from line %d (%s here, %s there): %s", what, prev.line, facts, prev.facts, agreeWhy[field]))
		return false
	}
	return true
}

var agreeWhy = map[string]string{
	"model":         "a model has one type, generation and hardware version, repeated on each of its rows",
	"firmware":      "a firmware version has one release date and image hash, repeated on each of its rows",
	"cpa_reference": "a certificate of a model has one set of dates and conditions, repeated on each of its rows",
}

// row checks one record and, while the file has no problem yet, writes it.
func (im *importer) row(ctx context.Context, line int, rec []string) error {
	im.res.Rows++
	row, probs := ParseCatalogueRow(rec)
	for _, p := range probs {
		msg := p.Problem
		if p.Value != "" && p.Field != "" {
			msg = fmt.Sprintf("%q: %s", p.Value, p.Problem)
		}
		im.problem(line, p.Field, msg)
	}
	if probs != nil {
		return nil
	}
	code := strings.ToUpper(row.Manufacturer)
	if !MayEditAny(im.caller) && code != im.caller.OrgCode {
		// Checked before looking the code up, so a manufacturer learns
		// nothing about other organisations' codes.
		im.problem(line, "manufacturer", fmt.Sprintf("a manufacturer imports only its own models (%s), not %s's", im.caller.OrgCode, row.Manufacturer))
		return nil
	}
	org, ok := im.orgs[code]
	switch {
	case !ok:
		im.problem(line, "manufacturer", fmt.Sprintf("no organisation has the code %s", row.Manufacturer))
		return nil
	case !org.manufacturer:
		im.problem(line, "manufacturer", fmt.Sprintf("%s does not hold the Manufacturer role", org.code))
		return nil
	}

	key := modelKey(org.code, row.Model)
	fwText := row.Firmware.String()
	cert := certificateOf(row.CPA)
	released := dateOf(row.Released)
	ok = im.agree(im.fileModels, key, fmt.Sprintf("%s %s hardware %q", row.Generation, row.DeviceType, row.HardwareVersion), line, "model", "model "+row.Model)
	ok = im.agree(im.fileFw, key+"\x00"+fwText, fmt.Sprintf("released %q, image hash %q", released, row.ImageHash), line, "firmware", "firmware "+fwText) && ok
	if cert.Reference != "" {
		ok = im.agree(im.fileCerts, key+"\x00"+cert.Reference, certFacts(cert), line, "cpa_reference", "certificate "+cert.Reference) && ok
	}
	rowKey := key + "\x00" + fwText + "\x00" + cert.Reference
	if first, dup := im.fileRows[rowKey]; dup {
		im.problem(line, "", fmt.Sprintf("repeats line %d: model %s, firmware %s and certificate %q appear once in a file", first, row.Model, fwText, cert.Reference))
		return nil
	}
	im.fileRows[rowKey] = line
	if !ok || im.problems.Count() > 0 {
		// The file will be refused: check the rest, write nothing more.
		return nil
	}
	return im.apply(ctx, line, org, key, row, released, cert)
}

func certFacts(c Certificate) string {
	s := fmt.Sprintf("issued %s, %s", c.Issued, c.Kind)
	if !c.Expiry.IsZero() {
		s += ", expiry " + c.Expiry.String()
	}
	if !c.Renewal.IsZero() {
		s += ", renewal " + c.Renewal.String()
	}
	if c.Conditional {
		s += fmt.Sprintf(", conditional (due %s: %q)", c.ConditionsDue, c.Conditions)
	}
	if !c.Withdrawn.IsZero() {
		s += fmt.Sprintf(", withdrawn %s (%q)", c.Withdrawn, c.WithdrawnReason)
	}
	return s
}

// apply writes what differs between a checked row and the catalogue.
func (im *importer) apply(ctx context.Context, line int, org importOrg, key string, row CatalogueRow, released sec.Date, cert Certificate) error {
	tx := im.tx
	changed := false
	m := im.models[key]
	if m == nil {
		nm, err := insertModel(ctx, tx, Model{ManufacturerID: org.id, Manufacturer: org.code, Code: row.Model, Name: row.ModelName,
			DeviceType: row.DeviceType, Generation: row.Generation, Hardware: row.HardwareVersion, Classification: im.opts.Classification})
		if err != nil {
			return err
		}
		m = &nm
		im.models[key] = m
		im.created[fmt.Sprint("m", m.ID)] = true
		im.res.ModelsCreated++
		changed = true
	} else if m.DeviceType != row.DeviceType || m.Generation != row.Generation || m.Hardware != row.HardwareVersion {
		if m.DeviceType != row.DeviceType || m.Generation != row.Generation {
			inst, ok := im.installed[m.ID]
			if !ok {
				var err error
				if inst, err = installed(ctx, tx, m.ID); err != nil {
					return err
				}
				im.installed[m.ID] = inst
			}
			if inst {
				im.problem(line, "model", fmt.Sprintf("Devices of model %s %s are installed as %s %s: its type and generation can no longer change", m.Manufacturer, m.Code, m.Generation, m.DeviceType))
				return nil
			}
		}
		m.DeviceType, m.Generation, m.Hardware = row.DeviceType, row.Generation, row.HardwareVersion
		if err := updateModel(ctx, tx, *m); err != nil {
			return err
		}
		im.countUpdate("m", m.ID, &im.res.ModelsUpdated)
		changed = true
	}

	fk := firmwareKey{m.ID, row.Firmware.String()}
	f := im.firmware[fk]
	if f == nil {
		nf, err := insertFirmware(ctx, tx, *m, Firmware{Version: row.Firmware, Released: released, ImageHash: row.ImageHash})
		if err != nil {
			return err
		}
		f = &nf
		im.firmware[fk] = f
		im.created[fmt.Sprint("f", f.ID)] = true
		im.res.FirmwareCreated++
		changed = true
	} else if f.Released != released || f.ImageHash != row.ImageHash {
		f.Released, f.ImageHash = released, row.ImageHash
		if err := updateFirmware(ctx, tx, *f); err != nil {
			return err
		}
		im.countUpdate("f", f.ID, &im.res.FirmwareUpdated)
		changed = true
	}

	if cert.Reference != "" {
		ck := certKey{m.ID, cert.Reference}
		c := im.certs[ck]
		if c == nil {
			nc, err := insertCertificate(ctx, tx, *m, cert)
			if err != nil {
				return err
			}
			c = &nc
			im.certs[ck] = c
			im.created[fmt.Sprint("c", c.ID)] = true
			im.res.CertificatesCreated++
			changed = true
		} else if !c.same(cert) {
			cert.ID, cert.ModelID = c.ID, c.ModelID
			*c = cert
			if err := updateCertificate(ctx, tx, *c); err != nil {
				return err
			}
			im.countUpdate("c", c.ID, &im.res.CertificatesUpdated)
			changed = true
		}
		if l := [2]int64{c.ID, f.ID}; !im.links[l] {
			if err := linkFirmware(ctx, tx, c.ID, []int64{f.ID}); err != nil {
				return err
			}
			im.links[l] = true
			im.countUpdate("c", c.ID, &im.res.CertificatesUpdated)
			changed = true
		}
	}
	if changed {
		im.changed = true
	} else {
		im.res.Unchanged++
	}
	return nil
}

// countUpdate counts an update of a record once, and not at all for a record
// this import created.
func (im *importer) countUpdate(kind string, id int64, n *int) {
	k := fmt.Sprint(kind, id)
	if im.created[k] || im.counted[k] {
		return
	}
	im.counted[k] = true
	*n++
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
