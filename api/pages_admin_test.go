package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// tokenShown finds a token's secret shown on a page (the CSRF tokens look alike, elsewhere).
var tokenShown = regexp.MustCompile(`id="token">(sgt_[A-Za-z0-9_-]{20,})<`)

func shownToken(body string) string {
	if m := tokenShown.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// summaryErrors lists the error summary's messages, in the order the page gives them.
func summaryErrors(body string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`<li><a href="#([^"]*)">([^<]*)</a></li>`).FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestAnAdminsHomeIsTheAdminPageAndNobodyElseFindsIt(t *testing.T) {
	e := newEnv(t)
	admin := e.signInWithForm(t, e.admin.Token)
	if res := e.page(t, "GET", "/", nil, admin); res.header.Get("Location") != "/admin" {
		t.Errorf("an admin's home: %d to %q, want /admin", res.status, res.header.Get("Location"))
	}
	for _, who := range []caller{e.com, e.manager, e.police} {
		res := e.page(t, "GET", "/admin/users", nil, e.signInWithForm(t, who.Token))
		if res.status != http.StatusNotFound || !strings.Contains(res.body, "Page not found") || strings.Contains(res.body, "Ada Admin") {
			t.Errorf("%s opening the users page: %d, want Page not found and no user named", who.Email, res.status)
		}
	}
}

func TestAnAdminAddsAUserAndSeesItsTokenOnceOnly(t *testing.T) {
	e := newEnv(t)
	admin := e.signInWithForm(t, e.admin.Token)
	if res := e.page(t, "GET", "/admin/users/new", nil, admin); res.status != http.StatusOK || !strings.Contains(res.body, `name="teams"`) {
		t.Fatalf("the form to add a user: %d", res.status)
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		fields []string // the error summary's links, in order
		text   string
		kept   string
	}{
		{"an empty form lists each error in the form's order", url.Values{}, http.StatusUnprocessableEntity,
			[]string{"name", "email", "role"}, "Enter the user&#39;s full name", ""},
		{"a COM without a team is told to give one", url.Values{"name": {"Cara Com"}, "email": {"cara@example.org"}, "role": {"com"}},
			http.StatusUnprocessableEntity, []string{"teams"}, "a COM belongs to exactly one team", `value="cara@example.org"`},
		{"a liaison without an agency is told to choose one", url.Values{"name": {"Lee Liaison"}, "email": {"lee@example.org"}, "role": {"liaison"}},
			http.StatusUnprocessableEntity, []string{"agency"}, "Choose the liaison&#39;s agency", `value="Lee Liaison"`},
		{"a manager of an unknown agency's code is refused", url.Values{"name": {"Max"}, "email": {"max@example.org"}, "role": {"manager"}, "teams": {"N07-T1"}, "agency": {"E23000001"}},
			http.StatusUnprocessableEntity, []string{"agency"}, "only liaisons have an agency", `value="N07-T1"`},
		{"an email already taken is said so", url.Values{"name": {"Colm Again"}, "email": {"colm@example.org"}, "role": {"com"}, "teams": {"N07-T1"}},
			http.StatusConflict, []string{"email"}, "A user with this email address already exists", `value="Colm Again"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.form(t, admin, "/admin/users/new", tt.form)
			if res.status != tt.status || !strings.Contains(res.body, "There is a problem") || !strings.Contains(res.body, tt.text) {
				t.Fatalf("%d, want %d with %q: %s", res.status, tt.status, tt.text, res.body)
			}
			if got := summaryErrors(res.body); strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("the error summary links to %v, want %v", got, tt.fields)
			}
			if !strings.Contains(res.body, tt.kept) {
				t.Errorf("what was typed (%s) is not kept", tt.kept)
			}
		})
	}

	res := e.form(t, admin, "/admin/users/new", url.Values{"name": {"Cara Com"}, "email": {"cara@example.org"}, "phone": {""}, "role": {"com"}, "teams": {"N07-T1"}})
	token := shownToken(res.body)
	if res.status != http.StatusCreated || token == "" || !strings.Contains(res.body, "shown this once") {
		t.Fatalf("adding a COM: %d, token %q: %s", res.status, token, res.body)
	}
	// The token works, for the new user, in team N07-T1.
	var me map[string]any
	want(t, e.do(t, token, "GET", "/api/v1/me", nil), http.StatusOK, &me)
	if me["email"] != "cara@example.org" || me["team"] != "N07-T1" {
		t.Errorf("the new user's token is for %v", me)
	}
	// The user's page never shows it again.
	id := me["id"].(string)
	again := e.page(t, "GET", "/admin/users/"+id, nil, admin)
	if again.status != http.StatusOK || strings.Contains(again.body, token) || strings.Contains(again.body, `id="token"`) || !strings.Contains(again.body, "first token") {
		t.Errorf("the user's page: %d; it must list the first token without its secret", again.status)
	}
	// Found by name and by email, and not by what it is not.
	for q, found := range map[string]bool{"cara": true, "CARA@EXAMPLE": true, "nobody-here": false} {
		list := e.page(t, "GET", "/admin/users?q="+url.QueryEscape(q), nil, admin)
		if strings.Contains(list.body, "/admin/users/"+id) != found {
			t.Errorf("finding %q: the new user listed = %v, want %v", q, !found, found)
		}
	}
}

func TestAnAdminDeactivatesReactivatesAndManagesAUsersTokens(t *testing.T) {
	e := newEnv(t)
	admin := e.signInWithForm(t, e.admin.Token)
	com := e.signInWithForm(t, e.com.Token)

	res := e.form(t, admin, "/admin/users/"+e.com.ID+"/deactivate", nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("deactivating: %d %s", res.status, res.body)
	}
	if page := e.page(t, "GET", res.header.Get("Location"), nil, admin); !strings.Contains(page.body, "The user is deactivated") || !strings.Contains(page.body, "Reactivate Colm Oman") {
		t.Errorf("after deactivating, the user's page: %d", page.status)
	}
	if page := e.page(t, "GET", "/releases", nil, com); page.status != http.StatusSeeOther {
		t.Errorf("the deactivated COM's session still opens a page: %d", page.status)
	}
	if r := e.do(t, e.com.Token, "GET", "/api/v1/me", nil); r.status != http.StatusUnauthorized {
		t.Errorf("the deactivated COM's token: %d, want 401", r.status)
	}
	if res := e.form(t, admin, "/admin/users/"+e.com.ID+"/activate", nil); res.status != http.StatusSeeOther {
		t.Fatalf("reactivating: %d", res.status)
	}
	if r := e.do(t, e.com.Token, "GET", "/api/v1/me", nil); r.status != http.StatusOK {
		t.Errorf("the reactivated COM's token: %d, want 200", r.status)
	}

	// An admin cannot deactivate themself: the page says why, and nothing changes.
	self := e.form(t, admin, "/admin/users/"+e.admin.ID+"/deactivate", nil)
	if self.status != http.StatusConflict || !strings.Contains(self.body, "You cannot deactivate yourself") {
		t.Errorf("deactivating oneself: %d, want 409 saying why", self.status)
	}

	// A label too long is refused and kept; a good one issues a token shown once.
	long := strings.Repeat("x", checks.MaxName+1)
	bad := e.form(t, admin, "/admin/users/"+e.com.ID+"/tokens", url.Values{"label": {long}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `href="#label"`) || !strings.Contains(bad.body, long) {
		t.Errorf("a label too long: %d, want 422 pointing at the label and keeping it", bad.status)
	}
	issued := e.form(t, admin, "/admin/users/"+e.com.ID+"/tokens", url.Values{"label": {"reporting script"}})
	token := shownToken(issued.body)
	if issued.status != http.StatusCreated || token == "" || !strings.Contains(issued.body, "Token issued") {
		t.Fatalf("issuing a token: %d %q", issued.status, token)
	}
	if r := e.do(t, token, "GET", "/api/v1/me", nil); r.status != http.StatusOK {
		t.Fatalf("the token issued: %d", r.status)
	}
	tokens, err := e.svc.Tokens(context.Background(), checks.System("test"), e.com.ID)
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, tk := range tokens {
		if tk.Label == "reporting script" {
			id = tk.ID
		}
	}
	revoked := e.form(t, admin, "/admin/tokens/"+id+"/revoke", nil)
	if revoked.status != http.StatusSeeOther || revoked.header.Get("Location") != "/admin/users/"+e.com.ID+"?notice=revoked" {
		t.Fatalf("revoking: %d to %q", revoked.status, revoked.header.Get("Location"))
	}
	if r := e.do(t, token, "GET", "/api/v1/me", nil); r.status != http.StatusUnauthorized {
		t.Errorf("the revoked token: %d, want 401", r.status)
	}
	if r := e.do(t, e.com.Token, "GET", "/api/v1/me", nil); r.status != http.StatusOK {
		t.Errorf("the COM's other token after revoking one: %d, want 200", r.status)
	}
}

func TestTheAdminHomeListsActiveAgenciesWithNoMailboxUntilTheirFormSetsThem(t *testing.T) {
	e := newEnv(t)
	admin := e.signInWithForm(t, e.admin.Token)
	link := `href="/admin/agencies/E23000001"`
	home := e.page(t, "GET", "/admin", nil, admin)
	if home.status != http.StatusOK || !strings.Contains(home.body, link) || !strings.Contains(home.body, "no mailbox") {
		t.Fatalf("a fresh install's admin home does not list the Met as having no mailbox: %d", home.status)
	}
	form := e.page(t, "GET", "/admin/agencies/E23000001", nil, admin)
	version := regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(form.body)
	if form.status != http.StatusOK || version == nil {
		t.Fatalf("the Met's form: %d", form.status)
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		text   string
	}{
		{"a contact that is not an email address is refused and kept",
			url.Values{"version": {version[1]}, "contact_email": {"referrals at met"}, "escalation_email": {"dci@met.example.org"}, "active": {"true"}},
			http.StatusUnprocessableEntity, "Enter the contact mailbox in the correct format"},
		{"a stale form does not overwrite a change made meanwhile",
			url.Values{"version": {"0"}, "contact_email": {"referrals@met.example.org"}, "escalation_email": {"dci@met.example.org"}, "active": {"true"}},
			http.StatusPreconditionFailed, "Someone else changed this agency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.form(t, admin, "/admin/agencies/E23000001", tt.form)
			if res.status != tt.status || !strings.Contains(res.body, tt.text) || !strings.Contains(res.body, `value="`+tt.form.Get("contact_email")+`"`) {
				t.Errorf("%d, want %d saying %q and keeping what was typed", res.status, tt.status, tt.text)
			}
		})
	}
	a, _ := e.svc.Agency(context.Background(), "E23000001")
	if a.ContactEmail != "" {
		t.Fatalf("a refused form changed the Met's contact to %q", a.ContactEmail)
	}
	res := e.form(t, admin, "/admin/agencies/E23000001", url.Values{"version": {version[1]},
		"contact_email": {"referrals@met.example.org"}, "escalation_email": {"dci@met.example.org"}, "active": {"true"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("saving the Met's mailboxes: %d %s", res.status, res.body)
	}
	if a, _ := e.svc.Agency(context.Background(), "E23000001"); a.ContactEmail != "referrals@met.example.org" || a.EscalationEmail != "dci@met.example.org" || !a.Active {
		t.Errorf("the Met after saving: %+v", a)
	}
	if home := e.page(t, "GET", "/admin", nil, admin); strings.Contains(home.body, link) || !strings.Contains(home.body, `href="/admin/agencies/E23000002"`) {
		t.Errorf("after the Met's mailboxes are set the admin home still lists it, or no longer lists Cumbria")
	}
	// Unticking "Active" deactivates it.
	form = e.page(t, "GET", "/admin/agencies/E23000001", nil, admin)
	version = regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(form.body)
	e.form(t, admin, "/admin/agencies/E23000001", url.Values{"version": {version[1]}, "contact_email": {"referrals@met.example.org"}, "escalation_email": {"dci@met.example.org"}})
	if a, _ := e.svc.Agency(context.Background(), "E23000001"); a.Active {
		t.Error("the Met is still active after its box was unticked")
	}
}

// stuckEmail queues an email that is dead (refused by the server) or undeliverable (its
// recipient, the Met's contact mailbox, not set), and returns its key.
func (e *env) stuckEmail(t *testing.T, status notify.Status) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	now := e.clock.Now().UTC().Truncate(time.Millisecond)
	m := notify.Email{Key: hex.EncodeToString(b), Subject: "Safeguarding checks: " + string(status), Text: "One check.", HTML: "<p>One check.</p>",
		Items: []string{hex.EncodeToString(b[:4]) + "/request_notice"}, Status: status, NextAttemptAt: now, AsOf: now, CreatedAt: now}
	switch status {
	case notify.StatusDead:
		m.To, m.Recipient, m.LastError, m.Attempts = "colm@example.org", "com "+e.com.ID, "550 mailbox unavailable", 8
	case notify.StatusUndeliverable:
		m.Missing, m.Recipient = "the contact mailbox of Metropolitan Police Service", "agency_contact E23000001"
	}
	if _, err := e.outbox.Insert(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return m.Key
}

func TestTheOutboxPageShowsWhyEmailsWereNotSentAndRetriesThemAudited(t *testing.T) {
	e := newEnv(t)
	admin := e.signInWithForm(t, e.admin.Token)
	dead, undeliverable := e.stuckEmail(t, notify.StatusDead), e.stuckEmail(t, notify.StatusUndeliverable)
	page := e.page(t, "GET", "/admin/outbox", nil, admin)
	for _, want := range []string{"550 mailbox unavailable", "No address for the contact mailbox of Metropolitan Police Service", "Retry every email", "8 attempts"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the outbox page lacks %q", want)
		}
	}
	if home := e.page(t, "GET", "/admin", nil, admin); !strings.Contains(home.body, "2</strong> emails have not been sent") {
		t.Errorf("the admin home does not count the 2 emails not sent")
	}

	// Before the Met has a mailbox, its email cannot be retried: the page says what to set.
	res := e.form(t, admin, "/admin/outbox/"+undeliverable+"/retry", nil)
	if res.status != http.StatusConflict || !strings.Contains(res.body, `href="#email-`+undeliverable+`"`) || !strings.Contains(res.body, "There is still no address") {
		t.Errorf("retrying before the address is set: %d, want 409 pointing at the email", res.status)
	}
	// Retry all: the dead one goes back, the undeliverable one stays, and says so.
	res = e.form(t, admin, "/admin/outbox/retry", nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("retry all: %d %s", res.status, res.body)
	}
	after := e.page(t, "GET", res.header.Get("Location"), nil, admin)
	if !strings.Contains(after.body, "1 email is back in the queue; 1 email still has no address") || strings.Contains(after.body, "550 mailbox unavailable") {
		t.Errorf("after retry all: %s", after.body)
	}
	if m, _ := e.outbox.Get(context.Background(), dead); m.Status != notify.StatusPending || m.Attempts != 0 {
		t.Errorf("the dead email after retry all: %s, %d attempts", m.Status, m.Attempts)
	}
	contact := "referrals@met.example.org"
	if _, err := e.svc.UpdateAgency(context.Background(), checks.System("test"), "E23000001", nil, checks.AgencyPatch{ContactEmail: &contact}); err != nil {
		t.Fatal(err)
	}
	if res := e.form(t, admin, "/admin/outbox/"+undeliverable+"/retry", nil); res.status != http.StatusSeeOther {
		t.Fatalf("retrying once the address is set: %d %s", res.status, res.body)
	}
	if m, _ := e.outbox.Get(context.Background(), undeliverable); m.Status != notify.StatusPending || m.To != contact {
		t.Errorf("the undeliverable email after its retry: %s to %q", m.Status, m.To)
	}
	trail, err := e.svc.Audit(context.Background(), checks.System("test"), checks.AuditFilter{Actor: e.admin.ID, Resource: checks.ResourceEmail})
	if err != nil {
		t.Fatal(err)
	}
	retried := map[string]string{}
	for _, a := range trail.Items {
		if a.Action == "email.retry" {
			retried[a.ResourceID] = a.Changes[0].Before
		}
	}
	if len(retried) != 2 || retried[dead] != "dead" || retried[undeliverable] != "undeliverable" {
		t.Errorf("the admin's audited retries = %v, want the dead one and the undeliverable one", retried)
	}
}

func TestTheAuditTrailIsSearchedByPersonRecordAndDateAPageAtATime(t *testing.T) {
	e := newEnv(t)
	admin := e.signInWithForm(t, e.admin.Token)
	// 9 users made 18 entries; 25 more make 50 more, past a page of 50.
	for i := range 25 {
		e.user(t, checks.UserInput{Name: fmt.Sprintf("User %d", i), Email: fmt.Sprintf("u%d@example.org", i), Role: "com", Team: "N07-T1"})
	}
	rows := func(body string) int { return strings.Count(body, `<tr class="govuk-table__row">`) - 1 }
	first := e.page(t, "GET", "/admin/audit", nil, admin)
	next := regexp.MustCompile(`href="(/admin/audit\?[^"]*cursor=[^"]+)" rel="next"`).FindStringSubmatch(first.body)
	if first.status != http.StatusOK || rows(first.body) != 50 || next == nil {
		t.Fatalf("the first page: %d with %d rows, next %v; want 50 and a link to later entries", first.status, rows(first.body), next)
	}
	second := e.page(t, "GET", strings.ReplaceAll(next[1], "&amp;", "&"), nil, admin)
	if second.status != http.StatusOK || rows(second.body) < 18 || !strings.Contains(second.body, `rel="prev"`) {
		t.Errorf("the second page: %d with %d rows, want the rest and a link back", second.status, rows(second.body))
	}

	e.form(t, admin, "/admin/users/"+e.com.ID+"/deactivate", nil)
	tests := []struct {
		name   string
		query  url.Values
		status int
		want   []string
		absent []string
	}{
		{"by person: only what the admin did", url.Values{"actor": {e.admin.ID}}, http.StatusOK,
			[]string{"user.deactivate", "session.create"}, []string{"user.create"}},
		{"by record: only the COM's user", url.Values{"resource": {"user"}, "resource_id": {e.com.ID}}, http.StatusOK,
			[]string{"user.deactivate", "user.create"}, []string{"token.issue", "session.create"}},
		{"by date: nothing after today", url.Values{"from-day": {"25"}, "from-month": {"11"}, "from-year": {"2026"}}, http.StatusOK,
			[]string{"No entries match"}, []string{"user.create"}},
		{"a date that does not exist is refused and kept", url.Values{"from-day": {"31"}, "from-month": {"2"}, "from-year": {"2026"}, "resource": {"nothing"}},
			http.StatusUnprocessableEntity, []string{"Choose a kind of record from the list", "The date to search from must be a real date", `value="31"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.page(t, "GET", "/admin/audit?"+tt.query.Encode(), nil, admin)
			if res.status != tt.status {
				t.Fatalf("%d, want %d: %s", res.status, tt.status, res.body)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("lacks %q", w)
				}
			}
			for _, a := range tt.absent {
				if strings.Contains(res.body, a) {
					t.Errorf("shows %q", a)
				}
			}
		})
	}
	if got := summaryErrors(e.page(t, "GET", "/admin/audit?resource=nothing&from-day=31&from-month=2&from-year=2026", nil, admin).body); strings.Join(got, ",") != "resource,from-day" {
		t.Errorf("the audit search's errors link to %v, want the kind of record, then the date", got)
	}
}

func TestAUsersPageTagsEachTokenActiveExpiredOrRevoked(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	adminUser, err := e.svc.User(ctx, checks.System("test"), e.admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(label string, lifetime time.Duration) checks.Token {
		t.Helper()
		tk, _, err := e.svc.IssueToken(ctx, adminUser, e.com.ID, label, lifetime)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	issue("short-lived", time.Hour)
	issue("still good", 24*time.Hour)
	gone := issue("revoked one", 24*time.Hour)
	if _, err := e.svc.RevokeToken(ctx, adminUser, gone.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)

	page := e.page(t, "GET", "/admin/users/"+e.com.ID, nil, e.signInWithForm(t, e.admin.Token))
	if page.status != http.StatusOK {
		t.Fatalf("the COM's page: %d", page.status)
	}
	rows := regexp.MustCompile(`(?s)<tr class="govuk-table__row">(.*?)</tr>`).FindAllStringSubmatch(page.body, -1)
	tag := map[string]string{}
	revocable := map[string]bool{}
	for _, r := range rows {
		label := regexp.MustCompile(`<td class="govuk-table__cell">([^<]*)</td>`).FindStringSubmatch(r[1])
		status := regexp.MustCompile(`govuk-tag[^"]*">([^<]*)<`).FindStringSubmatch(r[1])
		if label != nil && status != nil {
			tag[label[1]] = status[1]
			revocable[label[1]] = strings.Contains(r[1], "/revoke")
		}
	}
	for label, want := range map[string]string{"short-lived": "Expired", "still good": "Active", "revoked one": "Revoked"} {
		if tag[label] != want {
			t.Errorf("the token %q is tagged %q, want %q (all: %v)", label, tag[label], want, tag)
		}
		if revocable[label] != (want == "Active") {
			t.Errorf("the token %q offers revoking: %v, want it only while active", label, revocable[label])
		}
	}
}
