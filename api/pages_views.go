package api

import (
	"cmp"
	"context"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// templateFuncs are the helpers the page templates use.
func (s *Server) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"date": func(d checks.Date) string {
			if d.IsZero() {
				return "not set"
			}
			return d.Midday().Format("2 January 2006")
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "not yet"
			}
			l := t.In(checks.London())
			return l.Format("2 January 2006") + " at " + strings.ToLower(l.Format("3:04pm"))
		},
		"statusName": func(st checks.Status) string {
			return map[checks.Status]string{
				checks.StatusRequired: "Not requested", checks.StatusRequested: "Requested", checks.StatusResponded: "Answered",
				checks.StatusCompleted: "Completed", checks.StatusNotRequired: "Not required", checks.StatusWithdrawn: "Withdrawn",
			}[st]
		},
		"statusClass": func(st checks.Status) string {
			return map[checks.Status]string{
				checks.StatusRequired: "govuk-tag--grey", checks.StatusRequested: "govuk-tag--light-blue", checks.StatusResponded: "govuk-tag--purple",
				checks.StatusCompleted: "govuk-tag--green", checks.StatusNotRequired: "govuk-tag--grey", checks.StatusWithdrawn: "govuk-tag--grey",
			}[st]
		},
		"typeName": func(t checks.CheckType) string { return t.Info().Name },
		"outcomeName": func(o checks.Outcome) string {
			return map[checks.Outcome]string{
				checks.OutcomeInformationHeld: "Information held", checks.OutcomeNoInformation: "No information held", checks.OutcomeDeclined: "Declined",
			}[o]
		},
		"actionName": func(a checks.Action) string {
			return map[checks.Action]string{
				checks.ActionCreate: "Created", checks.ActionRequest: "Requested", checks.ActionRespond: "Answered",
				checks.ActionComplete: "Completed", checks.ActionNotRequired: "Marked not required", checks.ActionWithdraw: "Withdrawn",
				checks.ActionNote: "Note", checks.ActionReleaseChanged: "Release changed",
			}[a]
		},
		"roleName": func(r checks.Role) string {
			return map[checks.Role]string{checks.RoleAdmin: "admin", checks.RoleCOM: "community offender manager",
				checks.RoleManager: "manager", checks.RoleLiaison: "liaison"}[r]
		},
		"agencyName": func(code string) string { return s.agencyName(code) },
		"fieldError": func(errs []formError, field string) *formError {
			for i := range errs {
				if errs[i].Field == field {
					return &errs[i]
				}
			}
			return nil
		},
		"lower": strings.ToLower,
		"deref": func(p *float64) float64 { return *p },
		"field": func(p pageData, name, label, hint, width string) map[string]any {
			return map[string]any{"Page": p, "Name": name, "Label": label, "Hint": hint, "Width": width}
		},
		"options": func(p pageData, name, label string, opts []option) map[string]any {
			return map[string]any{"Page": p, "Name": name, "Label": label, "Options": opts}
		},
		"parts": func() []map[string]string {
			return []map[string]string{
				{"Name": "day", "Label": "Day", "Width": "govuk-input--width-2"},
				{"Name": "month", "Label": "Month", "Width": "govuk-input--width-2"},
				{"Name": "year", "Label": "Year", "Width": "govuk-input--width-4"},
			}
		},
	}
}

// agencyName is an agency's name from the directory (its code when unknown). Names never
// change, so each is read once.
func (s *Server) agencyName(code string) string {
	s.namesMu.Lock()
	name, ok := s.agencyNames[code]
	s.namesMu.Unlock()
	if ok {
		return name
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	a, err := s.svc.Agency(ctx, code)
	if err != nil {
		return code
	}
	s.namesMu.Lock()
	s.agencyNames[code] = a.Name
	s.namesMu.Unlock()
	return a.Name
}

type option struct{ Value, Text string }

// The liaison's pages.

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
		}{s.agencyName(u.Agency), rows}})
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

type outcomeOption struct{ Value, Text string }

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
	ch, err := s.svc.Check(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.renderCheck(c, http.StatusOK, ch, nil, "", "")
}

func (s *Server) renderCheck(c *gin.Context, status int, ch checks.Check, errs []formError, outcome, summary string) {
	s.render(c, status, "check", pageData{
		Title: ch.Type.Info().Name + " check for " + ch.CRN, Errors: errs,
		Data: map[string]any{
			"Check": ch, "Overdue": ch.Overdue(s.svc.Today()), "Outcome": outcome, "Summary": summary,
			"Outcomes": []outcomeOption{
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
		ch, rerr := s.svc.Check(c.Request.Context(), actor(c), id)
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

// formErrors turns a domain validation error into the page's errors, each on its input. A
// field in plain may get a plainer sentence than the API's.
func formErrors(err error, plain map[string]string) []formError {
	e, ok := err.(*checks.Error)
	if !ok {
		return []formError{{"", "Something is wrong with the form"}}
	}
	var out []formError
	for _, f := range e.Fields {
		text := plain[f.Field]
		if text == "" {
			text = sentence(f.Field, f.Reason)
		}
		out = append(out, formError{f.Field, text})
	}
	if len(out) == 0 {
		out = append(out, formError{"", e.Message})
	}
	return out
}

// sentence makes "summary: is required" read "Summary is required".
func sentence(field, reason string) string {
	name := strings.ReplaceAll(field, "_", " ")
	return strings.ToUpper(name[:1]) + name[1:] + " " + reason
}
