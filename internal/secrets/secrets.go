// Package secrets seals the secrets metersec must keep readable (TOTP seeds,
// webhook signing secrets) before they are stored, so that a copy of the
// database (a backup, a replica, a stolen disk) holds no usable secret. The
// key lives outside the database: a file (--secret-key-file,
// METERSEC_SECRET_KEY_FILE) or a variable (METERSEC_SECRET_KEY).
//
// A sealed value is text: "sealed:v1:" + the key's id + ":" + base64url of a
// 24-byte nonce and the XChaCha20-Poly1305 ciphertext. The id (the first
// 8 bytes of SHA-256 of the key, in hex) tells which key sealed a value, so
// a rotation can tell what it has done and a wrong key is named as such
// instead of failing as corruption. Each kind of secret is sealed with its
// purpose as associated data: a TOTP seed copied into a webhook's row does
// not open there.
//
// This package holds no SQL: each table's owner reseals its own rows.
package secrets

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the key's length in bytes.
const KeySize = chacha20poly1305.KeySize

const prefix = "sealed:v1:"

// Purposes of sealed values, bound into each as associated data.
const (
	TOTP    = "totp"
	Webhook = "webhook"
)

// Box seals and opens values under one key. A nil *Box is "no key": it
// stores values as they are (allowed only with serve --insecure-dev) and
// cannot open sealed ones.
type Box struct {
	id   string
	aead cipher.AEAD
}

// New returns a box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("a secret key is %d bytes, not %d", KeySize, len(key))
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(key)
	return &Box{id: hex.EncodeToString(sum[:8]), aead: aead}, nil
}

// ID names the key without revealing it.
func (b *Box) ID() string {
	if b == nil {
		return "none"
	}
	return b.id
}

// GenerateKey returns a new random key as the text a key file holds.
func GenerateKey() string {
	k := make([]byte, KeySize)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// Parse reads a key from its text: base64 (as GenerateKey writes it) or 64
// hex digits, with surrounding white space ignored.
func Parse(text string) (*Box, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, errors.New("the secret key is empty: make one with metersec secrets keygen")
	}
	if k, err := hex.DecodeString(text); err == nil && len(k) == KeySize {
		return New(k)
	}
	k, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, errors.New("the secret key is neither base64 nor hex: make one with metersec secrets keygen")
	}
	return New(k)
}

// LoadFile reads a key file. It refuses a file others may read, as ssh does
// for private keys.
func LoadFile(path string) (*Box, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret key file %s may be read by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	box, err := Parse(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret key file %s: %w", path, err)
	}
	return box, nil
}

// WriteKeyFile writes a new key to path, readable by its owner only, and
// refuses to overwrite a file.
func WriteKeyFile(path string) (*Box, error) {
	text := GenerateKey()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(text + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return Parse(text)
}

// IsSealed reports whether a stored value is sealed (by any key).
func IsSealed(stored string) bool { return strings.HasPrefix(stored, prefix) }

// KeyID is the id of the key that sealed a stored value, or "" if it is not
// sealed.
func KeyID(stored string) string {
	rest, ok := strings.CutPrefix(stored, prefix)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, ":")
	return id
}

// Seal returns the value to store for a secret. Without a key (a nil box)
// that is the secret itself.
func (b *Box) Seal(secret, purpose string) string {
	if b == nil || secret == "" {
		return secret
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(secret)+b.aead.Overhead())
	rand.Read(nonce)
	out := b.aead.Seal(nonce, nonce, []byte(secret), []byte(purpose))
	return prefix + b.id + ":" + base64.RawURLEncoding.EncodeToString(out)
}

// ErrNoKey is returned when a sealed value is read without a key.
var ErrNoKey = errors.New("the database's secrets are encrypted: give the key with --secret-key-file or METERSEC_SECRET_KEY_FILE")

// Open returns the secret a stored value holds. A value stored before
// secrets were sealed is returned as it is (serve seals those at start).
func (b *Box) Open(stored, purpose string) (string, error) {
	if !IsSealed(stored) {
		return stored, nil
	}
	if b == nil {
		return "", ErrNoKey
	}
	id, data, ok := strings.Cut(strings.TrimPrefix(stored, prefix), ":")
	if !ok {
		return "", errors.New("a sealed secret is malformed")
	}
	if id != b.id {
		return "", fmt.Errorf("a secret is sealed under key %s, not the key given (%s): give that key, or rotate with metersec secrets rotate", id, b.id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(data)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", errors.New("a sealed secret is malformed")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return "", errors.New("a sealed secret does not open under its key: it was altered, or copied from another kind of record")
	}
	return string(plain), nil
}

// Reseal returns what to store for a value under the key to: a plain value
// is sealed, one sealed under a key in from is opened and sealed again, one
// already under to is kept. changed says whether it differs from stored.
// With to nil, sealed values are opened back to plain text.
func Reseal(stored, purpose string, to *Box, from ...*Box) (string, bool, error) {
	if stored == "" {
		return stored, false, nil
	}
	if to != nil && KeyID(stored) == to.id {
		return stored, false, nil
	}
	plain := stored
	if IsSealed(stored) {
		id := KeyID(stored)
		var opener *Box
		for _, b := range append([]*Box{to}, from...) {
			if b != nil && b.id == id {
				opener = b
			}
		}
		if opener == nil {
			return "", false, fmt.Errorf("a secret is sealed under key %s, which was not given", id)
		}
		var err error
		if plain, err = opener.Open(stored, purpose); err != nil {
			return "", false, err
		}
	}
	out := to.Seal(plain, purpose)
	return out, out != stored, nil
}
