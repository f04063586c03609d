package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/sec"
	"github.com/metersec/metersec/internal/store"
)

// The hash chain proves the order and content of the trail only to someone
// who holds a hash from it that the database's writer could not change.
// Checkpoints are that hash: the head's sequence number and hash signed with
// an ed25519 key that lives in a file (--audit-key-file), never in the
// database, and sent away (to the SSC by email, to whoever fetches
// /api/v1/audit/checkpoint). Verify with a checkpoint then finds the two
// rewrites an unkeyed chain cannot: the newest entries deleted and the head
// moved back, and an entry edited with every later hash recomputed.

// Checkpoint is a signed statement that the trail's entry Seq had hash Hash
// at time At. It is what the endpoint publishes, the email carries and
// `audit verify --checkpoint FILE` reads.
type Checkpoint struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	At        time.Time `json:"at"`
	KeyID     string    `json:"key_id"`
	Signature string    `json:"signature"` // base64 of the ed25519 signature of message()
}

// message is the signed text: a label (so that a signature made for
// something else never passes as a checkpoint) and the three facts.
func (cp Checkpoint) message() []byte {
	return []byte("metersec audit checkpoint v1\x1f" + strconv.FormatInt(cp.Seq, 10) + "\x1f" + cp.Hash + "\x1f" +
		cp.At.UTC().Format(time.RFC3339Nano))
}

// Key is the signing key of checkpoints.
type Key struct {
	priv ed25519.PrivateKey
}

// Public is the key's public half.
func (k *Key) Public() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

// KeyID names a public key: the first 16 hex digits of the SHA-256 of its
// bytes. Checkpoints carry it so that a verifier given the wrong key says so.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

const (
	pemPrivate = "PRIVATE KEY" // PKCS #8, as openssl writes it
	pemPublic  = "PUBLIC KEY"  // PKIX
)

// GenerateKey writes a new key pair: the private key to privPath (mode 0600)
// and the public key to pubPath. Neither file may exist already: overwriting
// a key would orphan every checkpoint signed with it.
func GenerateKey(privPath, pubPath string) (ed25519.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := writeNew(privPath, pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(pubPath, pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: pubDER}), 0o644); err != nil {
		os.Remove(privPath)
		return nil, err
	}
	return pub, nil
}

func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists already: choose a new file (a key is never overwritten)", path)
		}
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadKey reads a private key written by GenerateKey (or by
// `openssl genpkey -algorithm ed25519`).
func LoadKey(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != pemPrivate {
		return nil, fmt.Errorf("audit key %s: not a PEM %q block", path, pemPrivate)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("audit key %s: an ed25519 key is needed, not %T", path, k)
	}
	return &Key{priv: priv}, nil
}

// LoadPublicKey reads a public key file, or takes the public half of a
// private key file.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit public key: %w", err)
	}
	blk, _ := pem.Decode(b)
	switch {
	case blk == nil:
		return nil, fmt.Errorf("audit public key %s: not a PEM file", path)
	case blk.Type == pemPrivate:
		k, err := LoadKey(path)
		if err != nil {
			return nil, err
		}
		return k.Public(), nil
	case blk.Type != pemPublic:
		return nil, fmt.Errorf("audit public key %s: not a PEM %q block", path, pemPublic)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("audit public key %s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("audit public key %s: an ed25519 key is needed, not %T", path, k)
	}
	return pub, nil
}

// CheckSignature reports whether cp was signed by pub.
func (cp Checkpoint) CheckSignature(pub ed25519.PublicKey) error {
	if id := KeyID(pub); cp.KeyID != id {
		return fmt.Errorf("the checkpoint was signed by key %s, not by the key given (%s)", cp.KeyID, id)
	}
	sig, err := base64.StdEncoding.DecodeString(cp.Signature)
	if err != nil || !ed25519.Verify(pub, cp.message(), sig) {
		return fmt.Errorf("the checkpoint's signature does not match its contents: the checkpoint was altered, or is not from key %s", cp.KeyID)
	}
	return nil
}

// ReadCheckpoint reads a checkpoint exported to a file (the endpoint's or
// `audit checkpoint`'s JSON). Unknown fields are refused, so a typo does not
// pass as a missing value.
func ReadCheckpoint(path string) (Checkpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Checkpoint{}, err
	}
	return ParseCheckpoint(b)
}

// ParseCheckpoint decodes a checkpoint's JSON and checks every field is there.
func ParseCheckpoint(b []byte) (Checkpoint, error) {
	var cp Checkpoint
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cp); err != nil {
		return cp, errs.Fields("the checkpoint is not valid JSON", errs.Field{Field: "checkpoint", Message: err.Error()})
	}
	var fields []errs.Field
	if cp.Seq <= 0 {
		fields = append(fields, errs.Field{Field: "seq", Message: "must be a positive entry number"})
	}
	if h, err := hex.DecodeString(cp.Hash); err != nil || len(h) != sha256.Size {
		fields = append(fields, errs.Field{Field: "hash", Message: "must be 64 hex digits"})
	}
	if cp.At.IsZero() {
		fields = append(fields, errs.Field{Field: "at", Message: "is required"})
	}
	if cp.KeyID == "" {
		fields = append(fields, errs.Field{Field: "key_id", Message: "is required"})
	}
	if cp.Signature == "" {
		fields = append(fields, errs.Field{Field: "signature", Message: "is required"})
	}
	if len(fields) > 0 {
		return cp, errs.Fields("the checkpoint is not complete", fields...)
	}
	return cp, nil
}

// NotifyFunc tells someone about a new checkpoint, in the checkpoint's
// transaction (the server sends it to the SSC through the delivery outbox).
type NotifyFunc func(ctx context.Context, tx *store.Tx, cp Checkpoint) error

// WriteCheckpoint signs the head of the trail as it stands, stores the
// checkpoint, audits it and calls notify (if not nil), all in one
// transaction. The checkpoint covers the head before its own audit entry.
func WriteCheckpoint(ctx context.Context, db *store.DB, key *Key, notify NotifyFunc) (Checkpoint, error) {
	cp, _, err := writeCheckpoint(ctx, db, key, notify, false)
	return cp, err
}

// WriteCheckpointIfChanged is WriteCheckpoint unless nothing has been
// written to the trail since the last checkpoint's own transaction; then it
// returns the last checkpoint and false. The server's periodic checkpoint
// uses it.
func WriteCheckpointIfChanged(ctx context.Context, db *store.DB, key *Key, notify NotifyFunc) (Checkpoint, bool, error) {
	return writeCheckpoint(ctx, db, key, notify, true)
}

func writeCheckpoint(ctx context.Context, db *store.DB, key *Key, notify NotifyFunc, ifChanged bool) (Checkpoint, bool, error) {
	if key == nil {
		return Checkpoint{}, false, errs.E(errs.Invalid, "no audit key: give --audit-key-file (METERSEC_AUDIT_KEY_FILE); `metersec audit keygen` makes one")
	}
	var cp Checkpoint
	wrote := false
	err := db.Write(ctx, access.SystemCaller("audit checkpoint"), func(tx *store.Tx) error {
		wrote = false
		// The head row's lock orders this after every writer that got it
		// first, so the (seq, hash) pair is a committed, linked state.
		if err := tx.QueryRowContext(ctx, "UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash").
			Scan(&cp.Seq, &cp.Hash); err != nil {
			return errs.Wrap(err, "audit head")
		}
		if cp.Seq == 0 {
			return errs.E(errs.Conflict, "the audit trail is empty: there is nothing to sign yet")
		}
		if ifChanged {
			var last Checkpoint
			var quiet int64
			err := tx.QueryRowContext(ctx, `SELECT seq, hash, at, key_id, signature, quiet_seq FROM audit_checkpoints
				WHERE key_id = $1 ORDER BY id DESC LIMIT 1`, KeyID(key.Public())).
				Scan(&last.Seq, &last.Hash, &last.At, &last.KeyID, &last.Signature, &quiet)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return errs.Wrap(err, "read checkpoint")
			}
			if err == nil && quiet == cp.Seq {
				last.At = last.At.UTC()
				cp = last
				return nil
			}
		}
		wrote = true
		cp.At, cp.KeyID = tx.Now, KeyID(key.Public())
		cp.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key.priv, cp.message()))
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, cp.Seq, cp.Hash, cp.At, cp.KeyID, cp.Signature).Scan(&id); err != nil {
			return errs.Wrap(err, "store checkpoint")
		}
		if err := Record(ctx, tx, "audit.checkpoint", "audit_checkpoint", id, cp); err != nil {
			return err
		}
		if notify != nil {
			if err := notify(ctx, tx, cp); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "UPDATE audit_checkpoints SET quiet_seq = (SELECT seq FROM audit_head WHERE id = 1) WHERE id = $1", id)
		return errs.Wrap(err, "store checkpoint")
	})
	return cp, wrote, err
}

// mayRead reports whether c may read the checkpoints: the same people who
// may read the trail.
func mayRead(c access.Caller) bool {
	return c.System || c.HasAny(sec.RoleAdmin, sec.RoleSSCMember, sec.RoleSecretariat)
}

// LatestCheckpoint is the newest stored checkpoint, for the administrators,
// the SSC and its secretariat.
func LatestCheckpoint(ctx context.Context, db *store.DB, c access.Caller) (Checkpoint, error) {
	if !mayRead(c) {
		return Checkpoint{}, errs.E(errs.Forbidden, "only platform administrators, SSC members and the secretariat may read audit checkpoints")
	}
	var cp Checkpoint
	err := db.QueryRowContext(ctx, `SELECT seq, hash, at, key_id, signature FROM audit_checkpoints
		ORDER BY id DESC LIMIT 1`).Scan(&cp.Seq, &cp.Hash, &cp.At, &cp.KeyID, &cp.Signature)
	if errors.Is(err, sql.ErrNoRows) {
		return cp, errs.E(errs.NotFound, "no audit checkpoint has been written yet")
	}
	cp.At = cp.At.UTC()
	return cp, errs.Wrap(err, "read checkpoint")
}

// StoredCheckpoints lists every stored checkpoint signed by the key pub, in
// order: Verify checks them all against the chain. (An attacker who rewrites
// the trail can delete them too; the copies kept elsewhere are the proof.)
func StoredCheckpoints(ctx context.Context, db *store.DB, pub ed25519.PublicKey) ([]Checkpoint, error) {
	rows, err := db.QueryContext(ctx, "SELECT seq, hash, at, key_id, signature FROM audit_checkpoints WHERE key_id = $1 ORDER BY id", KeyID(pub))
	if err != nil {
		return nil, errs.Wrap(err, "read checkpoints")
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		var cp Checkpoint
		if err := rows.Scan(&cp.Seq, &cp.Hash, &cp.At, &cp.KeyID, &cp.Signature); err != nil {
			return nil, errs.Wrap(err, "read checkpoints")
		}
		cp.At = cp.At.UTC()
		out = append(out, cp)
	}
	return out, errs.Wrap(rows.Err(), "read checkpoints")
}
