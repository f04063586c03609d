package evidence_test

import (
	"strings"
	"testing"

	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/evidence"
)

func TestRead(t *testing.T) {
	pdf := "%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
	f, err := evidence.Read(" letter.pdf ", strings.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "letter.pdf" || f.MediaType != evidence.PDF || f.Size != int64(len(pdf)) || f.SHA256 != evidence.Hash([]byte(pdf)) || len(f.SHA256) != 64 {
		t.Errorf("Read = %+v", f)
	}
	if _, err := evidence.Read("big.pdf", strings.NewReader(strings.Repeat("x", evidence.MaxSize+1))); !errs.Is(err, errs.TooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	if _, err := evidence.Read("letter.pdf", strings.NewReader("MZ\x90\x00")); !errs.Is(err, errs.Invalid) {
		t.Errorf("a program named .pdf: %v", err)
	}
}

// FuzzRead: whatever the name and bytes, Read never panics, and anything it
// accepts carries the hash of exactly its bytes.
func FuzzRead(f *testing.F) {
	f.Add("a.pdf", []byte("%PDF-1.4\n%%EOF"))
	f.Add("a.txt", []byte("hello\n"))
	f.Add("a.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	f.Add("../x", []byte("<html>"))
	f.Fuzz(func(t *testing.T, name string, content []byte) {
		got, err := evidence.Read(name, strings.NewReader(string(content)))
		if err != nil {
			return
		}
		if got.SHA256 != evidence.Hash(content) || got.Size != int64(len(content)) {
			t.Fatalf("accepted %q with hash %s size %d", name, got.SHA256, got.Size)
		}
	})
}
