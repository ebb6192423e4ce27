// The GOV.UK basics every page shares: errors in the order of the form, and the pages about
// the service itself (accessibility, privacy, cookies).

package api

import (
	"bytes"
	"cmp"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
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
