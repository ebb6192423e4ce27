// Changing a release (its date, its agencies, its COM) and cancelling one, each through a
// GOV.UK "check your answers" page before anything is written. The answers travel in hidden
// inputs from the check page to the confirmation, with the version of the release the form
// was shown at: a change made by someone else in between is caught when confirming (the
// same If-Match rule as the API's), and the answers are shown again against the release as
// it is now.

package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// The steps of a change form: "" (or "check") from the form to the check page, "edit" from
// the check page back to the form, "confirm" from the check page to make the change.
const (
	stepCheck   = "check"
	stepEdit    = "edit"
	stepConfirm = "confirm"
)

// answerRow is one change on a check-your-answers page: what, from and to.
type answerRow struct {
	Label, From, To string
}

// answersView is a check-your-answers page: the changes, what they will do, and the hidden
// answers the confirmation posts.
type answersView struct {
	Release      checks.Release
	Heading      string
	Rows         []answerRow
	Consequences []string
	Action       string
	Hidden       []option
	Version      int64
	Confirm      string
	Warning      bool
}

// changeView is the form that changes a release's date, agencies and COM.
type changeView struct {
	Release             checks.Release
	Form                map[string]string
	Police, Authorities []option
	// COMs are offered to managers and admins only: they assign releases to COMs.
	COMs []option
}

// changeFields are the change form's inputs, in form order.
var changeFields = []string{"release_date-day", "release_date-month", "release_date-year", "police_force", "local_authority", "com_id"}

func (s *Server) changeOptions(c *gin.Context, r checks.Release, form map[string]string) (changeView, error) {
	view := changeView{Release: r, Form: form}
	var err error
	if view.Police, err = s.agencyOptions(c, checks.KindPolice); err != nil {
		return view, err
	}
	if view.Authorities, err = s.agencyOptions(c, checks.KindChildrensServices); err != nil {
		return view, err
	}
	if u := actor(c); u.Role == checks.RoleManager || u.Role == checks.RoleAdmin {
		coms, err := s.svc.TeamCOMs(c.Request.Context(), u)
		if err != nil {
			return view, err
		}
		for _, m := range coms {
			if m.Teams[0] == r.Team {
				view.COMs = append(view.COMs, option{m.ID, m.Name})
			}
		}
	}
	return view, nil
}

// changePage shows the form filled in with the release as it is.
func (s *Server) changePage(c *gin.Context) {
	r, err := s.changeableRelease(c)
	if err != nil {
		s.failPage(c, err)
		return
	}
	form := map[string]string{"police_force": r.PoliceForce, "local_authority": r.LocalAuthority, "com_id": r.COMID}
	dateValues(form, "release_date", r.ReleaseDate)
	s.renderChange(c, http.StatusOK, r, form, nil)
}

func (s *Server) renderChange(c *gin.Context, status int, r checks.Release, form map[string]string, errs []formError) {
	view, err := s.changeOptions(c, r, form)
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.render(c, status, "release-change", pageData{Title: "Change the release", Errors: errs, Data: view})
}

// changeForm takes the form's answers to the check page, back to the form, or, confirmed,
// to the service.
func (s *Server) changeForm(c *gin.Context) {
	r, err := s.changeableRelease(c)
	if err != nil {
		s.failPage(c, err)
		return
	}
	form := map[string]string{}
	for _, k := range changeFields {
		form[k] = strings.TrimSpace(c.PostForm(k))
	}
	view, err := s.changeOptions(c, r, form)
	if err != nil {
		s.failPage(c, err)
		return
	}
	if len(view.COMs) == 0 {
		form["com_id"] = r.COMID // not offered: not changed
	}
	version, ok := postedVersion(c)
	if !ok {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	dates := datesRead{}
	date := dates.read(form, dateInput{"release_date", "Release date"})
	var errs []formError
	if p := dates["release_date"]; p != nil {
		errs = append(errs, *p)
	} else if date == "" {
		errs = append(errs, formError{"release_date-day", "Enter the release date"})
	}
	chosen := func(field, text string, opts []option) {
		for _, o := range opts {
			if o.Value == form[field] {
				return
			}
		}
		errs = append(errs, formError{field, text})
	}
	chosen("police_force", "Choose the police force for the release address", view.Police)
	chosen("local_authority", "Choose the children's services for the release address", view.Authorities)
	if len(view.COMs) > 0 {
		chosen("com_id", "Choose the community offender manager", view.COMs)
	}
	step := c.PostForm("step")
	if step == stepEdit {
		s.renderChange(c, http.StatusOK, r, form, nil)
		return
	}
	if errs != nil {
		s.renderChange(c, http.StatusUnprocessableEntity, r, form, errs)
		return
	}
	rows := s.changeRows(r, form, date, view)
	if len(rows) == 0 {
		s.renderChange(c, http.StatusUnprocessableEntity, r, form, []formError{{"release_date-day", "Change at least one answer, or go back to the release"}})
		return
	}
	if step != stepConfirm {
		s.renderAnswers(c, http.StatusOK, s.changeAnswers(r, form, rows, version), nil)
		return
	}
	var p checks.ReleasePatch
	if date != r.ReleaseDate.String() {
		p.ReleaseDate = &date
	}
	if v := form["police_force"]; v != r.PoliceForce {
		p.PoliceForce = &v
	}
	if v := form["local_authority"]; v != r.LocalAuthority {
		p.LocalAuthority = &v
	}
	if v := form["com_id"]; v != r.COMID {
		p.COMID = &v
	}
	_, err = s.svc.UpdateRelease(c.Request.Context(), actor(c), r.ID, &version, p)
	switch checks.ErrorCode(err) {
	case "":
		c.Redirect(http.StatusSeeOther, "/releases/"+r.ID+"?notice=release-changed")
	case checks.EINVALID:
		errs := formErrors(err, map[string]string{
			"police_force": "Choose the police force for the release address", "local_authority": "Choose the children's services for the release address",
			"com_id": "Choose a community offender manager of the release's team",
		})
		for i := range errs {
			if errs[i].Field == "release_date" {
				errs[i].Field = "release_date-day"
			}
		}
		s.renderChange(c, http.StatusUnprocessableEntity, r, form, dates.fix(errs, map[string]string{"release_date": "Release date"}))
	case checks.EPRECONDITION:
		// Someone changed the release since the form was shown: the answers again, against
		// the release as it is now, to confirm at its new version.
		s.renderAnswers(c, http.StatusConflict, s.changeAnswers(r, form, s.changeRows(r, form, date, view), r.Version), changedMeanwhile)
	default:
		s.failPage(c, err)
	}
}

// changedMeanwhile is the error a confirmation at an old version gets.
var changedMeanwhile = []formError{{"confirm", "Someone else changed this release while you were making your changes. Check your answers against the release as it is now, then confirm again"}}

// postedVersion is the version of the release the form was shown at.
func postedVersion(c *gin.Context) (int64, bool) {
	v, err := strconv.ParseInt(c.PostForm("version"), 10, 64)
	return v, err == nil && v > 0
}

// changeRows are the answers that differ from the release.
func (s *Server) changeRows(r checks.Release, form map[string]string, date string, view changeView) []answerRow {
	var rows []answerRow
	if date != r.ReleaseDate.String() {
		to := date
		if d, err := checks.ParseDate(date); err == nil {
			to = d.Midday().Format("2 January 2006")
		}
		rows = append(rows, answerRow{"Release date", r.ReleaseDate.Midday().Format("2 January 2006"), to})
	}
	if form["police_force"] != r.PoliceForce {
		rows = append(rows, answerRow{"Police force", s.agencyName(r.PoliceForce), s.agencyName(form["police_force"])})
	}
	if form["local_authority"] != r.LocalAuthority {
		rows = append(rows, answerRow{"Children's services", s.agencyName(r.LocalAuthority), s.agencyName(form["local_authority"])})
	}
	if form["com_id"] != r.COMID {
		name := func(id string) string {
			for _, o := range view.COMs {
				if o.Value == id {
					return o.Text
				}
			}
			return "Someone no longer in the team"
		}
		rows = append(rows, answerRow{"Community offender manager", name(r.COMID), name(form["com_id"])})
	}
	return rows
}

func (s *Server) changeAnswers(r checks.Release, form map[string]string, rows []answerRow, version int64) answersView {
	v := answersView{Release: r, Heading: "Check your changes to the release", Rows: rows, Action: "/releases/" + r.ID + "/change",
		Version: version, Confirm: "Confirm and change the release"}
	for _, k := range changeFields {
		v.Hidden = append(v.Hidden, option{k, form[k]})
	}
	for _, row := range rows {
		switch row.Label {
		case "Release date":
			v.Consequences = append(v.Consequences, "Every date of both checks is worked out again from the new release date, and an agency asked already is told its new due date.")
		case "Police force", "Children's services":
			v.Consequences = append(v.Consequences, "An open request to the old "+strings.ToLower(row.Label)+" is withdrawn (it is told, without the reason) and a new check is created for the new one. An answer already given stays.")
		case "Community offender manager":
			v.Consequences = append(v.Consequences, "The new community offender manager gets the emails about this release from now on.")
		}
	}
	return v
}

func (s *Server) renderAnswers(c *gin.Context, status int, v answersView, errs []formError) {
	s.render(c, status, "check-answers", pageData{Title: v.Heading, Errors: errs, Data: v})
}

// cancelView is the form that cancels a release.
type cancelView struct {
	Release checks.Release
	Form    map[string]string
}

func (s *Server) cancelPage(c *gin.Context) {
	r, err := s.changeableRelease(c)
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.render(c, http.StatusOK, "release-cancel", pageData{Title: "Cancel the release", Data: cancelView{r, map[string]string{}}})
}

// cancelForm takes the reason to the check page, back to the form, or, confirmed, to the
// service.
func (s *Server) cancelForm(c *gin.Context) {
	r, err := s.changeableRelease(c)
	if err != nil {
		s.failPage(c, err)
		return
	}
	version, ok := postedVersion(c)
	if !ok {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	reason := strings.TrimSpace(strings.ReplaceAll(c.PostForm("cancel_reason"), "\r\n", "\n"))
	form := map[string]string{"cancel_reason": reason}
	step := c.PostForm("step")
	formAgain := func(status int, errs []formError) {
		s.render(c, status, "release-cancel", pageData{Title: "Cancel the release", Errors: errs, Data: cancelView{r, form}})
	}
	switch {
	case step == stepEdit:
		formAgain(http.StatusOK, nil)
		return
	case reason == "":
		formAgain(http.StatusUnprocessableEntity, []formError{{"cancel_reason", "Enter why the release is cancelled"}})
		return
	}
	answers := answersView{Release: r, Heading: "Check before you cancel the release", Action: "/releases/" + r.ID + "/cancel",
		Version: version, Confirm: "Cancel the release", Warning: true,
		Rows: []answerRow{
			{"Release", "Expected on " + r.ReleaseDate.Midday().Format("2 January 2006"), "Cancelled"},
			{"Why", "", reason},
		},
		Hidden: []option{{"cancel_reason", reason}},
		Consequences: []string{
			"Every open check of the release is withdrawn, and an agency asked already is told the request is withdrawn, without the reason.",
			"An answer already given stays on the release. A cancelled release cannot be changed again.",
		}}
	if step != stepConfirm {
		s.renderAnswers(c, http.StatusOK, answers, nil)
		return
	}
	_, err = s.svc.CancelRelease(c.Request.Context(), actor(c), r.ID, &version, reason)
	switch checks.ErrorCode(err) {
	case "":
		c.Redirect(http.StatusSeeOther, "/releases/"+r.ID+"?notice=release-cancelled")
	case checks.EINVALID:
		errs := formErrors(err, nil)
		for i := range errs {
			errs[i].Field = "cancel_reason"
			errs[i].Text = strings.Replace(errs[i].Text, "Reason", "The reason", 1)
		}
		formAgain(http.StatusUnprocessableEntity, errs)
	case checks.EPRECONDITION:
		answers.Version = r.Version
		s.renderAnswers(c, http.StatusConflict, answers, changedMeanwhile)
	default:
		s.failPage(c, err)
	}
}
