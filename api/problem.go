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

// httpCodes are the problems of the HTTP layer itself; every domain error is answered as
// its checks.Class says (checks.Classify), the one table from errors to answers.
var httpCodes = map[string]checks.Class{
	codeTooLarge:         {HTTPStatus: http.StatusRequestEntityTooLarge, Title: "The request body is too large"},
	codeUnsupportedMedia: {HTTPStatus: http.StatusUnsupportedMediaType, Title: "Send JSON"},
	codeMethodNotAllowed: {HTTPStatus: http.StatusMethodNotAllowed, Title: "Method not allowed"},
	codeRateLimited: {HTTPStatus: http.StatusTooManyRequests, Title: "Too many requests",
		Heading: "Too many requests", Advice: "Nothing was done. Wait a moment, then try again."},
}

// classOf is how a code is answered: as the HTTP layer's own, or as the domain's.
func classOf(code string) checks.Class {
	if c, ok := httpCodes[code]; ok {
		c.Code = code
		return c
	}
	return checks.ClassOf(code)
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
	}
	class := checks.Classify(err)
	if s.abandon(c, err, class) {
		return
	}
	var e *checks.Error
	if !errors.As(err, &e) {
		e = &checks.Error{Err: err}
	}
	if class.Fault {
		s.log.LogAttrs(c.Request.Context(), levelFor(class), "request failed", slog.String("error", err.Error()))
	}
	detail := e.Message
	switch {
	case class.Code == checks.EINTERNAL:
		detail = "something went wrong on our side; it has been logged with the request id"
	case errors.Is(err, context.DeadlineExceeded) && e.Code != checks.EUNAVAILABLE:
		detail = "the request took too long; try again"
	}
	if class.Temporary {
		c.Header("Retry-After", "5")
	}
	if class.Code == checks.EUNAUTHORIZED {
		c.Header("WWW-Authenticate", `Bearer realm="safeguarding"`)
	}
	var fields []fieldProblem
	for _, f := range e.Fields {
		fields = append(fields, fieldProblem{f.Field, f.Reason})
	}
	s.answer(c, class.Code, detail, fields, string(e.Status))
}

// abandon reports whether the client hung up before its answer, and if so answers nothing:
// nobody would read it, and logRequests logs the request as abandoned (499). The
// cancellation that follows a hang-up is no fault; any other fault is logged all the same.
func (s *Server) abandon(c *gin.Context, err error, class checks.Class) bool {
	if !errors.Is(c.Request.Context().Err(), context.Canceled) {
		return false
	}
	if class.Fault {
		s.log.LogAttrs(c.Request.Context(), levelFor(class), "request failed", slog.String("error", err.Error()))
	}
	c.Abort()
	return true
}

// levelFor logs what may pass by itself (the database briefly away) as a warning, and every
// other fault as an error.
func levelFor(class checks.Class) slog.Level {
	if class.Temporary {
		return slog.LevelWarn
	}
	return slog.LevelError
}

func (s *Server) answer(c *gin.Context, code, detail string, fields []fieldProblem, current string) {
	st := classOf(code)
	p := problem{
		Type: "/problems/" + st.Code, Title: st.Title, Status: st.HTTPStatus, Detail: detail,
		Instance: c.Request.URL.EscapedPath(), RequestID: requestID(c), Errors: fields, CurrentStatus: current,
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(st.HTTPStatus, p)
}
