package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The headers of a webhook call.
const (
	HeaderTimestamp      = "X-Metersec-Timestamp"
	HeaderSignature      = "X-Metersec-Signature"
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderKind           = "X-Metersec-Kind"
)

// Sign returns the signature header value for a body sent at unix time ts:
// "v1=" and the hex HMAC-SHA256, keyed by the endpoint's secret, of the
// timestamp, a dot, and the body. Signing the timestamp lets a receiver
// refuse an old call replayed by whoever captured it.
func Sign(secret string, ts int64, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(ts, 10), body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Errors from VerifySignature, for receivers that answer differently to each.
var (
	ErrTimestamp = errors.New("webhook timestamp missing, malformed or outside the allowed skew")
	ErrSignature = errors.New("webhook signature missing, malformed or not matching")
)

// maxSignatures bounds the work one header can ask of a receiver.
const maxSignatures = 8

// VerifySignature checks a webhook call as its receiver gets it: timestamp
// and header are the X-Metersec-Timestamp and X-Metersec-Signature values,
// body the raw request body. The timestamp must be within maxSkew of now.
// The header may list several signatures separated by commas (a sender
// rotating its secret signs with both); one v1 match is enough, and unknown
// versions are ignored. The comparison takes constant time.
func VerifySignature(secret, timestamp string, body []byte, header string, maxSkew time.Duration) error {
	return verifyAt(time.Now(), secret, timestamp, body, header, maxSkew)
}

func verifyAt(now time.Time, secret, timestamp string, body []byte, header string, maxSkew time.Duration) error {
	ts, err := parseTimestamp(timestamp)
	if err != nil {
		return err
	}
	if d := now.Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		return fmt.Errorf("%w: %s is %s away from now", ErrTimestamp, timestamp, d.Round(time.Second).Abs())
	}
	sigs, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	want := mac(secret, timestamp, body)
	ok := false
	for _, s := range sigs {
		// Check every candidate, so timing does not tell which one matched.
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return ErrSignature
	}
	return nil
}

// parseTimestamp accepts unix seconds as decimal digits only: no sign, no
// spaces, no leading zeros, so one timestamp has one spelling and the signed
// text is unambiguous.
func parseTimestamp(s string) (int64, error) {
	if s == "" || len(s) > 12 || (len(s) > 1 && s[0] == '0') {
		return 0, ErrTimestamp
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, ErrTimestamp
		}
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, ErrTimestamp
	}
	return ts, nil
}

// ParseSignatureHeader returns the v1 signatures in a signature header:
// comma-separated "version=hex" items, spaces around items allowed. Items of
// other versions are skipped; a malformed v1 item, no v1 item at all, or more
// than 8 items is an error.
func ParseSignatureHeader(header string) ([][]byte, error) {
	if len(header) > maxSignatures*(4+2*sha256.Size+2) {
		return nil, fmt.Errorf("%w: header too long", ErrSignature)
	}
	items := strings.Split(header, ",")
	if len(items) > maxSignatures {
		return nil, fmt.Errorf("%w: more than %d signatures", ErrSignature, maxSignatures)
	}
	var out [][]byte
	for _, item := range items {
		version, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || version != "v1" {
			continue
		}
		if len(value) != 2*sha256.Size {
			return nil, fmt.Errorf("%w: a v1 signature is 64 hex digits", ErrSignature)
		}
		b, err := hex.DecodeString(value)
		if err != nil {
			return nil, fmt.Errorf("%w: a v1 signature is 64 hex digits", ErrSignature)
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no v1 signature", ErrSignature)
	}
	return out, nil
}
