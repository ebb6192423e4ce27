// The pages of police and children's services liaisons: the queue of requests to their
// agency, one request, and the form to answer it.

package api

import (
	"cmp"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

type queueRow struct {
	ID, CRN, Name string
	Type          checks.CheckType
	ReleaseDate   checks.Date
	Due           checks.Date
	DaysLeft      int
	Overdue       bool
	DueSoon       bool
}

func (s *Server) queuePage(c *gin.Context) {
	u := actor(c)
	if u.Role != checks.RoleLiaison {
		s.failPage(c, checks.Errorf(checks.ENOTFOUND, "not found"))
		return
	}
	open, err := s.allChecks(c, checks.CheckFilter{Status: string(checks.StatusRequested)})
	if err != nil {
		s.failPage(c, err)
		return
	}
	today := s.svc.Today()
	rows := make([]queueRow, 0, len(open))
	for _, ch := range open {
		left := s.svc.Deadlines().Calendar.WorkdaysBetween(today, ch.DueDate)
		rows = append(rows, queueRow{ch.ID, ch.CRN, ch.FullName, ch.Type, ch.ReleaseDate, ch.DueDate, left, ch.Overdue(today), left <= 2})
	}
	slices.SortStableFunc(rows, func(a, b queueRow) int {
		if c := cmp.Compare(a.Due.String(), b.Due.String()); c != 0 {
			return c
		}
		return cmp.Compare(a.ReleaseDate.String(), b.ReleaseDate.String())
	})
	s.render(c, http.StatusOK, "queue", pageData{Title: "Requests", Notice: notice(c),
		Data: struct {
			Agency string
			Rows   []queueRow
		}{u.Agency, rows}})
}

// allChecks reads every page of a check list.
func (s *Server) allChecks(c *gin.Context, f checks.CheckFilter) ([]checks.Check, error) {
	var out []checks.Check
	f.Limit = 200
	for {
		page, err := s.svc.Checks(c.Request.Context(), actor(c), f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		f.Cursor = page.NextCursor
	}
}

// checkView is a liaison's page of one request: the check, whether it is overdue, what was
// typed into a form that failed, and the outcomes to choose from.
type checkView struct {
	Check            checks.AgencyView
	Overdue          bool
	Outcome, Summary string
	Outcomes         []option
	ReleasedOn       string // see releasedOn
	// DaysLeft is the working days from today to the due date: negative when overdue.
	DaysLeft int
	// Typed is what was typed into the form asking for more time, when it failed.
	Typed map[string]string
}

// checkPage is the page a link in an email opens: for a liaison, the request with the form to
// answer it; for probation staff, the check on its release's page.
func (s *Server) checkPage(c *gin.Context) {
	if actor(c).Role != checks.RoleLiaison {
		// The release page shows the check (and records the read of its summary).
		releaseID, err := s.svc.ReleaseOfCheck(c.Request.Context(), actor(c), c.Param("id"))
		if err != nil {
			s.failPage(c, err)
			return
		}
		c.Redirect(http.StatusSeeOther, "/releases/"+releaseID+"#check-"+c.Param("id"))
		return
	}
	ch, err := s.agencyCheck(c, c.Param("id"))
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.renderCheck(c, http.StatusOK, ch, nil, "", "")
}

// agencyCheck reads a check as the liaison signed in sees it.
func (s *Server) agencyCheck(c *gin.Context, id string) (checks.AgencyView, error) {
	ch, err := s.svc.Check(c.Request.Context(), actor(c), id)
	if err != nil {
		return checks.AgencyView{}, err
	}
	return s.svc.ForAgency(c.Request.Context(), actor(c), ch)
}

func (s *Server) renderCheck(c *gin.Context, status int, ch checks.AgencyView, errs []formError, outcome, summary string) {
	s.renderCheckTyped(c, status, ch, errs, outcome, summary, map[string]string{})
}

func (s *Server) renderCheckTyped(c *gin.Context, status int, ch checks.AgencyView, errs []formError, outcome, summary string, typed map[string]string) {
	back := "/queue"
	if ch.Response != nil {
		back = "/answered"
	}
	s.render(c, status, "check", pageData{
		Title: ch.Type.Info().Name + " check for " + ch.CRN, Errors: errs, Notice: notice(c), Back: back,
		Data: checkView{
			Check: ch, Overdue: ch.Overdue(s.svc.Today()), Outcome: outcome, Summary: summary, Typed: typed,
			ReleasedOn: releasedOn(s.svc.Deadlines(), ch.ReleaseDate),
			DaysLeft:   s.svc.Deadlines().Calendar.WorkdaysBetween(s.svc.Today(), ch.DueDate),
			Outcomes: []option{
				{string(checks.OutcomeInformationHeld), "Information held"},
				{string(checks.OutcomeNoInformation), "No information held"},
				{string(checks.OutcomeDeclined), "Declined to share"},
			},
		},
	})
}

func (s *Server) answerForm(c *gin.Context) {
	id := c.Param("id")
	outcome, summary := c.PostForm("outcome"), c.PostForm("summary")
	_, err := s.svc.RespondToCheck(c.Request.Context(), actor(c), id, nil, checks.ResponseInput{Outcome: outcome, Summary: summary})
	if checks.ErrorCode(err) == checks.EINVALID {
		ch, rerr := s.agencyCheck(c, id)
		if rerr != nil {
			s.failPage(c, rerr)
			return
		}
		s.renderCheck(c, http.StatusUnprocessableEntity, ch, formErrors(err, map[string]string{
			"outcome": "Choose what your agency holds",
		}), outcome, summary)
		return
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/queue?notice=answered")
}
