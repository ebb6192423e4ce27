// The pages of probation staff: their releases, one release with its checks and the forms
// to act on them, recording a release, and the managers' figures.

package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// Probation's pages: the team's releases, one release with its checks, recording a release,
// and the managers' figures.

// releaseView is the release page: the release, a panel per check, what was typed into a
// form that failed, and the working days left.
type releaseView struct {
	Release      checks.Release
	Checks       []checkPanel
	Typed        map[string]string
	WorkdaysLeft int
	ReleasedOn   string // see releasedOn
	// CanChange offers the form that changes the address and the people.
	CanChange bool
	// CanRequestBoth offers one button that requests both checks (see requestBothForm);
	// Unsent counts the emails about the release that could not be sent.
	CanRequestBoth bool
	Unsent         int
}

// releasedOn says on which day the person actually leaves when the release date is not a
// working day ("Released on Friday 24 December 2027, the last working day before"), since
// every deadline counts from that day; "" when the release date is a working day.
func releasedOn(d checks.Deadlines, release checks.Date) string {
	day := d.ReleaseWorkday(release)
	if day == release {
		return ""
	}
	return "Released on " + day.Midday().Format("Monday 2 January 2006") + ", the last working day before"
}

type checkPanel struct {
	Check                                  checks.Check
	Overdue                                bool
	CanRequest, CanComplete, CanNotRequire bool
	// CanStandDown: a requested check can be stood down; CanDecideTime: the agency's request
	// for more time waits for a decision.
	CanStandDown, CanDecideTime bool
	// Emails are the emails sent, waiting or failed about the check (see checkEmails).
	Emails []emailRow
}

func (s *Server) releasePage(c *gin.Context) {
	r, err := s.svc.Release(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.renderRelease(c, http.StatusOK, r, nil, nil)
}

func (s *Server) renderRelease(c *gin.Context, status int, r checks.Release, errs []formError, typed map[string]string) {
	s.renderReleaseSaying(c, status, r, errs, typed, notice(c))
}

// renderReleaseSaying is renderRelease with a notice of the handler's own.
func (s *Server) renderReleaseSaying(c *gin.Context, status int, r checks.Release, errs []formError, typed map[string]string, said string) {
	u := actor(c)
	staff := u.Role == checks.RoleCOM || u.Role == checks.RoleManager
	today := s.svc.Today()
	var panels []checkPanel
	// Current checks first, then those superseded by an address change.
	for _, superseded := range []bool{false, true} {
		for _, ch := range r.Checks {
			if ch.Superseded() != superseded {
				continue
			}
			panels = append(panels, checkPanel{Check: ch, Overdue: ch.Overdue(today),
				CanRequest:    staff && ch.Status == checks.StatusRequired,
				CanComplete:   staff && ch.Status == checks.StatusResponded,
				CanNotRequire: staff && ch.Status == checks.StatusRequired,
				CanStandDown:  staff && ch.Status == checks.StatusRequested,
				CanDecideTime: staff && ch.Status == checks.StatusRequested && ch.Extension.Pending()})
		}
	}
	if typed == nil {
		typed = map[string]string{}
	}
	unsent, err := s.checkEmails(c.Request.Context(), panels)
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.render(c, status, "release", pageData{Title: r.FullName + " (" + r.CRN + ")", Notice: said, Errors: errs, Back: "/releases",
		Data: releaseView{Release: r, Checks: panels, Typed: typed,
			WorkdaysLeft:   s.svc.Deadlines().WorkdaysToRelease(today, r.ReleaseDate),
			ReleasedOn:     releasedOn(s.svc.Deadlines(), r.ReleaseDate),
			CanChange:      u.Role != checks.RoleLiaison && r.Status == checks.ReleaseActive,
			CanRequestBoth: staff && r.Status == checks.ReleaseActive && len(bothRequired(r)) == len(checks.CheckTypes()),
			Unsent:         unsent}})
}

// checkForm runs a COM's transition from the release page and goes back to it.
func (s *Server) checkForm(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, u, id := c.Request.Context(), actor(c), c.Param("id")
		var ch checks.Check
		var err error
		field, typed := "", ""
		switch action {
		case "requested":
			field, typed = "request-note-"+id, c.PostForm("note")
			ch, err = s.svc.RequestCheck(ctx, u, id, nil, typed)
		case "completed":
			field, typed = "note-"+id, c.PostForm("note")
			ch, err = s.svc.CompleteCheck(ctx, u, id, nil, typed)
		case "not-required":
			field, typed = "reason-"+id, c.PostForm("reason")
			ch, err = s.svc.MarkNotRequired(ctx, u, id, nil, typed)
		case "stood-down":
			field, typed = "stand-down-"+id, c.PostForm("reason")
			ch, err = s.svc.StandDown(ctx, u, id, nil, typed)
		case "time-agreed":
			ch, err = s.svc.AgreeTime(ctx, u, id, nil)
		case "time-refused":
			field, typed = "refuse-"+id, c.PostForm("reason")
			ch, err = s.svc.RefuseTime(ctx, u, id, nil, typed)
		}
		switch checks.ErrorCode(err) {
		case checks.EINVALID, checks.ECONFLICT:
			current, rerr := s.svc.Check(ctx, u, id)
			if rerr != nil {
				s.failPage(c, rerr)
				return
			}
			r, rerr := s.svc.Release(ctx, u, current.ReleaseID)
			if rerr != nil {
				s.failPage(c, rerr)
				return
			}
			reason := "Enter why the check is not required"
			if action == "stood-down" {
				reason = "Enter why the request is no longer needed"
			}
			plain := map[string]string{"note": "Enter what the answer changes", "reason": reason}
			if action == "requested" {
				plain = nil // a request's note is optional: its only errors are what the API says
			}
			errs := formErrors(err, plain)
			for i := range errs {
				if errs[i].Field == "note" || errs[i].Field == "reason" || errs[i].Field == "" {
					errs[i].Field = field
				}
			}
			if checks.ErrorCode(err) == checks.ECONFLICT {
				errs = []formError{{"check-" + id, fmt.Sprintf("This check is now %s: reload the page to see what changed", strings.ReplaceAll(string(current.Status), "_", " "))}}
				if current.Status == checks.StatusRequested {
					// The status is as it was: the service said what else stands in the way.
					errs[0].Text = conflictText(err)
				}
			}
			status := http.StatusUnprocessableEntity
			if checks.ErrorCode(err) == checks.ECONFLICT {
				status = http.StatusConflict
			}
			s.renderRelease(c, status, r, errs, map[string]string{field: typed})
			return
		case "":
		default:
			s.failPage(c, err)
			return
		}
		// A local: action is the handler's, shared by every request it serves.
		done := action
		if action == "requested" && ch.Undeliverable != "" {
			done = "requested-not-emailed"
		}
		c.Redirect(http.StatusSeeOther, "/releases/"+ch.ReleaseID+"?notice="+done+"#check-"+ch.ID)
	}
}

// The form to record a release.

func (s *Server) newReleasePage(c *gin.Context) {
	if actor(c).Role == checks.RoleLiaison {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	s.renderNewRelease(c, http.StatusOK, map[string]string{}, nil)
}

// newReleaseView is the form to record a release: what was typed, the agencies to choose
// from, and for a manager the teams and COMs.
type newReleaseView struct {
	Form                map[string]string
	Police, Authorities []option
	Teams, COMs         []option

	People        []personRow
	Relationships []option
	CanAddPerson  bool
}

func (s *Server) renderNewRelease(c *gin.Context, status int, form map[string]string, errs []formError) {
	ctx, u := c.Request.Context(), actor(c)
	rows, err := strconv.Atoi(form["people_rows"])
	if err != nil || rows < blankPeopleRows {
		rows = blankPeopleRows
	}
	view := newReleaseView{Form: form, People: personRows(rows), Relationships: relationshipOptions(), CanAddPerson: rows < checks.MaxPeople}
	if view.Police, err = s.agencyOptions(c, checks.KindPolice); err == nil {
		view.Authorities, err = s.agencyOptions(c, checks.KindChildrensServices)
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	if u.Role != checks.RoleCOM {
		coms, err := s.svc.TeamCOMs(ctx, u)
		if err != nil {
			s.failPage(c, err)
			return
		}
		teams := map[string]bool{}
		for _, m := range coms {
			view.COMs = append(view.COMs, option{m.ID, m.Name + " (team " + m.Teams[0] + ")"})
			teams[m.Teams[0]] = true
		}
		for _, t := range u.Teams {
			teams[t] = true
		}
		for t := range teams {
			view.Teams = append(view.Teams, option{t, t})
		}
		slices.SortFunc(view.Teams, func(a, b option) int { return strings.Compare(a.Value, b.Value) })
	}
	s.render(c, status, "new-release", pageData{Title: "Record a release", Errors: errs, Back: "/releases", Data: view})
}

// agencyOptions lists the active agencies of a kind, to choose from in a form.
func (s *Server) agencyOptions(c *gin.Context, kind checks.AgencyKind) ([]option, error) {
	var out []option
	f := checks.AgencyFilter{Kind: string(kind), Active: "true", Limit: 200}
	for {
		page, err := s.svc.Agencies(c.Request.Context(), f)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Items {
			out = append(out, option{a.Code, a.Name})
		}
		if page.NextCursor == "" {
			return out, nil
		}
		f.Cursor = page.NextCursor
	}
}

func (s *Server) newReleaseForm(c *gin.Context) {
	form := map[string]string{}
	for _, k := range []string{"full_name", "crn", "noms_number", "prison_code", "police_force", "local_authority", "team", "com_id",
		"date_of_birth-day", "date_of_birth-month", "date_of_birth-year", "release_date-day", "release_date-month", "release_date-year"} {
		form[k] = strings.TrimSpace(c.PostForm(k))
	}
	in := checks.ReleaseInput{
		CRN: form["crn"], NOMSNumber: form["noms_number"], FullName: form["full_name"], PrisonCode: form["prison_code"],
		PoliceForce: form["police_force"], LocalAuthority: form["local_authority"], Team: form["team"], COMID: form["com_id"],
	}
	dates := datesRead{}
	in.DateOfBirth = dates.read(form, dateInput{"date_of_birth", "Date of birth"})
	in.ReleaseDate = dates.read(form, dateInput{"release_date", "Release date"})
	rows := peopleRowsOf(c)
	in.Address, in.People = readAddressAndPeople(c, form, rows, dates)
	if c.PostForm("add_person") != "" {
		// Another row for one more person: the form again, nothing recorded yet.
		form["people_rows"] = strconv.Itoa(min(rows+1, checks.MaxPeople))
		s.renderNewRelease(c, http.StatusOK, form, nil)
		return
	}
	form["people_rows"] = strconv.Itoa(rows)
	r, err := s.svc.CreateRelease(c.Request.Context(), actor(c), in)
	if code := checks.ErrorCode(err); code == checks.EINVALID || code == checks.ECONFLICT {
		errs := formErrors(err, map[string]string{
			"full_name": "Enter the person's full name", "crn": "Enter the CRN: one letter and six digits, for example X123456",
			"noms_number":  "Enter the prison number: a letter, four digits and two letters, for example A1234BC",
			"prison_code":  "Enter the prison's three-letter code, for example LEI",
			"police_force": "Choose the police force for the release address", "local_authority": "Choose the children's services for the release address",
		})
		for i := range errs {
			if errs[i].Field == "date_of_birth" || errs[i].Field == "release_date" {
				errs[i].Field += "-day"
			}
		}
		errs = dates.fix(addressAndPeopleErrors(errs, err, form), map[string]string{"date_of_birth": "Date of birth", "release_date": "Release date"})
		if code == checks.ECONFLICT {
			// A duplicate: the form again, pointing at the CRN, and as little said as the API.
			errs = []formError{{"crn", "A release with this CRN and release date is already recorded. If it is not in your team's releases, ask an admin"}}
		}
		s.renderNewRelease(c, checks.ClassOf(code).HTTPStatus, form, errs)
		return
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/releases/"+r.ID+"?notice=recorded")
}

// The managers' figures.

// dashboardView is the managers' figures: the period asked for, the completion and agency
// figures over it (nil when the period is wrong), and the releases coming up.
type dashboardView struct {
	From, To       string
	Completion     *checks.CompletionReport
	CompletionRows []completionRow
	Agencies       *checks.AgencyReport
	Upcoming       checks.UpcomingReport
	// Overdue is everything overdue now, by team and COM (pages_dashboard.go).
	Overdue overdueNow
}

type completionRow struct {
	Team    string
	Figures checks.TypeFigures
}

func (s *Server) dashboardPage(c *gin.Context) {
	ctx, u := c.Request.Context(), actor(c)
	if u.Role == checks.RoleLiaison {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	today := s.svc.Today()
	// The figures are of the year to date unless another period is asked for: a period too
	// short opens on "0 required".
	from, to := c.DefaultQuery("from", yearStart(today).String()), c.DefaultQuery("to", today.String())
	scope := checks.ReportScope{From: from, To: to}
	overdue, err := s.overdueNow(c)
	if err != nil {
		s.failPage(c, err)
		return
	}
	view := dashboardView{From: from, To: to, Overdue: overdue}
	var errs []formError
	completion, err := s.svc.Completion(ctx, u, scope)
	switch checks.ErrorCode(err) {
	case "":
		var rows []completionRow
		for _, f := range completion.Types {
			rows = append(rows, completionRow{"All your teams", f})
		}
		for _, t := range completion.ByTeam {
			for _, f := range t.Types {
				rows = append(rows, completionRow{t.Team, f})
			}
		}
		view.Completion, view.CompletionRows = &completion, rows
		agencies, err := s.svc.AgencyFigures(ctx, u, scope)
		if err != nil {
			s.failPage(c, err)
			return
		}
		view.Agencies = &agencies
	case checks.EINVALID:
		errs = formErrors(err, nil)
	default:
		s.failPage(c, err)
		return
	}
	upcoming, err := s.svc.Upcoming(ctx, u, 10, "")
	if err != nil {
		s.failPage(c, err)
		return
	}
	view.Upcoming = upcoming
	status := http.StatusOK
	if errs != nil {
		status = http.StatusUnprocessableEntity
	}
	s.render(c, status, "dashboard", pageData{Title: "What is late", Errors: errs, Data: view})
}

// reportCSV serves a report's CSV to a signed-in browser, through the API's handler.
func (s *Server) reportCSV(handler gin.HandlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		q := c.Request.URL.Query()
		q.Set("format", "csv")
		c.Request.URL.RawQuery = q.Encode()
		handler(c)
	}
}
