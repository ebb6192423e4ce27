package api

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/metrics"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
)

// The authorisation matrix: every route of the router (gin's own list, so a route added
// later is in it) is called as every kind of caller, on a target in the team's scope, and
// each answer is held to the status written below for that route and caller. A route with
// no row fails the test, and so does a row for a route that no longer exists.
//
// The callers: an admin; a COM of team N07-T1 (the team of every target) and one of another
// team; a manager of the team and one of another team; a liaison of the agency the check is
// addressed to (the Metropolitan Police, E23000001: the targets are domestic abuse checks)
// and one of another force; and nobody (no token, no session). Out of scope is the callers
// of the other team or agency, and a liaison before a check is requested from its agency.
//
// The API takes a bearer token; the pages take a session cookie, got by signing in with the
// token, and every form carries the session's CSRF token.

// The callers, by name.
const (
	asAdmin        = "admin"
	asCOM          = "COM of the team"
	asOtherCOM     = "COM of another team"
	asManager      = "manager of the team"
	asOtherManager = "manager of another team"
	asLiaison      = "liaison of the check's agency"
	asOtherLiaison = "liaison of another agency"
	asNobody       = "nobody"
)

var authzCallers = []string{asAdmin, asCOM, asOtherCOM, asManager, asOtherManager, asLiaison, asOtherLiaison, asNobody}

// toSignIn stands for a 303 redirect to the sign-in page, as a page answers a browser
// without a session; a plain 303 in the table is a redirect anywhere else.
const toSignIn = -303

// authzTarget is one request of a case: the path (with its query) and a JSON body (API)
// or form fields (pages; the CSRF token is added). id is what a list answer must hold for
// the caller to see the target.
type authzTarget struct {
	path string
	body any
	form url.Values
	id   string
	// csv is a release schedule, sent as text/csv to the API or uploaded as the file of a
	// page's form (multipart).
	csv string
}

// authzCase is one row of the table: what the target is, how to make it, and the status
// each caller must get.
type authzCase struct {
	what string
	// fresh: a call that succeeds uses the target up (it changes it), so the next caller
	// gets a new one; otherwise one target serves every caller.
	fresh bool
	// perCaller: the target depends on who calls (oneself, one's own token).
	perCaller bool
	target    func(t *testing.T, m *authzEnv, as string) authzTarget
	want      map[string]int
	// sees, for a list, says which callers find the target in the answer.
	sees map[string]bool
}

// authzEnv is the service with the callers, their domain users and their sessions.
type authzEnv struct {
	*fuzzEnv
	callers  map[string]caller
	sessions map[string]*http.Cookie
	csrf     map[string]string
	n        int
}

func (m *authzEnv) next() int { m.n++; return m.n }

func (m *authzEnv) user(t *testing.T, role string) string {
	t.Helper()
	in := checks.UserInput{Name: "Uma User", Email: fmt.Sprintf("uma%d@example.org", m.next()), Role: role, Team: "N07-T1"}
	u, _, err := m.svc.CreateUser(context.Background(), checks.System("test"), in)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// spareToken issues another token of the caller's user (the COM's for nobody) and returns
// its id.
func (m *authzEnv) spareToken(t *testing.T, userID string) string {
	t.Helper()
	tok, _, err := m.svc.IssueToken(context.Background(), checks.System("test"), userID, "spare", 0)
	if err != nil {
		t.Fatal(err)
	}
	return tok.ID
}

// email queues an email in the outbox (dead when dead is true) and returns its id.
func (m *authzEnv) email(t *testing.T, dead bool) string {
	t.Helper()
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	now := m.clock.Now().UTC().Truncate(time.Millisecond)
	e := notify.Email{Key: hex.EncodeToString(b), To: "colm@example.org", Subject: "Safeguarding checks", Text: "One check.",
		HTML: "<p>One check.</p>", Items: []string{"x/request_reminder"}, Recipient: "com " + m.com.ID, Status: notify.StatusPending,
		NextAttemptAt: now, AsOf: now, CreatedAt: now}
	if dead {
		e.Status, e.LastError = notify.StatusDead, "550 refused"
	}
	if _, err := m.outbox.Insert(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	return e.Key
}

func (m *authzEnv) checkID(t *testing.T, state checks.Status) string {
	t.Helper()
	return fuzzCheckOf(t, m.release(t, state), checks.TypeDomesticAbuse).ID
}

var authzCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signIn signs the caller in through the sign-in form and keeps the session cookie and its
// CSRF token.
func (m *authzEnv) signIn(t *testing.T, as string) {
	t.Helper()
	form := m.page(t, "GET", "/sign-in?hop=1", nil, nil)
	csrf := authzCSRF.FindStringSubmatch(form.body)
	var pre *http.Cookie
	for _, c := range form.cookies {
		if c.Name == signInCookie {
			pre = c
		}
	}
	if csrf == nil || pre == nil {
		t.Fatalf("the sign-in form lacks its CSRF token or cookie: %d", form.status)
	}
	res := m.page(t, "POST", "/sign-in", url.Values{"csrf_token": {csrf[1]}, "token": {m.callers[as].Token}, "next": {"/"}}, pre)
	for _, c := range res.cookies {
		if c.Name == sessionCookie {
			m.sessions[as] = c
		}
	}
	if m.sessions[as] == nil {
		t.Fatalf("signing in as %s answered %d without a session", as, res.status)
	}
	home := "/releases"
	if strings.HasPrefix(as, "liaison") {
		home = "/queue"
	}
	page := m.page(t, "GET", home, nil, m.sessions[as])
	if csrf = authzCSRF.FindStringSubmatch(page.body); csrf == nil {
		t.Fatalf("%s as %s: %d, no CSRF token", home, as, page.status)
	}
	m.csrf[as] = csrf[1]
}

type authzPage struct {
	status   int
	location string
	cookies  []*http.Cookie
	body     string
}

// page sends a browser's request: no redirects followed, the session cookie if any.
func (m *authzEnv) page(t *testing.T, method, path string, form url.Values, cookie *http.Cookie) authzPage {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, m.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	client := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return authzPage{res.StatusCode, res.Header.Get("Location"), res.Cookies(), string(b)}
}

// A row's expected statuses, in the order of authzCallers.
func statusesOf(admin, com, otherCOM, manager, otherManager, liaison, otherLiaison, nobody int) map[string]int {
	return map[string]int{asAdmin: admin, asCOM: com, asOtherCOM: otherCOM, asManager: manager, asOtherManager: otherManager,
		asLiaison: liaison, asOtherLiaison: otherLiaison, asNobody: nobody}
}

// Which callers see a list's target, in the order of authzCallers less nobody.
func seenBy(admin, com, otherCOM, manager, otherManager, liaison, otherLiaison bool) map[string]bool {
	return map[string]bool{asAdmin: admin, asCOM: com, asOtherCOM: otherCOM, asManager: manager, asOtherManager: otherManager,
		asLiaison: liaison, asOtherLiaison: otherLiaison}
}

const (
	ok200  = http.StatusOK
	ok204  = http.StatusNoContent
	new201 = http.StatusCreated
	see303 = http.StatusSeeOther
	bad422 = http.StatusUnprocessableEntity
	who401 = http.StatusUnauthorized
	no403  = http.StatusForbidden
	nf404  = http.StatusNotFound
	cf409  = http.StatusConflict
)

func fixed(path string) func(*testing.T, *authzEnv, string) authzTarget {
	return func(*testing.T, *authzEnv, string) authzTarget { return authzTarget{path: path} }
}

func withBody(path string, body any) func(*testing.T, *authzEnv, string) authzTarget {
	return func(*testing.T, *authzEnv, string) authzTarget { return authzTarget{path: path, body: body} }
}

// onCheck targets a check of the team's release in state, at the path made by path.
func onCheck(state checks.Status, path func(id string) string, body any, form url.Values) func(*testing.T, *authzEnv, string) authzTarget {
	return func(t *testing.T, m *authzEnv, _ string) authzTarget {
		id := m.checkID(t, state)
		return authzTarget{path: path(id), body: body, form: form, id: id}
	}
}

// onTimeAsked is a requested check whose liaison asked for more time, waiting for probation.
func onTimeAsked(path func(id string) string, body any, form url.Values) func(*testing.T, *authzEnv, string) authzTarget {
	return func(t *testing.T, m *authzEnv, _ string) authzTarget {
		id := m.checkID(t, checks.StatusRequested)
		if _, err := m.svc.AskForTime(context.Background(), m.policeUser, id, nil, checks.ExtensionInput{ProposedDate: "2026-12-15", Note: "Short of staff."}); err != nil {
			t.Fatalf("set up: ask for more time: %v", err)
		}
		return authzTarget{path: path(id), body: body, form: form, id: id}
	}
}

func onRelease(path func(id string) string, body any) func(*testing.T, *authzEnv, string) authzTarget {
	return func(t *testing.T, m *authzEnv, _ string) authzTarget {
		r := m.release(t, checks.StatusRequired)
		return authzTarget{path: path(r.ID), body: body, id: r.ID}
	}
}

func newReleaseBody(m *authzEnv) map[string]any {
	b := validRelease()
	b["crn"], b["team"], b["com_id"] = fmt.Sprintf("M%06d", m.next()), "N07-T1", m.com.ID
	return b
}

// authzSchedule is a release schedule of one new release for the team and its COM.
func authzSchedule(m *authzEnv) string {
	return "crn,noms_number,full_name,date_of_birth,release_date,prison_code,team,com_email,address_line_1,town,postcode,police_force,local_authority\n" +
		fmt.Sprintf("I%06d,A1234BC,John Smith,1985-03-02,2027-02-15,LEI,N07-T1,%s,1 Example Street,London,EC1A 1BB,E23000001,E09000001\n", m.next(), m.comUser.Email)
}

// pendingImport keeps a release schedule the team's COM uploaded and returns its id.
func (m *authzEnv) pendingImport(t *testing.T) string {
	t.Helper()
	p, err := m.svc.KeepPendingImport(context.Background(), m.comUser, []byte(authzSchedule(m)))
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// authzTable is the expected status of every route for every caller.
var authzTable = map[string][]authzCase{
	// Open to anyone.
	"GET /healthz":             {{what: "health", target: fixed("/healthz"), want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200)}},
	"GET /readyz":              {{what: "readiness", target: fixed("/readyz"), want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200)}},
	"GET /api/v1/openapi.json": {{what: "the contract", target: fixed("/api/v1/openapi.json"), want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200)}},
	"GET /metrics":             {{what: "metrics, admins only", target: fixed("/metrics"), want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},
	"GET /api/v1/me":           {{what: "oneself", target: fixed("/api/v1/me"), want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, who401)}},

	// Releases: probation's, in the team's scope; never a liaison's.
	"POST /api/v1/releases": {{what: "a release for the team (other teams' staff may not name it)", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/api/v1/releases", body: newReleaseBody(m)}
		},
		want: statusesOf(new201, new201, bad422, new201, bad422, no403, no403, who401)}},
	"POST /api/v1/imports": {{what: "a release schedule of one release for the team, all or nothing (other teams' staff may not name it)", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/api/v1/imports?all_or_nothing=true", csv: authzSchedule(m)}
		},
		want: statusesOf(ok200, ok200, bad422, ok200, bad422, no403, no403, who401)}},
	"GET /api/v1/releases": {{what: "the list, with a release of the team on it",
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			r := m.releaseOn(t, checks.StatusRequired, "2026-12-07")
			return authzTarget{path: "/api/v1/releases?limit=200", id: r.ID}
		},
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, no403, no403, who401),
		sees: seenBy(true, true, false, true, false, false, false)}},
	"GET /api/v1/releases/:id": {{what: "a release of the team",
		target: onRelease(func(id string) string { return "/api/v1/releases/" + id }, nil),
		want:   statusesOf(ok200, ok200, nf404, ok200, nf404, nf404, nf404, who401)}},
	"PATCH /api/v1/releases/:id": {{what: "a change to a release of the team",
		target: onRelease(func(id string) string { return "/api/v1/releases/" + id }, map[string]any{"prison_code": "MAN"}),
		want:   statusesOf(ok200, ok200, nf404, ok200, nf404, nf404, nf404, who401)}},
	"POST /api/v1/releases/:id/cancel": {{what: "cancelling a release of the team", fresh: true,
		target: onRelease(func(id string) string { return "/api/v1/releases/" + id + "/cancel" }, nil),
		want:   statusesOf(ok200, ok200, nf404, ok200, nf404, nf404, nf404, who401)}},
	"GET /api/v1/releases/:id/export": {{what: "a subject access export, admins only",
		target: onRelease(func(id string) string { return "/api/v1/releases/" + id + "/export" }, nil),
		want:   statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},

	// Checks: probation's of the team; a liaison's once requested from its agency.
	"GET /api/v1/checks": {
		{what: "the list, with a requested check of the team on it",
			target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
				id := fuzzCheckOf(t, m.releaseOn(t, checks.StatusRequested, "2026-12-07"), checks.TypeDomesticAbuse).ID
				return authzTarget{path: "/api/v1/checks?limit=200", id: id}
			},
			want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, who401),
			sees: seenBy(true, true, false, true, false, true, false)},
		{what: "the list, with a check not yet requested on it",
			target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
				id := fuzzCheckOf(t, m.releaseOn(t, checks.StatusRequired, "2026-12-08"), checks.TypeDomesticAbuse).ID
				return authzTarget{path: "/api/v1/checks?limit=200", id: id}
			},
			want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, who401),
			sees: seenBy(true, true, false, true, false, false, false)},
	},
	"GET /api/v1/checks/:id": {
		{what: "a requested check", target: onCheck(checks.StatusRequested, func(id string) string { return "/api/v1/checks/" + id }, nil, nil),
			want: statusesOf(ok200, ok200, nf404, ok200, nf404, ok200, nf404, who401)},
		{what: "a check not yet requested", target: onCheck(checks.StatusRequired, func(id string) string { return "/api/v1/checks/" + id }, nil, nil),
			want: statusesOf(ok200, ok200, nf404, ok200, nf404, nf404, nf404, who401)},
	},
	"POST /api/v1/checks/:id/request": {{what: "requesting a required check", fresh: true,
		target: onCheck(checks.StatusRequired, func(id string) string { return "/api/v1/checks/" + id + "/request" }, nil, nil),
		want:   statusesOf(no403, ok200, nf404, ok200, nf404, nf404, nf404, who401)}},
	"POST /api/v1/checks/:id/response": {{what: "answering a requested check", fresh: true,
		target: onCheck(checks.StatusRequested, func(id string) string { return "/api/v1/checks/" + id + "/response" }, asResponse, nil),
		want:   statusesOf(no403, no403, nf404, no403, nf404, ok200, nf404, who401)}},
	"POST /api/v1/checks/:id/complete": {{what: "completing an answered check", fresh: true,
		target: onCheck(checks.StatusResponded, func(id string) string { return "/api/v1/checks/" + id + "/complete" }, asComplete, nil),
		want:   statusesOf(no403, ok200, nf404, ok200, nf404, no403, nf404, who401)}},
	"POST /api/v1/checks/:id/not-required": {
		{what: "marking a required check not required", fresh: true,
			target: onCheck(checks.StatusRequired, func(id string) string { return "/api/v1/checks/" + id + "/not-required" }, asReason, nil),
			want:   statusesOf(no403, ok200, nf404, ok200, nf404, nf404, nf404, who401)},
		{what: "marking a requested check not required (too late; the liaison sees it)", fresh: true,
			target: onCheck(checks.StatusRequested, func(id string) string { return "/api/v1/checks/" + id + "/not-required" }, asReason, nil),
			want:   statusesOf(no403, cf409, nf404, cf409, nf404, no403, nf404, who401)},
	},
	"POST /api/v1/checks/:id/stand-down": {{what: "standing down a requested check", fresh: true,
		target: onCheck(checks.StatusRequested, func(id string) string { return "/api/v1/checks/" + id + "/stand-down" }, asReason, nil),
		want:   statusesOf(no403, ok200, nf404, ok200, nf404, no403, nf404, who401)}},
	"POST /api/v1/checks/:id/extension": {{what: "asking for more time on a requested check", fresh: true,
		target: onCheck(checks.StatusRequested, func(id string) string { return "/api/v1/checks/" + id + "/extension" },
			map[string]any{"proposed_date": "2026-12-15", "note": "Short of staff."}, nil),
		want: statusesOf(no403, no403, nf404, no403, nf404, ok200, nf404, who401)}},
	"POST /api/v1/checks/:id/extension/agree": {{what: "agreeing more time", fresh: true,
		target: onTimeAsked(func(id string) string { return "/api/v1/checks/" + id + "/extension/agree" }, nil, nil),
		want:   statusesOf(no403, ok200, nf404, ok200, nf404, no403, nf404, who401)}},
	"POST /api/v1/checks/:id/extension/refuse": {{what: "refusing more time", fresh: true,
		target: onTimeAsked(func(id string) string { return "/api/v1/checks/" + id + "/extension/refuse" }, nil, nil),
		want:   statusesOf(no403, ok200, nf404, ok200, nf404, no403, nf404, who401)}},
	"POST /api/v1/checks/:id/notes": {{what: "a note on a requested check",
		target: onCheck(checks.StatusRequested, func(id string) string { return "/api/v1/checks/" + id + "/notes" }, asNote, nil),
		want:   statusesOf(no403, ok200, nf404, ok200, nf404, ok200, nf404, who401)}},

	// The agency directory: anyone signed in reads it; admins change it.
	"GET /api/v1/agencies":       {{what: "the directory", target: fixed("/api/v1/agencies"), want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, who401)}},
	"GET /api/v1/agencies/:code": {{what: "an agency", target: fixed("/api/v1/agencies/E23000001"), want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, who401)}},
	"PATCH /api/v1/agencies/:code": {{what: "changing an agency",
		target: withBody("/api/v1/agencies/E23000001", map[string]any{"active": true}),
		want:   statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},

	// Users and tokens: admins manage them; anyone reads oneself and revokes its own tokens.
	"POST /api/v1/users": {{what: "a new user", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/api/v1/users", body: map[string]any{"name": "Nell New", "email": fmt.Sprintf("nell%d@example.org", m.next()), "role": "com", "team": "N07-T1"}}
		},
		want: statusesOf(new201, no403, no403, no403, no403, no403, no403, who401)}},
	"GET /api/v1/users": {{what: "the users", target: fixed("/api/v1/users"), want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},
	"GET /api/v1/users/:id": {
		{what: "another user (a COM of the team)",
			target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
				return authzTarget{path: "/api/v1/users/" + m.user(t, "com")}
			},
			want: statusesOf(ok200, nf404, nf404, nf404, nf404, nf404, nf404, who401)},
		{what: "oneself", perCaller: true,
			target: func(t *testing.T, m *authzEnv, as string) authzTarget {
				id := m.callers[as].ID
				if id == "" {
					id = m.com.ID
				}
				return authzTarget{path: "/api/v1/users/" + id}
			},
			want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, who401)},
	},
	"POST /api/v1/users/:id/deactivate": {{what: "deactivating a user", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/api/v1/users/" + m.user(t, "com") + "/deactivate"}
		},
		want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},
	"POST /api/v1/users/:id/activate": {{what: "reactivating a deactivated user", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			id := m.user(t, "com")
			if _, err := m.svc.SetUserActive(context.Background(), checks.System("test"), id, false); err != nil {
				t.Fatal(err)
			}
			return authzTarget{path: "/api/v1/users/" + id + "/activate"}
		},
		want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},
	"POST /api/v1/users/:id/tokens": {{what: "a token for a user",
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/api/v1/users/" + m.com.ID + "/tokens", body: map[string]any{"label": "spare"}}
		},
		want: statusesOf(new201, no403, no403, no403, no403, no403, no403, who401)}},
	"GET /api/v1/users/:id/tokens": {{what: "a user's tokens",
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/api/v1/users/" + m.com.ID + "/tokens"}
		},
		want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},
	"POST /api/v1/tokens/:id/revoke": {
		{what: "revoking a token of one's own", perCaller: true,
			target: func(t *testing.T, m *authzEnv, as string) authzTarget {
				id := m.callers[as].ID
				if id == "" {
					id = m.com.ID
				}
				return authzTarget{path: "/api/v1/tokens/" + m.spareToken(t, id) + "/revoke"}
			},
			want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, who401)},
		{what: "revoking another user's token", fresh: true,
			target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
				return authzTarget{path: "/api/v1/tokens/" + m.spareToken(t, m.user(t, "com")) + "/revoke"}
			},
			want: statusesOf(ok200, nf404, nf404, nf404, nf404, nf404, nf404, who401)},
	},

	// Reports: probation's; a team out of scope is not found.
	"GET /api/v1/reports/completion": {
		{what: "completion, own scope", target: fixed("/api/v1/reports/completion?from=2026-11-01&to=2027-12-31"),
			want: statusesOf(ok200, ok200, ok200, ok200, ok200, no403, no403, who401)},
		{what: "completion of the team", target: fixed("/api/v1/reports/completion?from=2026-11-01&to=2027-12-31&team=N07-T1"),
			want: statusesOf(ok200, ok200, nf404, ok200, nf404, no403, no403, who401)},
	},
	"GET /api/v1/reports/agencies": {
		{what: "agencies, own scope", target: fixed("/api/v1/reports/agencies?from=2026-11-01&to=2027-12-31"),
			want: statusesOf(ok200, ok200, ok200, ok200, ok200, no403, no403, who401)},
		{what: "agencies for the team", target: fixed("/api/v1/reports/agencies?from=2026-11-01&to=2027-12-31&team=N07-T1"),
			want: statusesOf(ok200, ok200, nf404, ok200, nf404, no403, no403, who401)},
	},
	"GET /api/v1/reports/upcoming": {
		{what: "upcoming, own scope", target: fixed("/api/v1/reports/upcoming?within=20"),
			want: statusesOf(ok200, ok200, ok200, ok200, ok200, no403, no403, who401)},
		{what: "upcoming for the team", target: fixed("/api/v1/reports/upcoming?within=20&team=N07-T1"),
			want: statusesOf(ok200, ok200, nf404, ok200, nf404, no403, no403, who401)},
	},
	"GET /api/v1/audit": {{what: "the audit trail", target: fixed("/api/v1/audit"), want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},

	// Escalations and the outbox: admins only.
	"POST /api/v1/escalations/run": {{what: "a dry run", target: withBody("/api/v1/escalations/run", map[string]any{"dry_run": true}),
		want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},
	"GET /api/v1/outbox": {{what: "the outbox", target: fixed("/api/v1/outbox"), want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},
	"GET /api/v1/outbox/:id": {{what: "an email",
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/api/v1/outbox/" + m.email(t, false)}
		},
		want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},
	"POST /api/v1/outbox/:id/retry": {{what: "retrying a dead email", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/api/v1/outbox/" + m.email(t, true) + "/retry"}
		},
		want: statusesOf(ok200, no403, no403, no403, no403, no403, no403, who401)}},

	// The pages. Without a session a page goes to sign-in and a form is refused; out of scope
	// is "Page not found".
	"GET /assets/*filepath": {{what: "a stylesheet", target: fixed("/assets/app/app.css"), want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200)}},
	"GET /sign-in": {{what: "the sign-in form (a signed-in browser goes on)", target: fixed("/sign-in?hop=1"),
		want: statusesOf(see303, see303, see303, see303, see303, see303, see303, ok200)}},
	"POST /sign-in": {{what: "signing in with one's token", perCaller: true,
		target: func(t *testing.T, m *authzEnv, as string) authzTarget {
			return authzTarget{path: "/sign-in", form: url.Values{"token": {m.callers[as].Token}, "next": {"/"}}}
		},
		want: statusesOf(see303, see303, see303, see303, see303, see303, see303, who401)}},
	"POST /sign-in/email": {{what: "asking for a sign-in link (the same answer, known or not)", perCaller: true,
		target: func(t *testing.T, m *authzEnv, as string) authzTarget {
			return authzTarget{path: "/sign-in/email", form: url.Values{"email": {cmp.Or(m.callers[as].Email, "nobody@example.org")}, "next": {"/"}}}
		},
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200)}},
	"GET /sign-in/link/:secret": {{what: "a sign-in link that was never sent", target: fixed("/sign-in/link/sgt_" + strings.Repeat("A", 43)),
		want: statusesOf(who401, who401, who401, who401, who401, who401, who401, who401)}},
	"GET /sign-in/oidc/:issuer": {{what: "single sign-on with an issuer not configured", target: fixed("/sign-in/oidc/nowhere"),
		want: statusesOf(nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404)}},
	"GET /sign-in/oidc/:issuer/callback": {{what: "the return from an issuer not configured", target: fixed("/sign-in/oidc/nowhere/callback?state=x&code=y"),
		want: statusesOf(nf404, nf404, nf404, nf404, nf404, nf404, nf404, nf404)}},
	"GET /session/ended": {{what: "the page saying a session idled out", target: fixed("/session/ended"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200)}},
	"POST /session/keep-alive": {{what: "the timeout warning's stay signed in", target: func(*testing.T, *authzEnv, string) authzTarget {
		return authzTarget{path: "/session/keep-alive", form: url.Values{}}
	}, want: statusesOf(ok204, ok204, ok204, ok204, ok204, ok204, ok204, no403)}},
	"POST /sign-out": {{what: "signing out (a session of its own)", target: func(*testing.T, *authzEnv, string) authzTarget {
		return authzTarget{path: "/sign-out", form: url.Values{}}
	}, want: statusesOf(toSignIn, toSignIn, toSignIn, toSignIn, toSignIn, toSignIn, toSignIn, no403)}},
	"GET /": {{what: "home: each role's first page", target: fixed("/"),
		want: statusesOf(see303, see303, see303, see303, see303, see303, see303, toSignIn)}},
	"GET /queue": {{what: "a liaison's requests", target: fixed("/queue"),
		want: statusesOf(nf404, nf404, nf404, nf404, nf404, ok200, ok200, toSignIn)}},
	"GET /checks/:id": {{what: "a requested check's page (probation goes to the release page)",
		target: onCheck(checks.StatusRequested, func(id string) string { return "/checks/" + id }, nil, nil),
		want:   statusesOf(see303, see303, nf404, see303, nf404, ok200, nf404, toSignIn)}},
	"GET /releases": {{what: "probation's releases", target: fixed("/releases"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, nf404, nf404, toSignIn)}},
	"GET /releases/new": {{what: "the form to record a release", target: fixed("/releases/new"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, nf404, nf404, toSignIn)}},
	"GET /releases/:id": {{what: "a release of the team", target: onRelease(func(id string) string { return "/releases/" + id }, nil),
		want: statusesOf(ok200, ok200, nf404, ok200, nf404, nf404, nf404, toSignIn)}},
	"GET /releases/:id/address": {{what: "the form changing a release's address and people",
		target: onRelease(func(id string) string { return "/releases/" + id + "/address" }, nil),
		want:   statusesOf(ok200, ok200, nf404, ok200, nf404, nf404, nf404, toSignIn)}},
	"GET /releases/:id/change": {{what: "the form changing a release's date, agencies and COM",
		target: onRelease(func(id string) string { return "/releases/" + id + "/change" }, nil),
		want:   statusesOf(ok200, ok200, nf404, ok200, nf404, nf404, nf404, toSignIn)}},
	"GET /releases/:id/cancel": {{what: "the form cancelling a release",
		target: onRelease(func(id string) string { return "/releases/" + id + "/cancel" }, nil),
		want:   statusesOf(ok200, ok200, nf404, ok200, nf404, nf404, nf404, toSignIn)}},
	"GET /dashboard": {{what: "what is late", target: fixed("/dashboard"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, nf404, nf404, toSignIn)}},
	"GET /reports/completion.csv": {{what: "completion as CSV", target: fixed("/reports/completion.csv?from=2026-11-01&to=2027-12-31"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, no403, no403, toSignIn)}},
	"GET /reports/agencies.csv": {{what: "agencies as CSV", target: fixed("/reports/agencies.csv?from=2026-11-01&to=2027-12-31"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, no403, no403, toSignIn)}},
	"GET /reports/upcoming.csv": {{what: "upcoming as CSV", target: fixed("/reports/upcoming.csv?within=20"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, no403, no403, toSignIn)}},
	"POST /checks/:id/response": {{what: "the answer form", fresh: true,
		target: onCheck(checks.StatusRequested, func(id string) string { return "/checks/" + id + "/response" }, nil, url.Values{"outcome": {"no_information"}}),
		want:   statusesOf(no403, no403, nf404, no403, nf404, see303, nf404, no403)}},
	"POST /checks/:id/request": {{what: "the request button", fresh: true,
		target: onCheck(checks.StatusRequired, func(id string) string { return "/checks/" + id + "/request" }, nil, url.Values{}),
		want:   statusesOf(no403, see303, nf404, see303, nf404, nf404, nf404, no403)}},
	"POST /checks/:id/complete": {{what: "the completion form", fresh: true,
		target: onCheck(checks.StatusResponded, func(id string) string { return "/checks/" + id + "/complete" }, nil, url.Values{"note": {"Plan updated."}}),
		want:   statusesOf(no403, see303, nf404, see303, nf404, no403, nf404, no403)}},
	"POST /checks/:id/not-required": {{what: "the not-required form", fresh: true,
		target: onCheck(checks.StatusRequired, func(id string) string { return "/checks/" + id + "/not-required" }, nil, url.Values{"reason": {"No children."}}),
		want:   statusesOf(no403, see303, nf404, see303, nf404, nf404, nf404, no403)}},
	"POST /checks/:id/stand-down": {{what: "the stand-down form", fresh: true,
		target: onCheck(checks.StatusRequested, func(id string) string { return "/checks/" + id + "/stand-down" }, nil, url.Values{"reason": {"No longer needed."}}),
		want:   statusesOf(no403, see303, nf404, see303, nf404, no403, nf404, no403)}},
	"POST /checks/:id/extension": {{what: "the liaison's form asking for more time", fresh: true,
		target: onCheck(checks.StatusRequested, func(id string) string { return "/checks/" + id + "/extension" }, nil,
			url.Values{"proposed_date-day": {"15"}, "proposed_date-month": {"12"}, "proposed_date-year": {"2026"}, "extension_note": {"Short of staff."}}),
		want: statusesOf(no403, no403, nf404, no403, nf404, see303, nf404, no403)}},
	"POST /checks/:id/extension/agree": {{what: "the agree-more-time button", fresh: true,
		target: onTimeAsked(func(id string) string { return "/checks/" + id + "/extension/agree" }, nil, url.Values{}),
		want:   statusesOf(no403, see303, nf404, see303, nf404, no403, nf404, no403)}},
	"POST /checks/:id/extension/refuse": {{what: "the refuse-more-time form", fresh: true,
		target: onTimeAsked(func(id string) string { return "/checks/" + id + "/extension/refuse" }, nil, url.Values{"reason": {"Release plan due."}}),
		want:   statusesOf(no403, see303, nf404, see303, nf404, no403, nf404, no403)}},
	"POST /releases/:id/address": {{what: "changing the address and people of a release of the team", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			r := m.release(t, checks.StatusRequired)
			return authzTarget{path: "/releases/" + r.ID + "/address", id: r.ID, form: url.Values{
				"step": {"confirm"}, "version": {strconv.FormatInt(r.Version, 10)}, "police_force": {"E23000001"}, "local_authority": {"E09000001"},
				"address-line-1": {"2 New Road"}, "address-town": {"London"}, "address-postcode": {"EC1A 1BB"},
			}}
		},
		want: statusesOf(see303, see303, nf404, see303, nf404, nf404, nf404, no403)}},
	"GET /answered": {{what: "what a liaison's agency answered", target: fixed("/answered"),
		want: statusesOf(nf404, nf404, nf404, nf404, nf404, ok200, ok200, toSignIn)}},
	"POST /checks/:id/notes": {{what: "a liaison's note on a request", fresh: true,
		target: onCheck(checks.StatusRequested, func(id string) string { return "/checks/" + id + "/notes" }, nil, url.Values{"note": {"We will answer by Friday."}}),
		want:   statusesOf(nf404, nf404, nf404, nf404, nf404, see303, nf404, no403)}},
	"GET /accessibility": {{what: "the accessibility statement, for anyone", target: fixed("/accessibility"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200)}},
	"GET /privacy": {{what: "the privacy notice, for anyone", target: fixed("/privacy"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200)}},
	"GET /cookies": {{what: "the cookies page, for anyone", target: fixed("/cookies"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200)}},
	"POST /releases/:id/request-checks": {{what: "requesting both checks of a release of the team", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			r := m.release(t, checks.StatusRequired)
			return authzTarget{path: "/releases/" + r.ID + "/request-checks", id: r.ID, form: url.Values{}}
		},
		want: statusesOf(no403, see303, nf404, see303, nf404, nf404, nf404, no403)}},
	"POST /releases/:id/change": {{what: "confirming a change of a release of the team", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			r := m.release(t, checks.StatusRequired)
			return authzTarget{path: "/releases/" + r.ID + "/change", id: r.ID, form: url.Values{
				"step": {"confirm"}, "version": {strconv.FormatInt(r.Version, 10)}, "police_force": {"E23000001"}, "local_authority": {"E09000001"}, "com_id": {m.com.ID},
				"release_date-day": {"1"}, "release_date-month": {"3"}, "release_date-year": {"2027"},
			}}
		},
		want: statusesOf(see303, see303, nf404, see303, nf404, nf404, nf404, no403)}},
	"POST /releases/:id/cancel": {{what: "confirming the cancellation of a release of the team", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			r := m.release(t, checks.StatusRequired)
			return authzTarget{path: "/releases/" + r.ID + "/cancel", id: r.ID, form: url.Values{
				"step": {"confirm"}, "version": {strconv.FormatInt(r.Version, 10)}, "cancel_reason": {"Recalled."},
			}}
		},
		want: statusesOf(see303, see303, nf404, see303, nf404, nf404, nf404, no403)}},
	"GET /imports/new": {{what: "the form to upload a release schedule", target: fixed("/imports/new"),
		want: statusesOf(ok200, ok200, ok200, ok200, ok200, nf404, nf404, toSignIn)}},
	"POST /imports/new": {{what: "uploading a release schedule for the team (other teams' rows are rejected on the next page)",
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/imports/new", form: url.Values{}, csv: authzSchedule(m)}
		},
		want: statusesOf(see303, see303, see303, see303, see303, nf404, nf404, no403)}},
	"GET /imports/:id": {{what: "a file the COM uploaded: its own only", target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
		return authzTarget{path: "/imports/" + m.pendingImport(t)}
	}, want: statusesOf(nf404, ok200, nf404, nf404, nf404, nf404, nf404, toSignIn)}},
	"POST /imports/:id": {{what: "confirming a file the COM uploaded: its own only", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/imports/" + m.pendingImport(t), form: url.Values{}}
		},
		want: statusesOf(nf404, ok200, nf404, nf404, nf404, nf404, nf404, no403)}},
	"POST /releases/new": {{what: "recording a release for the team", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/releases/new", form: url.Values{
				"crn": {fmt.Sprintf("W%06d", m.next())}, "noms_number": {"A1234BC"}, "full_name": {"John Smith"}, "prison_code": {"LEI"},
				"police_force": {"E23000001"}, "local_authority": {"E09000001"}, "team": {"N07-T1"}, "com_id": {m.com.ID},
				"address-line-1": {"1 Example Street"}, "address-town": {"London"}, "address-postcode": {"EC1A 1BB"},
				"date_of_birth-day": {"2"}, "date_of_birth-month": {"3"}, "date_of_birth-year": {"1985"},
				"release_date-day": {"15"}, "release_date-month": {"2"}, "release_date-year": {"2027"},
			}}
		},
		want: statusesOf(see303, see303, bad422, see303, bad422, no403, no403, no403)}},

	// The admins' pages: to anyone else "Page not found".
	"GET /admin":           {{what: "the admin's home", target: fixed("/admin"), want: adminPage}},
	"GET /admin/users":     {{what: "the users", target: fixed("/admin/users?q=a"), want: adminPage}},
	"GET /admin/users/new": {{what: "the form adding a user", target: fixed("/admin/users/new"), want: adminPage}},
	"GET /admin/users/:id": {{what: "a user and their tokens", target: func(_ *testing.T, m *authzEnv, _ string) authzTarget {
		return authzTarget{path: "/admin/users/" + m.com.ID}
	}, want: adminPage}},
	"GET /admin/agencies":       {{what: "the agencies", target: fixed("/admin/agencies?missing=true"), want: adminPage}},
	"GET /admin/agencies/:code": {{what: "an agency's form", target: fixed("/admin/agencies/E23000001"), want: adminPage}},
	"GET /admin/outbox":         {{what: "the emails not sent", target: fixed("/admin/outbox"), want: adminPage}},
	"GET /admin/audit":          {{what: "the audit trail", target: fixed("/admin/audit"), want: adminPage}},
	"POST /admin/users/new": {{what: "adding a user", fresh: true,
		target: func(_ *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/admin/users/new", form: url.Values{"name": {"Nia New"}, "email": {fmt.Sprintf("nia%d@example.org", m.next())}, "role": {"com"}, "teams": {"N07-T1"}}}
		},
		want: statusesOf(new201, nf404, nf404, nf404, nf404, nf404, nf404, no403)}},
	"POST /admin/users/:id/deactivate": {{what: "deactivating a user", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/admin/users/" + m.user(t, "com") + "/deactivate", form: url.Values{}}
		},
		want: adminForm}},
	"POST /admin/users/:id/activate": {{what: "reactivating a user", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			id := m.user(t, "com")
			if _, err := m.svc.SetUserActive(context.Background(), checks.System("test"), id, false); err != nil {
				t.Fatal(err)
			}
			return authzTarget{path: "/admin/users/" + id + "/activate", form: url.Values{}}
		},
		want: adminForm}},
	"POST /admin/users/:id/tokens": {{what: "issuing a token",
		target: func(_ *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/admin/users/" + m.com.ID + "/tokens", form: url.Values{"label": {"spare"}}}
		},
		want: statusesOf(new201, nf404, nf404, nf404, nf404, nf404, nf404, no403)}},
	"POST /admin/tokens/:id/revoke": {{what: "revoking a token (even one's own: the page is the admins')", fresh: true, perCaller: true,
		target: func(t *testing.T, m *authzEnv, as string) authzTarget {
			id := m.callers[as].ID
			if id == "" {
				id = m.com.ID
			}
			return authzTarget{path: "/admin/tokens/" + m.spareToken(t, id) + "/revoke", form: url.Values{}}
		},
		want: adminForm}},
	"POST /admin/agencies/:code": {{what: "setting an agency's mailboxes", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			a, err := m.svc.Agency(context.Background(), "E23000001")
			if err != nil {
				t.Fatal(err)
			}
			return authzTarget{path: "/admin/agencies/E23000001", form: url.Values{"version": {strconv.FormatInt(a.Version, 10)},
				"contact_email": {"referrals@met.example.org"}, "escalation_email": {"dci@met.example.org"}, "active": {"true"}}}
		},
		want: adminForm}},
	"POST /admin/outbox/retry": {{what: "retrying every email not sent", target: func(*testing.T, *authzEnv, string) authzTarget {
		return authzTarget{path: "/admin/outbox/retry", form: url.Values{}}
	}, want: adminForm}},
	"POST /admin/outbox/:id/retry": {{what: "retrying a dead email", fresh: true,
		target: func(t *testing.T, m *authzEnv, _ string) authzTarget {
			return authzTarget{path: "/admin/outbox/" + m.email(t, true) + "/retry", form: url.Values{}}
		},
		want: adminForm}},
}

// What the admins' pages and forms answer each caller.
var (
	adminPage = statusesOf(ok200, nf404, nf404, nf404, nf404, nf404, nf404, toSignIn)
	adminForm = statusesOf(see303, nf404, nf404, nf404, nf404, nf404, nf404, no403)
)

func TestEveryRouteAnswersEveryCallerInAndOutOfScopeAsTheMatrixSays(t *testing.T) {
	probe, err := New(nil, testenv.Logger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	engine, ok := probe.(*gin.Engine)
	if !ok {
		t.Fatalf("api.New returned a %T, want a *gin.Engine", probe)
	}
	routed := map[string]bool{}
	for _, r := range engine.Routes() {
		key := r.Method + " " + r.Path
		routed[key] = true
		if len(authzTable[key]) == 0 {
			t.Errorf("%s has no row in the authorisation matrix: add what each caller must get", key)
		}
	}
	for key := range authzTable {
		if !routed[key] {
			t.Errorf("the matrix has a row for %s, which is not routed", key)
		}
	}

	var e *env
	e = newEnvWith(t, nil, func(o *Options) {
		mx := metrics.New(metrics.Sources{
			CountChecks: func(ctx context.Context) ([]checks.CheckCount, int, error) {
				return e.store.CountChecks(ctx, e.svc.Today())
			},
			OutboxCounts: func(ctx context.Context) (map[notify.Status]int, error) { return e.outbox.Counts(ctx) },
			LastRun:      func() (time.Time, time.Duration) { return time.Time{}, 0 },
		})
		o.Metrics, o.Observe = mx.Handler(), mx.ObserveRequest
	})
	f := &fuzzEnv{env: e, client: &http.Client{Timeout: time.Minute}}
	f.comUser, f.policeUser = f.domainUser(t, e.com), f.domainUser(t, e.police)
	m := &authzEnv{fuzzEnv: f, sessions: map[string]*http.Cookie{}, csrf: map[string]string{}, callers: map[string]caller{
		asAdmin: e.admin, asCOM: e.com, asOtherCOM: e.otherCOM, asManager: e.manager, asOtherManager: e.otherManager,
		asLiaison: e.police, asOtherLiaison: e.otherPolice, asNobody: {},
	}}
	for _, as := range authzCallers {
		if as != asNobody {
			m.signIn(t, as)
		}
	}

	calls := 0
	for key, cases := range authzTable {
		if !routed[key] {
			continue
		}
		t.Run(key, func(t *testing.T) { calls += m.row(t, key, cases) })
	}
	t.Logf("%d routes, %d calls", len(routed), calls)
}

// row calls one route as every caller, for each of its cases, and returns how many calls
// it made.
func (m *authzEnv) row(t *testing.T, key string, cases []authzCase) int {
	calls := 0
	{
		method, route, _ := strings.Cut(key, " ")
		isPage := !strings.HasPrefix(route, "/api/") && route != "/healthz" && route != "/readyz" && route != "/metrics"
		for _, c := range cases {
			var shared *authzTarget
			usedUp := false
			for _, as := range authzCallers {
				want, ok := c.want[as]
				if !ok {
					t.Errorf("%s (%s): no status for %s in the matrix", key, c.what, as)
					continue
				}
				if shared == nil || c.perCaller || (c.fresh && usedUp) {
					made := c.target(t, m, as)
					shared = &made
				}
				target := *shared
				usedUp = want != toSignIn && want < 400
				calls++
				var status int
				var location, body string
				if isPage {
					status, location, body = m.callPage(t, method, target, as, key == "POST /sign-out")
				} else {
					status, body = m.callAPI(t, method, target, as)
				}
				got := status
				if status == http.StatusSeeOther && strings.HasPrefix(location, "/sign-in") {
					got = toSignIn
				}
				if got != want {
					t.Errorf("%s %s (%s) as %s: %s, want %s; %s", method, target.path, c.what, as, authzStatus(got), authzStatus(want), clip([]byte(body)))
					continue
				}
				if seen, ok := c.sees[as]; ok && status == http.StatusOK && strings.Contains(body, `"`+target.id+`"`) != seen {
					t.Errorf("%s %s (%s) as %s: the target %s in the list = %v, want %v", method, target.path, c.what, as, target.id, !seen, seen)
				}
			}
		}
	}
	return calls
}

// callAPI sends an API request as the caller, with a client of its own: the matrix is about
// who gets what, and the contract check of http.DefaultClient is the other tests' business.
// Every refusal must still be a problem.
func (m *authzEnv) callAPI(t *testing.T, method string, target authzTarget, as string) (int, string) {
	t.Helper()
	var body io.Reader
	if target.body != nil {
		body = strings.NewReader(fuzzJSON(target.body))
	}
	if target.csv != "" {
		body = strings.NewReader(target.csv)
	}
	req, err := http.NewRequest(method, m.url+target.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if target.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if target.csv != "" {
		req.Header.Set("Content-Type", "text/csv")
	}
	if tok := m.callers[as].Token; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := m.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target.path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if ct := res.Header.Get("Content-Type"); res.StatusCode >= 400 && !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s %s as %s: %d as %q, want application/problem+json", method, target.path, as, res.StatusCode, ct)
	}
	return res.StatusCode, string(b)
}

func authzStatus(s int) string {
	if s == toSignIn {
		return "303 to /sign-in"
	}
	return fmt.Sprint(s)
}

// callPage sends a page request as the caller: its session cookie and, for a form, its CSRF
// token. Signing in and out use a session of their own, so that the caller's stays.
func (m *authzEnv) callPage(t *testing.T, method string, target authzTarget, as string, ownSession bool) (int, string, string) {
	t.Helper()
	session, csrf := m.sessions[as], m.csrf[as]
	if ownSession && as != asNobody {
		keep, keepCSRF := m.sessions[as], m.csrf[as]
		m.signIn(t, as)
		session, csrf = m.sessions[as], m.csrf[as]
		m.sessions[as], m.csrf[as] = keep, keepCSRF
	}
	form := target.form
	if strings.HasPrefix(target.path, "/sign-in") && method == "POST" {
		// The sign-in form's own token, from its cookie.
		page := m.page(t, "GET", "/sign-in?hop=1", nil, nil)
		tok := authzCSRF.FindStringSubmatch(page.body)
		var pre *http.Cookie
		for _, c := range page.cookies {
			if c.Name == signInCookie {
				pre = c
			}
		}
		if tok == nil || pre == nil {
			t.Fatalf("the sign-in form lacks its CSRF token or cookie")
		}
		form.Set("csrf_token", tok[1])
		res := m.page(t, method, target.path, form, pre)
		return res.status, res.location, res.body
	}
	if form != nil && session != nil {
		form = url.Values{}
		for k, v := range target.form {
			form[k] = v
		}
		form.Set("csrf_token", csrf)
	}
	if target.csv != "" {
		res := m.upload(t, target.path, form, target.csv, session)
		return res.status, res.location, res.body
	}
	res := m.page(t, method, target.path, form, session)
	return res.status, res.location, res.body
}

// upload posts a form with a file, as a browser's file upload does (multipart).
func (m *authzEnv) upload(t *testing.T, path string, form url.Values, file string, cookie *http.Cookie) authzPage {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, vs := range form {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	part, err := w.CreateFormFile("file", "schedule.csv")
	if err == nil {
		_, err = part.Write([]byte(file))
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("POST", m.url+path, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	if cookie != nil {
		req.AddCookie(cookie)
	}
	client := &http.Client{Timeout: time.Minute, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return authzPage{res.StatusCode, res.Header.Get("Location"), res.Cookies(), string(b)}
}
