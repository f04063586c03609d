package audit

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/metersec/metersec/internal/errs"
)

// FuzzParseCheckpoint: a checkpoint file comes from outside (an email, a
// download). Whatever its bytes, parsing never panics, a refusal is an
// Invalid error, and an accepted checkpoint has every field and survives a
// round trip through JSON unchanged.
func FuzzParseCheckpoint(f *testing.F) {
	good, _ := json.Marshal(Checkpoint{Seq: 42, Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		At: time.Date(2026, 12, 5, 9, 0, 0, 123456000, time.UTC), KeyID: "0123456789abcdef", Signature: "c2lnbmF0dXJl"})
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"seq": -1, "hash": "zz", "at": "not a time"}`))
	f.Add([]byte(`{"seq": 1, "hash": "` + "00" + `", "extra": true}`))
	f.Add([]byte(`[1, 2, 3]`))
	f.Add([]byte(`{"seq": 9223372036854775807, "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "at": "2026-12-05T09:00:00Z", "key_id": "k", "signature": "s"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := ParseCheckpoint(b)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid {
				t.Fatalf("error code %s: %v", c, err)
			}
			return
		}
		if cp.Seq <= 0 || len(cp.Hash) != 64 || cp.At.IsZero() || cp.KeyID == "" || cp.Signature == "" {
			t.Fatalf("accepted an incomplete checkpoint: %+v", cp)
		}
		again, err := json.Marshal(cp)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseCheckpoint(again)
		if err != nil || !back.At.Equal(cp.At) || back.Seq != cp.Seq || back.Hash != cp.Hash || back.KeyID != cp.KeyID || back.Signature != cp.Signature {
			t.Fatalf("round trip: %+v → %s → %+v %v", cp, again, back, err)
		}
	})
}
