package api

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
)

// unavailableHeading is what the pages say while the database is away.
const unavailableHeading = "Sorry, the service is unavailable"

// wantUnavailablePage fails the test unless the answer is the "service unavailable" page:
// 503, with Retry-After.
func wantUnavailablePage(t *testing.T, what string, res pageReply) {
	t.Helper()
	if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" ||
		!strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || !strings.Contains(res.body, unavailableHeading) {
		t.Errorf("%s: %d %s, Retry-After %q; want the %q page, 503 with Retry-After", what, res.status,
			res.header.Get("Content-Type"), res.header.Get("Retry-After"), unavailableHeading)
	}
}

// connect is a client of the database at uri that gives up finding it within half a second.
func connect(t *testing.T, uri string) *mongo.Client {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(500 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client
}

// csrfOf reads a session's CSRF token from a page (every page's sign-out form carries it).
func (e *env) csrfOf(t *testing.T, session *http.Cookie) string {
	t.Helper()
	res := e.page(t, "GET", "/releases/new", nil, session)
	if m := csrfField.FindStringSubmatch(res.body); m != nil {
		return m[1]
	}
	if res = e.page(t, "GET", "/queue", nil, session); csrfField.MatchString(res.body) {
		return csrfField.FindStringSubmatch(res.body)[1]
	}
	t.Fatalf("no CSRF token on the pages of this session: %d %s", res.status, res.body)
	return ""
}

// While the database is stopped, every page, and every form sent, answers the "service
// unavailable" page with 503 and Retry-After: looking up the session fails that way, and
// so does a signed-in browser's visit to the sign-in page (signing in again would fail
// too).
func TestWhileTheDatabaseIsDownEveryPageAnswersTheUnavailablePage(t *testing.T) {
	db := testenv.StartStoppable(t)
	e := newEnvOn(t, connect(t, db.URI).Database("pages"), nil, nil)
	r := e.createRelease(t, e.com, nil)
	da, cs := checkOf(t, r, "domestic_abuse"), checkOf(t, r, "child_safeguarding")
	e.act(t, e.com, da.ID, "request", asRequest)
	sessions := map[string]*http.Cookie{
		"com": e.signInWithForm(t, e.com.Token), "police": e.signInWithForm(t, e.police.Token),
		"manager": e.signInWithForm(t, e.manager.Token), "admin": e.signInWithForm(t, e.admin.Token),
	}
	csrf := map[string]string{}
	for who, session := range sessions {
		csrf[who] = e.csrfOf(t, session)
	}
	db.Stop(t)

	for _, tc := range []struct {
		name, who, method, path string
		form                    url.Values
	}{
		{"the home page", "com", "GET", "/", nil},
		{"the list of releases", "com", "GET", "/releases", nil},
		{"a release", "com", "GET", "/releases/" + r.ID, nil},
		{"the form to record a release", "manager", "GET", "/releases/new", nil},
		{"recording a release", "com", "POST", "/releases/new", url.Values{"crn": {"X123456"}}},
		{"a check's link opened by probation", "com", "GET", "/checks/" + da.ID, nil},
		{"requesting a check", "com", "POST", "/checks/" + cs.ID + "/request", url.Values{}},
		{"the liaison's queue", "police", "GET", "/queue", nil},
		{"a request opened by its liaison", "police", "GET", "/checks/" + da.ID, nil},
		{"answering a request", "police", "POST", "/checks/" + da.ID + "/response", url.Values{"outcome": {"no_information"}}},
		{"the dashboard", "manager", "GET", "/dashboard", nil},
		{"the admin's home", "admin", "GET", "/admin", nil},
		{"the emails not sent", "admin", "GET", "/admin/outbox", nil},
		{"retrying every email", "admin", "POST", "/admin/outbox/retry", url.Values{}},
		{"adding a user", "admin", "POST", "/admin/users/new", url.Values{"name": {"Nia New"}, "email": {"nia@example.org"}, "role": {"admin"}}},
		{"the audit trail", "admin", "GET", "/admin/audit", nil},
		{"the sign-in page of a signed-in browser", "com", "GET", "/sign-in?hop=1", nil},
		{"signing out", "com", "POST", "/sign-out", url.Values{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.form != nil {
				tc.form.Set("csrf_token", csrf[tc.who])
			}
			wantUnavailablePage(t, tc.method+" "+tc.path, e.page(t, tc.method, tc.path, tc.form, sessions[tc.who]))
		})
	}
}

// The pages name agencies from the directory. When the database does not give the names
// before the request's time is up, the page answers "service unavailable", 503, rather than
// wait past that time and show codes for names. The database is held, not stopped: a
// proxy keeps the directory's query from it.
func TestAPageWhoseAgencyNamesDoNotComeInTimeAnswersTheUnavailablePage(t *testing.T) {
	proxy := testenv.StartDBProxy(t, "")
	name := testenv.DatabaseName(t)
	e := newEnvOn(t, connect(t, proxy.URI(testenv.RealEngine())).Database(name), nil,
		func(o *Options) { o.RequestTimeout = time.Second })
	// Signed in through the service, not the form: no page is shown before the hold, so
	// the names are still to be read.
	_, _, secret, err := e.svc.SignIn(context.Background(), e.police.Token)
	if err != nil {
		t.Fatal(err)
	}
	hold := proxy.Hold(name, "find", "agencies")
	defer hold.Release()

	res := e.page(t, "GET", "/queue", nil, &http.Cookie{Name: sessionCookie, Value: secret})
	wantUnavailablePage(t, "the liaison's queue", res)
}

// A page whose template fails half-way is not sent half-written: the whole answer is the
// error page, 500, with the request id as its reference, and the failure is logged with
// that id, without the page's data. The template fails on data of the wrong shape, given
// by a route added for this test only.
func TestATemplateThatFailsIsAnswered500AndLoggedNotSentHalfWritten(t *testing.T) {
	var logs lockedBuffer
	e := serveEnv(t, nil, nil)
	s, h, err := newServer(e.svc, slog.New(slog.NewJSONHandler(&logs, nil)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.GET("/broken", func(c *gin.Context) {
		s.render(c, http.StatusOK, "release", pageData{Title: "John Smith (X123456)", Data: struct{ Name string }{"John Smith"}})
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	res, err := (&http.Client{}).Get(srv.URL + "/broken")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	id := res.Header.Get("X-Request-ID")
	if res.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), "Sorry, there is a problem with the service") ||
		!strings.Contains(string(body), id) {
		t.Errorf("a failed template answered %d %s, want the error page (500) with reference %s", res.StatusCode, body, id)
	}
	if strings.Contains(string(body), "John Smith") {
		t.Error("the answer holds the half-written page")
	}
	logged := false
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, "John Smith") {
			t.Errorf("a log line holds the page's data: %s", line)
		}
		logged = logged || (strings.Contains(line, `"level":"ERROR"`) && strings.Contains(line, "render the release page") &&
			strings.Contains(line, `"request_id":"`+id+`"`))
	}
	if !logged {
		t.Errorf("the failure is not logged as an error with the request id:\n%s", logs.String())
	}
}

// Signing out keeps the sign-in's audit entry even when it never left the session: the
// database stops just before the sign-in's entry is copied to the audit trail (the
// sign-in stands, its entry pending on the session), comes back, and the browser signs
// out. Both entries are in the audit trail.
func TestSigningOutKeepsASignInEntryThatWasStillPendingOnTheSession(t *testing.T) {
	db := testenv.StartStoppable(t)
	const dbName = "signout"
	cutter := newDBCutter(t, db.URI, dbName)
	e := newEnvOn(t, connect(t, cutter.uri(db.Pooled)).Database(dbName), nil, nil)
	form := e.page(t, "GET", "/sign-in?hop=1", nil)
	pre, m := cookieNamed(form.header, "sg_signin"), csrfField.FindStringSubmatch(form.body)
	if pre == nil || m == nil {
		t.Fatalf("the sign-in form lacks its CSRF token or cookie: %d", form.status)
	}

	// Signing in records the token's first use, writes the session with its entry, then
	// copies the entry: cut before that.
	cutter.arm(3, func() { db.Stop(t) })
	res := e.page(t, "POST", "/sign-in", url.Values{"csrf_token": {m[1]}, "token": {e.com.Token}, "next": {"/"}}, pre)
	if cut, _ := cutter.result(); cut != "insert audit" {
		t.Fatalf("the cut came before %q, want the copy of the sign-in's entry (insert audit)", cut)
	}
	session := cookieNamed(res.header, sessionCookie)
	if res.status != http.StatusSeeOther || session == nil {
		t.Fatalf("sign-in with its entry left pending answered %d without a session: the sign-in should stand", res.status)
	}
	<-cutter.stopped()
	db.Start(t)
	cutter.up()
	waitReady(t, e)

	res = e.page(t, "POST", "/sign-out", url.Values{"csrf_token": {e.csrfOf(t, session)}}, session)
	if res.status != http.StatusSeeOther {
		t.Fatalf("sign-out answered %d %s", res.status, res.body)
	}
	var trail apiList[struct {
		Action string `json:"action"`
	}]
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/audit?resource_id="+checks.HashToken(session.Value), nil), http.StatusOK, &trail)
	var got []string
	for _, entry := range trail.Items {
		got = append(got, entry.Action)
	}
	if !slices.Equal(got, []string{"session.create", "session.end"}) {
		t.Errorf("the session's audit trail is %v, want its sign-in and its sign-out", got)
	}
}

// waitReady waits for the service to find its database again after a restart.
func waitReady(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for e.store.Ping(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the database did not answer again within 30 s of its restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
