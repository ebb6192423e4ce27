// The GOV.UK basics every page shares: errors in the order of the form, and the pages about
// the service itself (accessibility, privacy, cookies).

package api

import (
	"bytes"
	"cmp"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// inFormOrder sorts errs by where each one's field first appears in the rendered page (its
// id="..."), and reports whether that changed their order. An error about no field of the
// page (the form as a whole) goes last.
func inFormOrder(errs []formError, page []byte) bool {
	if len(errs) < 2 {
		return false
	}
	at := make(map[string]int, len(errs))
	for _, e := range errs {
		i := -1
		if e.Field != "" {
			i = bytes.Index(page, []byte(`id="`+e.Field+`"`))
		}
		if i < 0 {
			i = len(page)
		}
		at[e.Field] = i
	}
	sorted := slices.IsSortedFunc(errs, func(a, b formError) int { return cmp.Compare(at[a.Field], at[b.Field]) })
	if sorted {
		return false
	}
	slices.SortStableFunc(errs, func(a, b formError) int { return cmp.Compare(at[a.Field], at[b.Field]) })
	return true
}

// aboutPage shows one of the pages about the service itself, linked from every page's
// footer. They hold nothing about anyone, so they need no session: a person can read the
// privacy notice before signing in.
func (s *Server) aboutPage(page, title string) gin.HandlerFunc {
	return func(c *gin.Context) {
		s.write(c, http.StatusOK, page, pageData{Title: title})
	}
}

// statusName is a check's status as the pages say it.
func statusName(st checks.Status) string {
	return map[checks.Status]string{
		checks.StatusRequired: "Not requested", checks.StatusRequested: "Requested", checks.StatusResponded: "Answered",
		checks.StatusCompleted: "Completed", checks.StatusNotRequired: "Not required", checks.StatusWithdrawn: "Withdrawn",
	}[st]
}

var (
	statusWords = regexp.MustCompile(`\ba check that is (required|requested|responded|completed|not_required|withdrawn)\b`)
	versionNote = regexp.MustCompile(`version \d+ is no longer current \(now \d+\)`)
)

// plainMessage turns a refusal of the service, written for the API, into words for a page:
// dates written out, statuses as the pages name them, no version numbers. A person reading
// a page has no use for 2027-02-10, not_required or "version 3".
func plainMessage(msg string) string {
	msg = writtenDates(msg)
	msg = statusWords.ReplaceAllStringFunc(msg, func(s string) string {
		st := s[strings.LastIndex(s, " ")+1:]
		return "a check that is " + strings.ToLower(statusName(checks.Status(st)))
	})
	return versionNote.ReplaceAllString(msg, "it changed since you opened the page")
}
