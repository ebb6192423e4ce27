package checks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Error codes. The API maps each to one HTTP status in one place; the rest of the code only
// says what went wrong.
const (
	EMALFORMED    = "malformed"           // the request cannot be read: bad JSON, wrong type, bad id
	EINVALID      = "invalid"             // the request is readable but breaks a rule
	EUNAUTHORIZED = "unauthorized"        // no valid credentials
	EFORBIDDEN    = "forbidden"           // the caller sees the thing but may not do this to it
	ENOTFOUND     = "not_found"           // no such thing, or not in the caller's scope
	ECONFLICT     = "conflict"            // not possible in the thing's current state
	EPRECONDITION = "precondition_failed" // If-Match names a version that is no longer current
	EUNAVAILABLE  = "unavailable"         // the database cannot be reached; try again
	EINTERNAL     = "internal"            // a fault of ours
	ECANCELLED    = "cancelled"           // the caller gave up (its context was cancelled): nobody waits for an answer
)

// StatusClientClosedRequest is the status a request the client abandoned is logged and
// counted with (nginx's 499): it is never sent, the client is gone.
const StatusClientClosedRequest = 499

// Class is how an error is answered wherever it surfaces: the HTTP status and title of an API
// problem, the heading and advice of an error page, the exit status of a command, whether
// trying again later may succeed, and whether it is a fault to log.
type Class struct {
	Code       string
	HTTPStatus int
	Title      string
	// Heading and Advice are what an error page says.
	Heading, Advice string
	// Exit is the exit status of a command that failed with it.
	Exit int
	// Temporary means the same request may succeed later, unchanged.
	Temporary bool
	// Fault means something is wrong on our side: logged, and never shown in detail.
	Fault bool
}

// classes is the one table from error codes to answers: the API, the pages, the command line
// and the scheduler all read it.
var classes = map[string]Class{
	EMALFORMED: {Code: EMALFORMED, HTTPStatus: http.StatusBadRequest, Title: "The request cannot be read",
		Heading: "Page not found", Advice: notFoundAdvice, Exit: 2},
	EINVALID: {Code: EINVALID, HTTPStatus: http.StatusUnprocessableEntity, Title: "The request has invalid fields",
		Heading: "There is a problem", Advice: "Check the answers and try again.", Exit: 2},
	EUNAUTHORIZED: {Code: EUNAUTHORIZED, HTTPStatus: http.StatusUnauthorized, Title: "Authentication required",
		Heading: "Sign in", Advice: "Sign in to use the service.", Exit: 77},
	EFORBIDDEN: {Code: EFORBIDDEN, HTTPStatus: http.StatusForbidden, Title: "Not allowed for your role",
		Heading: "You cannot do this", Advice: "Your role does not allow it.", Exit: 77},
	ENOTFOUND: {Code: ENOTFOUND, HTTPStatus: http.StatusNotFound, Title: "Not found",
		Heading: "Page not found", Advice: notFoundAdvice, Exit: 1},
	ECONFLICT: {Code: ECONFLICT, HTTPStatus: http.StatusConflict, Title: "Not possible in the current state",
		Heading: "This has already changed", Advice: "Go back and reload the page to see where things stand.", Exit: 1},
	EPRECONDITION: {Code: EPRECONDITION, HTTPStatus: http.StatusPreconditionFailed, Title: "The version you named is no longer current",
		Heading: "This has already changed", Advice: "Go back and reload the page to see where things stand.", Exit: 1},
	EUNAVAILABLE: {Code: EUNAVAILABLE, HTTPStatus: http.StatusServiceUnavailable, Title: "Temporarily unavailable",
		Heading: "Sorry, the service is unavailable", Advice: "Try again in a few minutes. Nothing you sent has been lost.",
		Exit: 69, Temporary: true, Fault: true},
	EINTERNAL: {Code: EINTERNAL, HTTPStatus: http.StatusInternalServerError, Title: "Internal error",
		Heading: "Sorry, there is a problem with the service", Advice: "Try again later.", Exit: 1, Fault: true},
	// Not a fault: the client hung up, or the process is stopping. 130 is the exit status
	// of a command stopped by Ctrl-C.
	ECANCELLED: {Code: ECANCELLED, HTTPStatus: StatusClientClosedRequest, Title: "Client closed request",
		Heading: "Stopped", Advice: "The request was given up before it was answered.", Exit: 130},
}

const notFoundAdvice = "If you typed the web address, check it is correct. If you followed a link, the page may be for another team or agency."

// Classify returns how err is answered. A deadline that ran out is EUNAVAILABLE (the request
// took too long: try again), a cancelled context ECANCELLED (the caller gave up: not a
// fault); any other error that is not an *Error is EINTERNAL.
func Classify(err error) Class {
	if ErrorCode(err) == EINTERNAL {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return classes[EUNAVAILABLE]
		case errors.Is(err, context.Canceled):
			return classes[ECANCELLED]
		}
	}
	return classes[ErrorCode(err)]
}

// ClassOf returns the class of an error code, EINTERNAL's for an unknown one.
func ClassOf(code string) Class {
	if c, ok := classes[code]; ok {
		return c
	}
	return classes[EINTERNAL]
}

// Error is an error the caller can act on. Its Message is safe to show to the user: it never
// carries the text of an internal error.
type Error struct {
	Code    string
	Message string
	// Fields says which fields of the request are wrong and why.
	Fields []FieldError
	// Status is the current status of the check, for a transition that the lifecycle refuses.
	Status Status
	// Err is the underlying fault, kept for logs and errors.Is, never shown.
	Err error
}

// FieldError is a problem with one field of a request.
type FieldError struct {
	Field  string
	Reason string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Code)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Reason)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a message for the user.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err: "" for no error, EINTERNAL when err is not an *Error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrNotFound is answered for a thing that does not exist or is out of the caller's scope:
// the two must look the same, so that scope does not leak what exists.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}

// ErrStale is returned by a conditional update when the document changed after it was read.
// The service retries, or answers 412 when the caller named the version it expected.
var ErrStale = &Error{Code: EPRECONDITION, Message: "it changed since it was read: read it again and retry"}

// fields collects field errors of one request, so that the caller sees all of them at once.
type fields []FieldError

func (f *fields) add(field, reason string, args ...any) {
	*f = append(*f, FieldError{Field: field, Reason: fmt.Sprintf(reason, args...)})
}

// has reports whether a problem with field was already found.
func (f fields) has(field string) bool {
	for _, e := range f {
		if e.Field == field {
			return true
		}
	}
	return false
}

// err returns an EINVALID error listing every field, or nil when there is none.
func (f fields) err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "the request has invalid fields", Fields: f}
}

// Malformed returns an EMALFORMED error about one field.
func Malformed(field, reason string) error {
	return &Error{Code: EMALFORMED, Message: "the request cannot be read", Fields: []FieldError{{field, reason}}}
}
