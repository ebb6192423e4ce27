package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// problem is an error answer in the form of RFC 9457 (application/problem+json).
type problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []fieldProblem `json:"errors,omitempty"`
	// CurrentStatus is the check's status when the lifecycle refuses a transition.
	CurrentStatus string `json:"current_status,omitempty"`
}

type fieldProblem struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// Problem codes of the HTTP layer itself, beside the domain's.
const (
	codeTooLarge         = "too_large"
	codeUnsupportedMedia = "unsupported_media_type"
	codeMethodNotAllowed = "method_not_allowed"
	codeRateLimited      = "rate_limited"
)

// statuses maps every error code to its HTTP status and title: the one place where the
// domain's errors become HTTP.
var statuses = map[string]struct {
	status int
	title  string
}{
	checks.EMALFORMED:    {http.StatusBadRequest, "The request cannot be read"},
	checks.EINVALID:      {http.StatusUnprocessableEntity, "The request has invalid fields"},
	checks.EUNAUTHORIZED: {http.StatusUnauthorized, "Authentication required"},
	checks.EFORBIDDEN:    {http.StatusForbidden, "Not allowed for your role"},
	checks.ENOTFOUND:     {http.StatusNotFound, "Not found"},
	checks.ECONFLICT:     {http.StatusConflict, "Not possible in the current state"},
	checks.EPRECONDITION: {http.StatusPreconditionFailed, "The version you named is no longer current"},
	checks.EUNAVAILABLE:  {http.StatusServiceUnavailable, "Temporarily unavailable"},
	checks.EINTERNAL:     {http.StatusInternalServerError, "Internal error"},
	codeTooLarge:         {http.StatusRequestEntityTooLarge, "The request body is too large"},
	codeUnsupportedMedia: {http.StatusUnsupportedMediaType, "Send JSON"},
	codeMethodNotAllowed: {http.StatusMethodNotAllowed, "Method not allowed"},
	codeRateLimited:      {http.StatusTooManyRequests, "Too many requests"},
}

// fail answers err as a problem. Internal errors are logged with the request id and answered
// without their text.
func (s *Server) fail(c *gin.Context, err error) {
	var tooLarge *http.MaxBytesError
	var media *mediaTypeError
	switch {
	case errors.As(err, &tooLarge):
		s.answer(c, codeTooLarge, "send at most 64 KiB", nil, "")
		return
	case errors.As(err, &media):
		s.answer(c, codeUnsupportedMedia, "send the body as JSON with Content-Type: application/json", nil, "")
		return
	case errors.Is(err, context.Canceled) && c.Request.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		c.Abort()
		return
	case errors.Is(err, context.DeadlineExceeded):
		err = &checks.Error{Code: checks.EUNAVAILABLE, Message: "the request took too long; try again", Err: err}
	}
	var e *checks.Error
	if !errors.As(err, &e) {
		e = &checks.Error{Code: checks.EINTERNAL, Err: err}
	}
	if e.Code == checks.EINTERNAL || e.Code == checks.EUNAVAILABLE {
		s.log.LogAttrs(c.Request.Context(), levelFor(e.Code), "request failed", slog.String("error", err.Error()))
	}
	detail := e.Message
	if e.Code == checks.EINTERNAL {
		detail = "something went wrong on our side; it has been logged with the request id"
	}
	if e.Code == checks.EUNAVAILABLE {
		c.Header("Retry-After", "5")
	}
	if e.Code == checks.EUNAUTHORIZED {
		c.Header("WWW-Authenticate", `Bearer realm="safeguarding"`)
	}
	var fields []fieldProblem
	for _, f := range e.Fields {
		fields = append(fields, fieldProblem{f.Field, f.Reason})
	}
	s.answer(c, e.Code, detail, fields, string(e.Status))
}

func levelFor(code string) slog.Level {
	if code == checks.EUNAVAILABLE {
		return slog.LevelWarn
	}
	return slog.LevelError
}

func (s *Server) answer(c *gin.Context, code, detail string, fields []fieldProblem, current string) {
	st, ok := statuses[code]
	if !ok {
		st = statuses[checks.EINTERNAL]
	}
	p := problem{
		Type: "/problems/" + code, Title: st.title, Status: st.status, Detail: detail,
		Instance: c.Request.URL.EscapedPath(), RequestID: requestID(c), Errors: fields, CurrentStatus: current,
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(st.status, p)
}
