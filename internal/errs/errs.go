// Package errs is metersec's one error type. Services return *Error values with
// a Code; the web package maps each Code to an HTTP status and an RFC 9457
// problem document in one place, and the CLI prints the message. Anything that
// is not an *Error is internal: logged with the request id, never shown.
package errs

import (
	"errors"
	"fmt"
	"strings"
)

// Code says what kind of failure an error is, independent of transport.
type Code string

// The codes. Each maps to one HTTP status in internal/web.
const (
	Invalid         Code = "invalid"         // bad input: 400 or 422
	Unauthenticated Code = "unauthenticated" // no or bad credentials: 401
	Forbidden       Code = "forbidden"       // known caller, not allowed: 403
	NotFound        Code = "not_found"       // absent, or not visible to the caller: 404
	Conflict        Code = "conflict"        // clashes with the current state: 409
	TooLarge        Code = "too_large"       // body or file over its limit: 413
	Unsupported     Code = "unsupported"     // wrong media type: 415
	RateLimited     Code = "rate_limited"    // too many attempts: 429
	Unavailable     Code = "unavailable"     // not ready (e.g. stale schema): 503
	Internal        Code = "internal"        // a bug or an outage: 500, details hidden
)

// Field is one problem with one field of the input, optionally on one line of
// a file.
type Field struct {
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (f Field) String() string {
	var b strings.Builder
	if f.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", f.Line)
	}
	if f.Field != "" {
		fmt.Fprintf(&b, "%s: ", f.Field)
	}
	b.WriteString(f.Message)
	return b.String()
}

// Error is a failure a caller can be told about.
type Error struct {
	Code    Code
	Message string  // one sentence for the user
	Fields  []Field // the problems with the input, if any
	More    int     // further field problems not listed
	Err     error   // the cause, for logs only
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	if e.More > 0 {
		fmt.Fprintf(&b, "\n  … and %d more", e.More)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// E makes an error with a code and a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fields makes an Invalid error listing problems with the input.
func Fields(message string, fields ...Field) *Error {
	return &Error{Code: Invalid, Message: message, Fields: fields}
}

// FieldError makes an Invalid error about one field.
func FieldError(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: Invalid, Message: field + ": " + msg, Fields: []Field{{Field: field, Message: msg}}}
}

// NotFoundf says a record does not exist or the caller may not see it. The two
// are deliberately indistinguishable.
func NotFoundf(kind string, id any) *Error {
	return &Error{Code: NotFound, Message: fmt.Sprintf("%s %v not found", kind, id)}
}

// Wrap marks err as internal unless it already carries a code.
func Wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: Internal, Message: "internal error", Err: fmt.Errorf("%s: %w", what, err)}
}

// CodeOf returns the code of err: Internal for anything that is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns err as an *Error, turning anything else into an Internal one
// whose message hides the cause.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// Collector gathers field problems, keeping the first Limit and counting the
// rest, so a file with millions of bad rows still gives a short answer.
type Collector struct {
	Limit  int
	Fields []Field
	More   int
}

// Add records one problem.
func (c *Collector) Add(f Field) {
	limit := c.Limit
	if limit <= 0 {
		limit = 100
	}
	if len(c.Fields) < limit {
		c.Fields = append(c.Fields, f)
		return
	}
	c.More++
}

// Count is the number of problems recorded.
func (c *Collector) Count() int { return len(c.Fields) + c.More }

// Err returns nil when nothing was recorded, otherwise an Invalid error with
// message and the problems.
func (c *Collector) Err(message string) error {
	if c.Count() == 0 {
		return nil
	}
	return &Error{Code: Invalid, Message: message, Fields: c.Fields, More: c.More}
}
