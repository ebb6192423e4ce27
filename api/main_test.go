package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

func TestMain(m *testing.M) {
	checkAnswersAgainstTheContract()
	os.Exit(testenv.Main(m))
}

// caller is a user of the service as a client sees it: an id and a bearer token.
type caller struct {
	ID    string
	Email string
	Token string
}

// env is the real service on a fresh database, served over real HTTP, with the clock at
// Tuesday 24 November 2026, 09:00 in London and one user of each kind.
type env struct {
	url    string
	svc    *checks.Service
	store  *store.Store
	clock  *testenv.Clock
	outbox *store.Outbox
	sender *notify.Sender
	smtp   *testenv.SMTPServer

	admin          caller
	com            caller // team N07-T1
	otherCOM       caller // team N08-T2
	manager        caller // teams N07-T1 and N07-T3
	otherManager   caller // team N08-T2
	police         caller // liaison of the Metropolitan Police, E23000001
	otherPolice    caller // liaison of Cumbria Constabulary, E23000002
	childrens      caller // liaison of the City of London's children's services, E09000001
	otherChildrens caller // liaison of Hartlepool's children's services, E06000001
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, nil, nil)
}

// newEnvWith is newEnv logging to log and with the HTTP options changed by opts (either may
// be nil).
func newEnvWith(t *testing.T, log *slog.Logger, opts func(*Options)) *env {
	t.Helper()
	return newEnvOn(t, testenv.Database(t), log, opts)
}

// newEnvOn is newEnvWith on a database of the test's choosing (one it stops, or one it
// reaches through a testenv.DBProxy).
func newEnvOn(t *testing.T, db *mongo.Database, log *slog.Logger, opts func(*Options)) *env {
	t.Helper()
	e := serveEnvOn(t, db, log, opts)
	e.admin = e.user(t, checks.UserInput{Name: "Ada Admin", Email: "ada@example.org", Role: "admin"})
	e.com = e.user(t, checks.UserInput{Name: "Colm Oman", Email: "colm@example.org", Role: "com", Team: "N07-T1"})
	e.otherCOM = e.user(t, checks.UserInput{Name: "Olly Other", Email: "olly@example.org", Role: "com", Team: "N08-T2"})
	e.manager = e.user(t, checks.UserInput{Name: "Mina Manager", Email: "mina@example.org", Role: "manager", Teams: []string{"N07-T1", "N07-T3"}})
	e.otherManager = e.user(t, checks.UserInput{Name: "Otto Manager", Email: "otto@example.org", Role: "manager", Teams: []string{"N08-T2"}})
	e.police = e.user(t, checks.UserInput{Name: "Pat Police", Email: "pat@police.example.org", Role: "liaison", Agency: "E23000001"})
	e.otherPolice = e.user(t, checks.UserInput{Name: "Cal Cumbria", Email: "cal@police.example.org", Role: "liaison", Agency: "E23000002"})
	e.childrens = e.user(t, checks.UserInput{Name: "Chris Childrens", Email: "chris@la.example.org", Role: "liaison", Agency: "E09000001"})
	e.otherChildrens = e.user(t, checks.UserInput{Name: "Hal Hartlepool", Email: "hal@la.example.org", Role: "liaison", Agency: "E06000001"})
	return e
}

// serveEnv starts the service, its outbox and sender, and its HTTP server, with no users.
func serveEnv(tb testing.TB, log *slog.Logger, opts func(*Options)) *env {
	tb.Helper()
	return serveEnvOn(tb, testenv.Database(tb), log, opts)
}

func serveEnvOn(tb testing.TB, db *mongo.Database, log *slog.Logger, opts func(*Options)) *env {
	tb.Helper()
	ctx := context.Background()
	e := &env{clock: testenv.At(tb, "2026-11-24T09:00:00Z")}
	e.store = store.New(db, testenv.Logger())
	deadlines := checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}
	e.svc = checks.NewService(e.store, e.clock, deadlines, testenv.Logger())
	if err := e.svc.Start(ctx); err != nil {
		tb.Fatalf("start service: %v", err)
	}
	e.outbox = store.NewOutbox(db)
	if err := e.outbox.EnsureIndexes(ctx); err != nil {
		tb.Fatalf("outbox: %v", err)
	}
	e.smtp = testenv.StartSMTP(tb)
	mailer := notify.NewSMTPMailer(notify.SMTPConfig{Host: e.smtp.Host, Port: e.smtp.Port, TLS: notify.TLSNone, From: "safeguarding@example.org", Timeout: 5 * time.Second})
	e.sender = notify.NewSender(e.outbox, mailer, e.clock, notify.DefaultSenderConfig(), testenv.Logger())
	esc := notify.NewEscalator(e.store, e.store, e.outbox, notify.Ladder{Thresholds: notify.DefaultThresholds(), Deadlines: deadlines},
		e.clock, "https://safeguarding.example.org", testenv.Logger())
	// The address is known before the options are made: single sign-on's redirect address
	// and the emailed links are made on it.
	srv := httptest.NewUnstartedServer(nil)
	e.url = "http://" + srv.Listener.Addr().String()
	// Token sign-in is off by default; most tests sign in with a token through the form, so
	// their server turns it on (TestTokenSignInIsOffByDefault tests it off).
	o := Options{Ready: e.store.Ping, Escalator: esc, Outbox: e.outbox, Sender: e.sender, BaseURL: e.url, TokenSignIn: true,
		SignInLinks: notify.NewSignInLinks(e.outbox, e.sender, e.clock)}
	if opts != nil {
		opts(&o)
	}
	if log == nil {
		log = testenv.Logger()
	}
	h, err := New(e.svc, log, o)
	if err != nil {
		tb.Fatalf("api.New: %v", err)
	}
	srv.Config.Handler = h
	srv.Start()
	tb.Cleanup(srv.Close)
	return e
}

// user creates a user through the service (as the command line does) and keeps its token.
func (e *env) user(t *testing.T, in checks.UserInput) caller {
	t.Helper()
	u, secret, err := e.svc.CreateUser(context.Background(), checks.System("test"), in)
	if err != nil {
		t.Fatalf("create user %s: %v", in.Email, err)
	}
	return caller{ID: u.ID, Email: u.Email, Token: secret}
}

// reply is an HTTP answer, read whole.
type reply struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func (r *reply) String() string {
	return fmt.Sprintf("%s %s: %d %s", r.method, r.path, r.status, r.body)
}

// raw is a request body sent exactly as given, with Content-Type application/json unless a
// header says otherwise.
type raw string

// do sends a request to the service. token may be empty (no Authorization header); body is
// nil (no body), a raw (sent as is) or any value (sent as JSON); headers are name, value
// pairs, and a header given an empty value is left out.
func (e *env) do(t *testing.T, token, method, path string, body any, headers ...string) *reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case raw:
		rd = strings.NewReader(string(b))
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("marshal request body: %v", err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if len(headers)%2 != 0 {
		t.Fatalf("headers must come in name, value pairs: %q", headers)
	}
	for i := 0; i < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	r := &reply{method: method, path: path, status: res.StatusCode, header: res.Header, body: data}
	if r.status >= 500 {
		t.Errorf("the service answered a server error: %s", r)
	}
	return r
}

// want fails the test unless the answer has the status, and decodes its JSON body into v
// (when v is not nil).
func want(t *testing.T, r *reply, status int, v any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, r.status, status, r.body)
	}
	if v == nil {
		return
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s %s: decode body %s: %v", r.method, r.path, r.body, err)
	}
}

// The JSON the clients see, as the contract in issue 2 names it. These are the tests' own
// types, so that a renamed field in the API breaks a test.

type apiRelease struct {
	ID             string     `json:"id"`
	CRN            string     `json:"crn"`
	NOMSNumber     string     `json:"noms_number"`
	FullName       string     `json:"full_name"`
	DateOfBirth    string     `json:"date_of_birth"`
	ReleaseDate    string     `json:"release_date"`
	PrisonCode     string     `json:"prison_code"`
	Team           string     `json:"team"`
	COMID          string     `json:"com_id"`
	PoliceForce    string     `json:"police_force"`
	LocalAuthority string     `json:"local_authority"`
	Status         string     `json:"status"`
	Checks         []apiCheck `json:"checks"`
	Version        int64      `json:"version"`
}

type apiCheck struct {
	ID          string `json:"id"`
	ReleaseID   string `json:"release_id"`
	Type        string `json:"type"`
	Agency      string `json:"agency"`
	Status      string `json:"status"`
	RequestBy   string `json:"request_by"`
	RequestedAt string `json:"requested_at"`
	DueDate     string `json:"due_date"`
	Response    *struct {
		Outcome     string `json:"outcome"`
		Summary     string `json:"summary"`
		RespondedAt string `json:"responded_at"`
		RespondedBy string `json:"responded_by"`
	} `json:"response"`
	CompletedAt    string `json:"completed_at"`
	CompletionNote string `json:"completion_note"`
	History        []struct {
		ActorID string `json:"actor_id"`
		Role    string `json:"role"`
		Action  string `json:"action"`
	} `json:"history"`
	Release struct {
		CRN         string `json:"crn"`
		FullName    string `json:"full_name"`
		DateOfBirth string `json:"date_of_birth"`
		ReleaseDate string `json:"release_date"`
	} `json:"release"`
	Version int64 `json:"version"`
}

type apiList[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

type apiUser struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Email  string   `json:"email"`
	Role   string   `json:"role"`
	Team   string   `json:"team"`
	Teams  []string `json:"teams"`
	Agency string   `json:"agency"`
	Active bool     `json:"active"`
	Token  string   `json:"token"`
}

type apiToken struct {
	ID        string  `json:"id"`
	UserID    string  `json:"user_id"`
	Label     string  `json:"label"`
	RevokedAt *string `json:"revoked_at"`
	Token     string  `json:"token"`
}

type apiAgency struct {
	Code            string `json:"code"`
	Name            string `json:"name"`
	Kind            string `json:"kind"`
	ContactEmail    string `json:"contact_email"`
	EscalationEmail string `json:"escalation_email"`
	Active          bool   `json:"active"`
	Version         int64  `json:"version"`
}

type apiProblem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
	CurrentStatus string `json:"current_status"`
}

// wantProblem fails the test unless the answer is an application/problem+json problem with
// the status, every member a client relies on, and (when field is not empty) an entry in
// errors naming field with a reason.
func wantProblem(t *testing.T, r *reply, status int, field string) apiProblem {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d; body %s", r.method, r.path, r.status, status, r.body)
	}
	if mt, _, err := mime.ParseMediaType(r.header.Get("Content-Type")); err != nil || mt != "application/problem+json" {
		t.Errorf("%s %s: Content-Type %q, want application/problem+json", r.method, r.path, r.header.Get("Content-Type"))
	}
	var p apiProblem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("%s %s: problem body %s: %v", r.method, r.path, r.body, err)
	}
	if p.Status != status {
		t.Errorf("problem status = %d, want %d (the HTTP status)", p.Status, status)
	}
	if p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("problem lacks type, title or detail: %s", r.body)
	}
	wantInstance, _, _ := strings.Cut(r.path, "?")
	if unescaped, err := url.PathUnescape(wantInstance); err == nil && p.Instance == unescaped {
		wantInstance = unescaped
	}
	if p.Instance != wantInstance {
		t.Errorf("problem instance = %q, want the request path %q", p.Instance, wantInstance)
	}
	if p.RequestID == "" || p.RequestID != r.header.Get("X-Request-ID") {
		t.Errorf("problem request_id = %q, want the X-Request-ID header %q", p.RequestID, r.header.Get("X-Request-ID"))
	}
	if field != "" && !p.hasField(field) {
		t.Errorf("problem errors %+v do not name the field %q", p.Errors, field)
	}
	for _, f := range p.Errors {
		if f.Field == "" || f.Reason == "" {
			t.Errorf("problem error without a field or a reason: %+v", f)
		}
	}
	return p
}

func (p apiProblem) hasField(field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

// validRelease is a release the COM's team can record: released Monday 15 February 2027, to
// an address in the Metropolitan Police area and the City of London.
func validRelease() map[string]any {
	return map[string]any{
		"crn": "X123456", "noms_number": "A1234BC", "full_name": "John Smith", "date_of_birth": "1985-03-02",
		"release_date": "2027-02-15", "prison_code": "LEI", "police_force": "E23000001", "local_authority": "E09000001",
		"address": map[string]any{"line_1": "1 Example Street", "town": "London", "postcode": "EC1A 1BB"},
	}
}

// createRelease records a release as the caller, with the given fields changed from
// validRelease.
func (e *env) createRelease(t *testing.T, as caller, changes map[string]any) apiRelease {
	t.Helper()
	body := validRelease()
	for k, v := range changes {
		body[k] = v
	}
	var r apiRelease
	want(t, e.do(t, as.Token, "POST", "/api/v1/releases", body), http.StatusCreated, &r)
	if len(r.Checks) != 2 {
		t.Fatalf("created release has %d checks, want 2", len(r.Checks))
	}
	return r
}

// checkOf returns the check of type typ of release r.
func checkOf(t *testing.T, r apiRelease, typ string) apiCheck {
	t.Helper()
	for _, c := range r.Checks {
		if c.Type == typ {
			return c
		}
	}
	t.Fatalf("release %s has no %s check", r.ID, typ)
	return apiCheck{}
}

// getCheck reads a check as the caller, failing the test unless it is answered.
func (e *env) getCheck(t *testing.T, as caller, id string) apiCheck {
	t.Helper()
	var c apiCheck
	want(t, e.do(t, as.Token, "GET", "/api/v1/checks/"+id, nil), http.StatusOK, &c)
	return c
}

// act takes a transition on a check as the caller and fails the test unless it succeeds.
func (e *env) act(t *testing.T, as caller, id, action string, body any) apiCheck {
	t.Helper()
	var c apiCheck
	want(t, e.do(t, as.Token, "POST", "/api/v1/checks/"+id+"/"+action, body), http.StatusOK, &c)
	return c
}

// The transitions' bodies.
var (
	asRequest  = map[string]any{"note": "sent by secure email"}
	asResponse = map[string]any{"outcome": "information_held", "summary": "Two call-outs to the address in 2024."}
	asComplete = map[string]any{"note": "Risk plan updated: no contact condition added."}
	asReason   = map[string]any{"reason": "No children in the household and none expected."}
	asNote     = map[string]any{"note": "Asked for five more working days."}
)

// listAll follows next_cursor from path (which already has its query) and returns every
// item, failing the test if a page does not answer 200.
func listAll[T any](t *testing.T, e *env, as caller, path string) []T {
	t.Helper()
	var all []T
	next := path
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("%s: more than 100 pages: the cursor does not advance", path)
		}
		var page apiList[T]
		want(t, e.do(t, as.Token, "GET", next, nil), http.StatusOK, &page)
		if page.Items == nil {
			t.Fatalf("GET %s: items is null or missing, want an array", next)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		next = path + sep + "cursor=" + page.NextCursor
	}
}

// userInput is a new user of the role, in team N07-T1 (COM, manager) or agency E23000001
// (liaison).
func userInput(email, role string) checks.UserInput {
	in := checks.UserInput{Name: "Test " + role, Email: email, Role: role}
	switch role {
	case "com":
		in.Team = "N07-T1"
	case "manager":
		in.Teams = []string{"N07-T1"}
	case "liaison":
		in.Agency = "E23000001"
	}
	return in
}
