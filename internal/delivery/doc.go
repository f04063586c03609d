// Package delivery tells organisations what they must be told, and loses
// nothing on the way: an in-app inbox, email over SMTP, and webhooks signed
// with HMAC-SHA256.
//
// Other areas call Notify (or the lower-level Enqueue) inside the transaction
// that makes the change: the notice and its delivery jobs commit with the
// change or not at all. A Worker then claims due jobs with a lease, sends
// them, and records the outcome; a failure is retried with exponential
// backoff and jitter until it is delivered or, after MaxAttempts, dead (an
// operator can Retry a dead job). A worker that dies mid-send leaves its jobs
// leased; when the lease runs out another worker claims them again.
//
// Delivery is at least once. A job sent and then lost with its worker before
// the outcome was written is sent again, so every job carries an idempotency
// key: the same Message-ID and X-Metersec-Idempotency-Key on every copy of an
// email, the same Idempotency-Key on every copy of a webhook. The reader's
// systems can drop the copy; the reader never sees a second notice.
//
// Why not riverqueue/river: our store runs one database/sql code base on
// SQLite and PostgreSQL, and callers enqueue inside a *store.Tx. River needs a
// driver per engine (pgx for PostgreSQL, a separate one for SQLite) and its own
// transaction type, so jobs could not join our transactions without a second
// connection path. The outbox here is one table, one statement that differs
// by engine (the claim: FOR UPDATE SKIP LOCKED on PostgreSQL, a plain
// UPDATE … RETURNING on single-writer SQLite), and a worker of a few hundred
// lines.
//
// This package owns the tables notices, notice_reads, webhook_endpoints and
// delivery_jobs. It reads organisations and security_contacts, and writes
// nothing else but the audit trail. It knows nothing of HTTP handlers; the
// web package calls Service.
package delivery
