package evidence

import (
	"database/sql"
	"time"

	"github.com/metersec/metersec/internal/errs"
)

// Stored is what an area shows of a file it keeps: every area's evidence
// table has these columns, in this order (StoredColumns), beside its own key.
type Stored struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	MediaType  string    `json:"media_type"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	UploadedAt time.Time `json:"uploaded_at"`
	UploadedBy string    `json:"uploaded_by"`
}

// StoredColumns are the columns ScanStored reads, for an area's SELECT.
const StoredColumns = "id, name, media_type, size, sha256, uploaded_at, uploaded_by"

// StoredOf is the metadata of a checked file, before it is stored.
func StoredOf(f File) Stored {
	return Stored{Name: f.Name, MediaType: f.MediaType, Size: f.Size, SHA256: f.SHA256}
}

// ScanStored reads every row of a query selecting StoredColumns, and closes
// the rows.
func ScanStored(rows *sql.Rows, err error) ([]Stored, error) {
	if err != nil {
		return nil, errs.Wrap(err, "list evidence")
	}
	defer rows.Close()
	var out []Stored
	for rows.Next() {
		var e Stored
		if err := rows.Scan(&e.ID, &e.Name, &e.MediaType, &e.Size, &e.SHA256, &e.UploadedAt, &e.UploadedBy); err != nil {
			return nil, errs.Wrap(err, "list evidence")
		}
		e.UploadedAt = e.UploadedAt.UTC()
		out = append(out, e)
	}
	return out, errs.Wrap(rows.Err(), "list evidence")
}
