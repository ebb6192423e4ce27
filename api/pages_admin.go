// The admins' pages: their home (agencies with no mailbox first), users and their tokens,
// the agency directory, the outbox's stuck emails, and the audit trail. Every one calls the
// same service methods as the API; to anyone but an admin each is "Page not found".

package api

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// adminPages lets only admins through: to anyone else an admin page does not exist.
func (s *Server) adminPages(c *gin.Context) {
	if actor(c).Role != checks.RoleAdmin {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	c.Next()
}

// adminNotice is the success message a redirect after an admin's form asks for.
func adminNotice(c *gin.Context) string {
	switch c.Query("notice") {
	case "deactivated":
		return "The user is deactivated: their tokens and sessions no longer work"
	case "activated":
		return "The user is reactivated: their tokens work again"
	case "revoked":
		return "The token is revoked: it no longer works"
	case "agency-saved":
		return "The agency is saved"
	case "retried":
		return "The email is back in the queue: it is sent within a minute"
	case "retried-all":
		requeued, _ := strconv.Atoi(c.Query("requeued"))
		left, _ := strconv.Atoi(c.Query("left"))
		text := plural(requeued, "email is", "emails are") + " back in the queue"
		if left > 0 {
			text += "; " + plural(left, "email still has", "emails still have") + " no address: set it, then retry"
		}
		return text
	}
	return ""
}

// plural writes a count with its noun: "1 email is", "2 emails are".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// The admin's home.

// missingMailbox is an active agency without a mailbox it needs.
type missingMailbox struct {
	Agency                  checks.Agency
	NoContact, NoEscalation bool
}

func (s *Server) adminHome(c *gin.Context) {
	agencies, err := s.allAgencies(c, checks.AgencyFilter{Active: "true"})
	if err != nil {
		s.failPage(c, err)
		return
	}
	var missing []missingMailbox
	for _, a := range agencies {
		if a.ContactEmail == "" || a.EscalationEmail == "" {
			missing = append(missing, missingMailbox{a, a.ContactEmail == "", a.EscalationEmail == ""})
		}
	}
	// Those that cannot even receive a request come first.
	slices.SortStableFunc(missing, func(a, b missingMailbox) int {
		if a.NoContact != b.NoContact {
			if a.NoContact {
				return -1
			}
			return 1
		}
		return 0
	})
	stuck := 0
	for _, st := range []notify.Status{notify.StatusDead, notify.StatusUndeliverable} {
		emails, err := s.stuckEmails(c, st)
		if err != nil {
			s.failPage(c, err)
			return
		}
		stuck += len(emails)
	}
	s.render(c, http.StatusOK, "admin", pageData{Title: "Administration", Notice: adminNotice(c), Data: struct {
		Missing []missingMailbox
		Stuck   int
	}{missing, stuck}})
}

// allAgencies reads the directory, a page at a time, as the filter says.
func (s *Server) allAgencies(c *gin.Context, f checks.AgencyFilter) ([]checks.Agency, error) {
	var out []checks.Agency
	f.Limit = 200
	for {
		page, err := s.svc.Agencies(c.Request.Context(), f)
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

// Users.

// userRow is a user in the list.
type userRow struct {
	User  checks.User
	Where string // team(s) or agency
}

func (s *Server) usersPage(c *gin.Context) {
	ctx, u := c.Request.Context(), actor(c)
	find := strings.TrimSpace(c.Query("q"))
	role := c.Query("role")
	var errs []formError
	if role != "" && !slices.Contains(checks.Roles(), checks.Role(role)) {
		errs = append(errs, formError{"role", "Choose a role from the list"})
		role = ""
	}
	var rows []userRow
	q := checks.UserQuery{Role: checks.Role(role), Limit: 200}
	for {
		page, err := s.svc.Users(ctx, u, q)
		if err != nil {
			s.failPage(c, err)
			return
		}
		for _, it := range page.Items {
			if find != "" && !containsFold(it.Name, find) && !containsFold(it.Email, find) {
				continue
			}
			rows = append(rows, userRow{it, s.userWhere(it)})
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	slices.SortFunc(rows, func(a, b userRow) int {
		return strings.Compare(strings.ToLower(a.User.Name), strings.ToLower(b.User.Name))
	})
	status := http.StatusOK
	if errs != nil {
		status = http.StatusUnprocessableEntity
	}
	s.render(c, status, "admin-users", pageData{Title: "Users", Notice: adminNotice(c), Errors: errs, Data: struct {
		Find, Role string
		Roles      []option
		Rows       []userRow
	}{find, role, roleOptions(), rows}})
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// userWhere says where a user works: a COM's or manager's teams, a liaison's agency.
func (s *Server) userWhere(u checks.User) string {
	switch u.Role {
	case checks.RoleCOM, checks.RoleManager:
		return "Team " + strings.Join(u.Teams, ", ")
	case checks.RoleLiaison:
		return s.agencyName(u.Agency)
	}
	return ""
}

func roleOptions() []option {
	return []option{{"com", "Community offender manager"}, {"manager", "Manager"}, {"liaison", "Liaison (police or children's services)"}, {"admin", "Admin"}}
}

// newUserFields are the inputs of the form that adds a user, in the order they appear: the
// errors are listed in that order.
var newUserFields = []string{"name", "email", "phone", "role", "teams", "agency"}

func (s *Server) newUserPage(c *gin.Context) {
	s.renderNewUser(c, http.StatusOK, map[string]string{}, nil)
}

func (s *Server) renderNewUser(c *gin.Context, status int, form map[string]string, errs []formError) {
	agencies, err := s.allAgencies(c, checks.AgencyFilter{Active: "true"})
	if err != nil {
		s.failPage(c, err)
		return
	}
	opts := make([]option, 0, len(agencies))
	for _, a := range agencies {
		opts = append(opts, option{a.Code, a.Name})
	}
	s.render(c, status, "admin-user-new", pageData{Title: "Add a user", Errors: errs, Data: struct {
		Form     map[string]string
		Roles    []option
		Agencies []option
	}{form, roleOptions(), opts}})
}

func (s *Server) newUserForm(c *gin.Context) {
	form := map[string]string{}
	for _, k := range newUserFields {
		form[k] = strings.TrimSpace(c.PostForm(k))
	}
	in := checks.UserInput{Name: form["name"], Email: form["email"], Phone: form["phone"], Role: form["role"], Agency: form["agency"]}
	// One input holds a COM's team or a manager's teams, separated by commas or spaces.
	teams := strings.FieldsFunc(form["teams"], func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
	if in.Role == string(checks.RoleCOM) && len(teams) == 1 {
		in.Team = teams[0]
	} else {
		in.Teams = teams
	}
	created, secret, err := s.svc.CreateUser(c.Request.Context(), actor(c), in)
	if code := checks.ErrorCode(err); code == checks.EINVALID || code == checks.ECONFLICT {
		errs := formErrors(err, map[string]string{
			"name": "Enter the user's full name", "email": "Enter an email address in the correct format, like name@example.org",
			"role": "Choose the user's role",
		})
		for i := range errs {
			switch errs[i].Field {
			case "team", "teams":
				errs[i].Field = "teams"
			case "email":
				if code == checks.ECONFLICT {
					errs[i].Text = "A user with this email address already exists"
				}
			case "agency":
				if form["agency"] == "" && form["role"] == string(checks.RoleLiaison) {
					errs[i].Text = "Choose the liaison's agency"
				}
			}
		}
		s.renderNewUser(c, checks.ClassOf(code).HTTPStatus, form, errs)
		return
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	// The first token is shown on this answer only: it is not kept, so no page can show it
	// again, and it is never put in an address.
	s.renderUser(c, http.StatusCreated, created, &issuedToken{Secret: secret, Label: "first token", New: true}, nil, nil)
}

// issuedToken is a token's secret, shown on the page that issued it and never again.
type issuedToken struct {
	Secret, Label string
	// New: the token came with the user, who was just added.
	New bool
}

// tokenRow is a token as its user's page lists it: revoked, expired or active.
type tokenRow struct {
	checks.Token
	Expired bool
}

// userView is one user's page: the user, their tokens, and a token just issued.
type userView struct {
	User   checks.User
	Where  string
	Self   bool
	Tokens []tokenRow
	Issued *issuedToken
	Typed  map[string]string
}

func (s *Server) userPage(c *gin.Context) {
	u, err := s.svc.User(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.renderUser(c, http.StatusOK, u, nil, nil, nil)
}

func (s *Server) renderUser(c *gin.Context, status int, u checks.User, issued *issuedToken, errs []formError, typed map[string]string) {
	tokens, err := s.svc.Tokens(c.Request.Context(), actor(c), u.ID)
	if err != nil {
		s.failPage(c, err)
		return
	}
	if typed == nil {
		typed = map[string]string{}
	}
	now := s.svc.Clock().Now()
	rows := make([]tokenRow, len(tokens))
	for i, t := range tokens {
		rows[i] = tokenRow{Token: t, Expired: t.Expired(now)}
	}
	s.render(c, status, "admin-user", pageData{Title: u.Name, Notice: adminNotice(c), Errors: errs, Data: userView{
		User: u, Where: s.userWhere(u), Self: u.ID == actor(c).ID, Tokens: rows, Issued: issued, Typed: typed,
	}})
}

// userActiveForm deactivates or reactivates a user.
func (s *Server) userActiveForm(active bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, id := c.Request.Context(), c.Param("id")
		u, err := s.svc.SetUserActive(ctx, actor(c), id, active)
		if checks.ErrorCode(err) == checks.ECONFLICT {
			current, rerr := s.svc.User(ctx, actor(c), id)
			if rerr != nil {
				s.failPage(c, rerr)
				return
			}
			s.renderUser(c, http.StatusConflict, current, nil, []formError{{"active", conflictText(err)}}, nil)
			return
		}
		if err != nil {
			s.failPage(c, err)
			return
		}
		done := map[bool]string{true: "activated", false: "deactivated"}[active]
		c.Redirect(http.StatusSeeOther, "/admin/users/"+u.ID+"?notice="+done)
	}
}

// issueTokenForm issues another token for the user and shows it, this once.
func (s *Server) issueTokenForm(c *gin.Context) {
	ctx, id := c.Request.Context(), c.Param("id")
	label := strings.TrimSpace(c.PostForm("label"))
	t, secret, err := s.svc.IssueToken(ctx, actor(c), id, label, 0)
	if code := checks.ErrorCode(err); code == checks.EINVALID || code == checks.ECONFLICT {
		u, rerr := s.svc.User(ctx, actor(c), id)
		if rerr != nil {
			s.failPage(c, rerr)
			return
		}
		errs := formErrors(err, nil)
		for i := range errs {
			errs[i].Field = "label"
		}
		if code == checks.ECONFLICT {
			errs = []formError{{"label", conflictText(err)}}
		}
		s.renderUser(c, checks.ClassOf(code).HTTPStatus, u, nil, errs, map[string]string{"label": label})
		return
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	u, err := s.svc.User(ctx, actor(c), t.UserID)
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.renderUser(c, http.StatusCreated, u, &issuedToken{Secret: secret, Label: t.Label}, nil, nil)
}

func (s *Server) revokeTokenForm(c *gin.Context) {
	t, err := s.svc.RevokeToken(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		s.failPage(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/users/"+t.UserID+"?notice=revoked")
}

// Agencies.

func (s *Server) agenciesPage(c *gin.Context) {
	kind := c.Query("kind")
	var errs []formError
	if kind != "" && kind != string(checks.KindPolice) && kind != string(checks.KindChildrensServices) {
		errs = append(errs, formError{"kind", "Choose police forces or children's services"})
		kind = ""
	}
	agencies, err := s.allAgencies(c, checks.AgencyFilter{Kind: kind})
	if err != nil {
		s.failPage(c, err)
		return
	}
	missing := c.Query("missing") == "true"
	find := strings.TrimSpace(c.Query("q"))
	var rows []checks.Agency
	for _, a := range agencies {
		if (missing && a.ContactEmail != "" && a.EscalationEmail != "") || (find != "" && !containsFold(a.Name, find) && !containsFold(a.Code, find)) {
			continue
		}
		rows = append(rows, a)
	}
	status := http.StatusOK
	if errs != nil {
		status = http.StatusUnprocessableEntity
	}
	s.render(c, status, "admin-agencies", pageData{Title: "Agencies", Notice: adminNotice(c), Errors: errs, Data: struct {
		Find, Kind string
		Missing    bool
		Kinds      []option
		Rows       []checks.Agency
	}{find, kind, missing, []option{{"police", "Police forces"}, {"childrens_services", "Children's services"}}, rows}})
}

// agencyFields are the agency form's inputs, in order.
var agencyFields = []string{"contact_email", "escalation_email", "active"}

func (s *Server) agencyPage(c *gin.Context) {
	a, err := s.svc.Agency(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.failPage(c, err)
		return
	}
	form := map[string]string{"contact_email": a.ContactEmail, "escalation_email": a.EscalationEmail, "active": strconv.FormatBool(a.Active)}
	s.renderAgency(c, http.StatusOK, a, form, nil)
}

func (s *Server) renderAgency(c *gin.Context, status int, a checks.Agency, form map[string]string, errs []formError) {
	s.render(c, status, "admin-agency", pageData{Title: a.Name, Errors: errs, Data: struct {
		Agency checks.Agency
		Form   map[string]string
	}{a, form}})
}

// agencyForm sets an agency's mailboxes and whether it is active, at the version the form
// was shown at: a change made meanwhile by someone else is not overwritten.
func (s *Server) agencyForm(c *gin.Context) {
	ctx, code := c.Request.Context(), c.Param("code")
	a, err := s.svc.Agency(ctx, code)
	if err != nil {
		s.failPage(c, err)
		return
	}
	form := map[string]string{}
	for _, k := range agencyFields {
		form[k] = strings.TrimSpace(c.PostForm(k))
	}
	version, perr := strconv.ParseInt(c.PostForm("version"), 10, 64)
	if perr != nil {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	active := form["active"] == "true"
	_, err = s.svc.UpdateAgency(ctx, actor(c), a.Code, &version, checks.AgencyPatch{
		ContactEmail: ptr(form["contact_email"]), EscalationEmail: ptr(form["escalation_email"]), Active: &active,
	})
	switch checks.ErrorCode(err) {
	case "":
		c.Redirect(http.StatusSeeOther, "/admin/agencies?notice=agency-saved")
	case checks.EINVALID:
		errs := formErrors(err, map[string]string{
			"contact_email":    "Enter the contact mailbox in the correct format, like referrals@example.org",
			"escalation_email": "Enter the escalation mailbox in the correct format, like manager@example.org",
		})
		s.renderAgency(c, http.StatusUnprocessableEntity, a, form, errs)
	case checks.EPRECONDITION:
		// Someone saved the agency since this form was shown: show theirs, with what was typed.
		s.renderAgency(c, http.StatusPreconditionFailed, a, form, []formError{{"contact_email",
			"Someone else changed this agency while you were editing it: check its mailboxes below and save again"}})
	default:
		s.failPage(c, err)
	}
}

func ptr[T any](v T) *T { return &v }

// The outbox.

// stuckEmail is an email an admin may need to act on, with why it is stuck in words.
type stuckEmail struct {
	Email  notify.Email
	Reason string
}

// stuckEmails lists every email of a status still waiting in the outbox, newest first.
func (s *Server) stuckEmails(c *gin.Context, st notify.Status) ([]notify.Email, error) {
	if s.opts.Outbox == nil {
		return nil, nil // a service without an outbox (some tests) has nothing stuck
	}
	var out []notify.Email
	cursor := ""
	for {
		// Waiting emails are listed whatever their age: since only bounds the sent ones.
		page, err := s.opts.Outbox.List(c.Request.Context(), st, s.svc.Clock().Now(), 200, cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		cursor = page.NextCursor
	}
}

func (s *Server) outboxPage(c *gin.Context) {
	s.renderOutbox(c, http.StatusOK, nil)
}

func (s *Server) renderOutbox(c *gin.Context, status int, errs []formError) {
	var rows []stuckEmail
	for _, st := range []notify.Status{notify.StatusUndeliverable, notify.StatusDead} {
		emails, err := s.stuckEmails(c, st)
		if err != nil {
			s.failPage(c, err)
			return
		}
		for _, e := range emails {
			reason := e.LastError
			if e.Status == notify.StatusUndeliverable {
				reason = "No address for " + e.Missing
			}
			rows = append(rows, stuckEmail{e, reason})
		}
	}
	s.render(c, status, "admin-outbox", pageData{Title: "Emails not sent", Notice: adminNotice(c), Errors: errs, Data: struct {
		Rows       []stuckEmail
		CanRetry   bool
		RecentDays int
	}{rows, s.opts.Escalator != nil, checks.RecentDays}})
}

func (s *Server) retryEmailForm(c *gin.Context) {
	id := c.Param("id")
	if !validEmailID(id) || s.opts.Escalator == nil {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	_, err := s.opts.Escalator.Retry(c.Request.Context(), id, s.auditRetries(actor(c)))
	if checks.ErrorCode(err) == checks.ECONFLICT {
		s.renderOutbox(c, http.StatusConflict, []formError{{"email-" + id, conflictText(err)}})
		return
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.wakeSender()
	c.Redirect(http.StatusSeeOther, "/admin/outbox?notice=retried")
}

func (s *Server) retryAllForm(c *gin.Context) {
	if s.opts.Escalator == nil {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	res, err := s.opts.Escalator.RetryAll(c.Request.Context(), s.auditRetries(actor(c)))
	if err != nil {
		s.failPage(c, err)
		return
	}
	if len(res.Requeued) > 0 {
		s.wakeSender()
	}
	q := url.Values{"notice": {"retried-all"}, "requeued": {strconv.Itoa(len(res.Requeued))}, "left": {strconv.Itoa(len(res.Left))}}
	c.Redirect(http.StatusSeeOther, "/admin/outbox?"+q.Encode())
}

// wakeSender has the sender send what was just requeued now rather than at its next tick.
func (s *Server) wakeSender() {
	if s.opts.Sender != nil {
		s.opts.Sender.Wake()
	}
}

// The audit trail.

// auditRow is an audit entry as the page shows it: where its resource's page is, if it has one.
type auditRow struct {
	Entry checks.AuditEntry
	Link  string
}

func (s *Server) auditPage(c *gin.Context) {
	ctx, u := c.Request.Context(), actor(c)
	form := map[string]string{}
	for _, k := range []string{"actor", "resource", "resource_id", "from-day", "from-month", "from-year", "to-day", "to-month", "to-year"} {
		form[k] = strings.TrimSpace(c.Query(k))
	}
	dates := datesRead{}
	in := checks.AuditFilter{Actor: form["actor"], Resource: form["resource"], ResourceID: form["resource_id"],
		From: dates.read(form, dateInput{"from", "The date to search from"}), To: dates.read(form, dateInput{"to", "The date to search to"}),
		Limit: 50, Cursor: c.Query("cursor")}
	var errs []formError
	page, err := s.svc.Audit(ctx, u, in)
	switch checks.ErrorCode(err) {
	case "":
	case checks.EINVALID:
		errs = formErrors(err, map[string]string{
			"actor": "Choose a person from the list", "resource": "Choose a kind of record from the list",
			"from": "Enter a real date to search from, like 1 12 2026", "to": "Enter a real date to search to, like 31 12 2026",
			"cursor": "The page asked for is not there: search again",
		})
		for i := range errs {
			if errs[i].Field == "from" || errs[i].Field == "to" {
				errs[i].Field += "-day"
			}
		}
		errs = dates.fix(errs, nil)
	default:
		s.failPage(c, err)
		return
	}
	users, err := s.allUsers(c)
	if err != nil {
		s.failPage(c, err)
		return
	}
	people := make([]option, 0, len(users))
	for _, p := range users {
		people = append(people, option{p.ID, p.Name + " (" + p.Email + ")"})
	}
	var rows []auditRow
	for _, e := range page.Items {
		rows = append(rows, auditRow{e, auditLink(e)})
	}
	next, first := "", ""
	q := c.Request.URL.Query()
	if page.NextCursor != "" {
		q.Set("cursor", page.NextCursor)
		next = "/admin/audit?" + q.Encode()
	}
	if c.Query("cursor") != "" {
		q.Del("cursor")
		first = "/admin/audit?" + q.Encode()
	}
	status := http.StatusOK
	if errs != nil {
		status = http.StatusUnprocessableEntity
	}
	resources := []option{{checks.ResourceRelease, "Releases"}, {checks.ResourceCheck, "Checks"}, {checks.ResourceUser, "Users"},
		{checks.ResourceToken, "Tokens"}, {checks.ResourceAgency, "Agencies"}, {checks.ResourceSession, "Sessions"}, {checks.ResourceEmail, "Emails"}, {checks.ResourceImport, "Imports"}}
	s.render(c, status, "admin-audit", pageData{Title: "Audit trail", Errors: errs, Data: struct {
		Form              map[string]string
		People, Resources []option
		Rows              []auditRow
		Next, First       string
		RecentDays        int
	}{form, people, resources, rows, next, first, checks.RecentDays}})
}

// allUsers reads every user, a page at a time, sorted by name.
func (s *Server) allUsers(c *gin.Context) ([]checks.User, error) {
	var out []checks.User
	q := checks.UserQuery{Limit: 200}
	for {
		page, err := s.svc.Users(c.Request.Context(), actor(c), q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	slices.SortFunc(out, func(a, b checks.User) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

// auditLink is the page of an entry's resource, where it has one.
func auditLink(e checks.AuditEntry) string {
	switch {
	case e.Resource == checks.ResourceUser:
		return "/admin/users/" + e.ResourceID
	case e.Resource == checks.ResourceAgency:
		return "/admin/agencies/" + e.ResourceID
	case e.ReleaseID != "":
		return "/releases/" + e.ReleaseID
	}
	return ""
}
