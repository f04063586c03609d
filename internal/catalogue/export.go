package catalogue

import (
	"context"
	"database/sql"
	"encoding/csv"
	"io"
	"slices"
	"strings"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
)

// Export writes the models the caller may see, narrowed by f, as a catalogue
// CSV file that Import reads back to the same catalogue: one row per firmware
// version and certificate (a firmware version with no certificate has one row
// with the cpa_ columns empty). Models with no firmware have no row: the
// format has none for them, and the model's name and classification are not
// in it either (import creates models GREEN, or as ImportOptions say).
//
// Rows come by manufacturer code and model code (byte order), firmware in the
// catalogue's version order, then certificates by issue date and reference,
// so one catalogue always exports to the same bytes on either engine. The
// export streams: it holds one model's rows at a time. It returns the number
// of rows written.
func (s *Service) Export(ctx context.Context, c access.Caller, w io.Writer, f Filter) (int, error) {
	var args access.Args
	order := s.DB.Dialect.ByteOrder("o.code") + ", " + s.DB.Dialect.ByteOrder("m.code") + ", m.id"
	rows, err := s.DB.QueryContext(ctx, `SELECT m.id, o.code, m.code, m.name, m.device_type, m.generation, m.hardware_version,
		fw.version, fw.released, fw.image_hash, c.reference, c.issued, c.kind, c.expires, c.renewal, c.conditional,
		c.conditions, c.conditions_due, c.withdrawn, c.withdrawn_reason
		FROM device_models m JOIN organisations o ON o.id = m.manufacturer_id
		JOIN firmware_versions fw ON fw.model_id = m.id
		LEFT JOIN cpa_certificate_firmware cf ON cf.firmware_id = fw.id
		LEFT JOIN cpa_certificates c ON c.id = cf.certificate_id
		WHERE `+modelWhere(c, &args, f)+" ORDER BY "+order, args...)
	if err != nil {
		return 0, errs.Wrap(err, "export catalogue")
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(CatalogueHeader); err != nil {
		return 0, err
	}
	n := 0
	var group []CatalogueRow
	var groupModel int64
	flush := func() error {
		slices.SortFunc(group, func(a, b CatalogueRow) int {
			if c := Compare(a.Firmware, b.Firmware); c != 0 {
				return c
			}
			if c := a.CPA.Issued.Compare(b.CPA.Issued); c != 0 {
				return c
			}
			return strings.Compare(a.CPA.Reference, b.CPA.Reference)
		})
		for _, r := range group {
			if err := cw.Write(r.Record()); err != nil {
				return err
			}
			n++
		}
		group = group[:0]
		return nil
	}
	for rows.Next() {
		var id int64
		var r CatalogueRow
		var version string
		var released sec.Date
		var ref, kind, conditions, reason sql.NullString
		var conditional sql.NullBool
		var cert Certificate
		if err := rows.Scan(&id, &r.Manufacturer, &r.Model, &r.ModelName, &r.DeviceType, &r.Generation, &r.HardwareVersion,
			&version, &released, &r.ImageHash, &ref, &cert.Issued, &kind, &cert.Expiry, &cert.Renewal, &conditional,
			&conditions, &cert.ConditionsDue, &cert.Withdrawn, &reason); err != nil {
			return n, errs.Wrap(err, "export catalogue")
		}
		if r.Firmware, err = ParseFirmwareVersion(version); err != nil {
			return n, errs.Wrap(err, "export catalogue")
		}
		r.Released = timeOf(released)
		if ref.Valid {
			cert.Reference, cert.Kind, cert.Conditional, cert.Conditions = ref.String, CPAKind(kind.String), conditional.Bool, conditions.String
			cert.WithdrawnReason = reason.String
			r.CPA = cert.csv()
		}
		if id != groupModel {
			if err := flush(); err != nil {
				return n, err
			}
			groupModel = id
		}
		group = append(group, r)
	}
	if err := rows.Err(); err != nil {
		return n, errs.Wrap(err, "export catalogue")
	}
	if err := flush(); err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}
