// More of the liaisons' pages: what their agency answered lately, a note from a request's
// page, and how far off a due date is, in words.

package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// workdaysText says how many working days are left until a due date, or how many it is
// overdue: "3 working days left", "Due today", "6 working days overdue", never a negative
// number.
func workdaysText(left int) string {
	switch {
	case left == 0:
		return "Due today"
	case left == 1:
		return "1 working day left"
	case left == -1:
		return "1 working day overdue"
	case left < 0:
		return fmt.Sprintf("%d working days overdue", -left)
	}
	return fmt.Sprintf("%d working days left", left)
}

// answeredRow is one line of the list of what an agency answered.
type answeredRow struct {
	ID, CRN, Name string
	Type          checks.CheckType
	Outcome       checks.Outcome
	Answered      checks.Date
	By            string
	// Now says where the check stands since: probation has still to read the answer, has
	// completed the check, or the request was withdrawn.
	Now string
}

// answeredPage lists what the liaison's agency answered in the last 90 days, the latest
// first.
func (s *Server) answeredPage(c *gin.Context) {
	u := actor(c)
	if u.Role != checks.RoleLiaison {
		s.failPage(c, checks.Errorf(checks.ENOTFOUND, "not found"))
		return
	}
	answered, err := s.svc.AnsweredChecks(c.Request.Context(), u)
	if err != nil {
		s.failPage(c, err)
		return
	}
	rows := make([]answeredRow, 0, len(answered))
	for _, ch := range answered {
		now := map[checks.Status]string{
			checks.StatusResponded: "Waiting for probation to read it",
			checks.StatusCompleted: "Read by probation",
			checks.StatusWithdrawn: "Withdrawn",
		}[ch.Status]
		rows = append(rows, answeredRow{ID: ch.ID, CRN: ch.CRN, Name: ch.FullName, Type: ch.Type, Outcome: ch.Response.Outcome,
			Answered: checks.DateOf(ch.Response.RespondedAt), By: ch.Response.RespondedByName, Now: now})
	}
	s.render(c, http.StatusOK, "answered", pageData{Title: "Answered requests",
		Data: struct {
			Agency string
			Days   int
			Rows   []answeredRow
		}{u.Agency, checks.AnsweredDays, rows}})
}

// noteForm adds a liaison's note to a request from its page, e.g. to say when the answer
// will come.
func (s *Server) noteForm(c *gin.Context) {
	ctx, u, id := c.Request.Context(), actor(c), c.Param("id")
	note := strings.TrimSpace(c.PostForm("note"))
	if u.Role != checks.RoleLiaison {
		// Probation's notes belong on the release page, which has no form for them yet.
		s.failPage(c, checks.Errorf(checks.ENOTFOUND, "not found"))
		return
	}
	_, err := s.svc.AddNote(ctx, u, id, nil, note)
	switch code := checks.ErrorCode(err); code {
	case "":
		c.Redirect(http.StatusSeeOther, "/checks/"+id+"?notice=note-added#notes")
	case checks.EINVALID, checks.ECONFLICT:
		ch, rerr := s.agencyCheck(c, id)
		if rerr != nil {
			s.failPage(c, rerr)
			return
		}
		errs := formErrors(err, map[string]string{"note": "Enter a note"})
		if code == checks.ECONFLICT {
			errs = []formError{{"note", conflictText(err)}}
		}
		s.renderCheckTyped(c, checks.ClassOf(code).HTTPStatus, ch, errs, "", "", map[string]string{"note": note})
	default:
		s.failPage(c, err)
	}
}
