package party

import (
	"context"
	"strings"
	"time"

	"github.com/metersec/metersec/internal/access"
	"github.com/metersec/metersec/internal/audit"
	"github.com/metersec/metersec/internal/errs"
	"github.com/metersec/metersec/internal/store"
	"github.com/metersec/metersec/internal/validate"
)

// ContactInput is a security contact as submitted.
type ContactInput struct {
	Label  string `json:"label,omitempty"` // "primary" when empty
	Name   string `json:"name"`
	Email  string `json:"email"`
	Phone  string `json:"phone,omitempty"`
	PGPKey string `json:"pgp_key,omitempty"`
}

func (in *ContactInput) normalise() []errs.Field {
	in.Label = strings.ToLower(strings.TrimSpace(in.Label))
	if in.Label == "" {
		in.Label = "primary"
	}
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	in.PGPKey = strings.TrimSpace(in.PGPKey)
	var fields []errs.Field
	for _, c := range []struct{ field, msg string }{
		{"label", validate.Label(in.Label)},
		{"name", validate.Text(in.Name, 200)},
		{"email", validate.Email(in.Email)},
		{"phone", validate.Phone(in.Phone)},
		{"pgp_key", validate.PGPKey(in.PGPKey)},
	} {
		if c.msg != "" {
			fields = append(fields, errs.Field{Field: c.field, Message: c.msg})
		}
	}
	return fields
}

func (in ContactInput) same(c Contact) bool {
	return in.Name == c.Name && in.Email == c.Email && in.Phone == c.Phone && in.PGPKey == c.PGPKey
}

// MayEditContacts reports whether the caller may change p's security
// contacts: an organisation edits its own; the SSC and its secretariat may
// edit anyone's. SetContact and RemoveContact decide with it; the party page
// asks it whether to offer the form.
func MayEditContacts(c access.Caller, p Party) bool {
	return MayAdminister(c) || (c.OrgID == p.ID && c.UserID != 0)
}

// SetContact makes in the current contact under its label, closing the
// contact it replaces. Setting the same details again changes nothing.
func (s *Service) SetContact(ctx context.Context, c access.Caller, code string, in ContactInput) (Contact, error) {
	if fields := in.normalise(); len(fields) > 0 {
		return Contact{}, errs.Fields("the contact is not valid", fields...)
	}
	var ct Contact
	err := s.DB.Write(ctx, c, func(tx *store.Tx) error {
		p, err := get(ctx, tx, c, code)
		if err != nil {
			return err
		}
		if !MayEditContacts(c, p) {
			return errs.E(errs.Forbidden, "only %s itself and the SSC may change its security contacts", p.Code)
		}
		ct, err = setContact(ctx, tx, p, in)
		return err
	})
	return ct, err
}

func setContact(ctx context.Context, tx *store.Tx, p Party, in ContactInput) (Contact, error) {
	for _, cur := range p.Contacts {
		if cur.Label == in.Label && in.same(cur) {
			return cur, nil
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE security_contacts SET valid_to = $1 WHERE org_id = $2 AND label = $3 AND valid_to IS NULL",
		tx.Now, p.ID, in.Label); err != nil {
		return Contact{}, errs.Wrap(err, "close contact")
	}
	ct := Contact{Label: in.Label, Name: in.Name, Email: in.Email, Phone: in.Phone, PGPKey: in.PGPKey,
		ValidFrom: tx.Now, ChangedBy: tx.Actor.Name}
	if err := tx.QueryRowContext(ctx, `INSERT INTO security_contacts
		(org_id, label, name, email, phone, pgp_key, valid_from, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		p.ID, ct.Label, ct.Name, ct.Email, ct.Phone, ct.PGPKey, ct.ValidFrom, ct.ChangedBy).Scan(&ct.ID); err != nil {
		return Contact{}, errs.Wrap(err, "add contact")
	}
	return ct, audit.Record(ctx, tx, "party.contact.set", Kind, p.Code+"/"+ct.Label, ct)
}

// RemoveContact ends the current contact under label.
func (s *Service) RemoveContact(ctx context.Context, c access.Caller, code, label string) error {
	return s.DB.Write(ctx, c, func(tx *store.Tx) error {
		p, err := get(ctx, tx, c, code)
		if err != nil {
			return err
		}
		if !MayEditContacts(c, p) {
			return errs.E(errs.Forbidden, "only %s itself and the SSC may change its security contacts", p.Code)
		}
		res, err := tx.ExecContext(ctx, "UPDATE security_contacts SET valid_to = $1 WHERE org_id = $2 AND label = $3 AND valid_to IS NULL",
			tx.Now, p.ID, label)
		if err != nil {
			return errs.Wrap(err, "remove contact")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFoundf("contact", label)
		}
		return audit.Record(ctx, tx, "party.contact.remove", Kind, p.Code+"/"+label, nil)
	})
}

// Contacts returns a party's current contacts, or with history every contact
// it has had, newest first.
func (s *Service) Contacts(ctx context.Context, c access.Caller, code string, history bool) ([]Contact, error) {
	p, err := get(ctx, s.DB, c, code)
	if err != nil {
		return nil, err
	}
	if !history {
		return p.Contacts, nil
	}
	return contacts(ctx, s.DB, p.ID, true)
}

func contacts(ctx context.Context, q store.Querier, orgID int64, history bool) ([]Contact, error) {
	cond := " AND valid_to IS NULL ORDER BY label"
	if history {
		cond = " ORDER BY valid_from DESC, id DESC"
	}
	rows, err := q.QueryContext(ctx, `SELECT id, label, name, email, phone, pgp_key, valid_from, valid_to, changed_by
		FROM security_contacts WHERE org_id = $1`+cond, orgID)
	if err != nil {
		return nil, errs.Wrap(err, "contacts")
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var ct Contact
		var to *time.Time
		if err := rows.Scan(&ct.ID, &ct.Label, &ct.Name, &ct.Email, &ct.Phone, &ct.PGPKey, &ct.ValidFrom, &to, &ct.ChangedBy); err != nil {
			return nil, errs.Wrap(err, "contacts")
		}
		ct.ValidFrom = ct.ValidFrom.UTC()
		if to != nil {
			u := to.UTC()
			ct.ValidTo = &u
		}
		out = append(out, ct)
	}
	return out, errs.Wrap(rows.Err(), "contacts")
}
