// The forms of the newer lifecycle actions that are not a COM's transition on the release
// page: a liaison asking for more time.

package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// extensionForm is a liaison asking for more time from the check's page.
func (s *Server) extensionForm(c *gin.Context) {
	ctx, u, id := c.Request.Context(), actor(c), c.Param("id")
	typed := map[string]string{}
	for _, k := range []string{"proposed_date-day", "proposed_date-month", "proposed_date-year", "extension_note"} {
		typed[k] = strings.TrimSpace(c.PostForm(k))
	}
	dates := datesRead{}
	proposed := dates.read(typed, dateInput{"proposed_date", "The date your agency can answer by"})
	_, err := s.svc.AskForTime(ctx, u, id, nil, checks.ExtensionInput{ProposedDate: proposed, Note: typed["extension_note"]})
	switch code := checks.ErrorCode(err); code {
	case "":
		c.Redirect(http.StatusSeeOther, "/checks/"+id+"?notice=time-asked")
	case checks.EINVALID, checks.ECONFLICT:
		ch, rerr := s.agencyCheck(c, id)
		if rerr != nil {
			s.failPage(c, rerr)
			return
		}
		// The date's rules say themselves what is wrong with it; a missing note is asked for.
		errs := formErrors(err, map[string]string{"note": "Enter why your agency needs more time"})
		for i := range errs {
			switch errs[i].Field {
			case "proposed_date":
				errs[i].Field = "proposed_date-day"
			case "note":
				errs[i].Field = "extension_note"
			}
		}
		errs = dates.fix(errs, map[string]string{"proposed_date": "Date your agency can answer by"})
		if code == checks.ECONFLICT {
			errs = []formError{{"extension", conflictText(err)}}
		}
		s.renderCheckTyped(c, checks.ClassOf(code).HTTPStatus, ch, errs, "", "", typed)
	default:
		s.failPage(c, err)
	}
}

// conflictText is a refusal by the lifecycle as a sentence for an error summary.
func conflictText(err error) string {
	e, ok := err.(*checks.Error)
	if !ok || e.Message == "" {
		return "This has changed: reload the page to see where things stand"
	}
	msg := plainMessage(e.Message)
	return strings.ToUpper(msg[:1]) + msg[1:]
}
