package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

// Fuzz tests of every request body: each sends what the fuzzer makes, as the body of a real
// request, to the real service on the embedded database, and holds the answer to its rules:
// never a server error (5xx), every client error (4xx) an application/problem+json problem
// whose status is the HTTP status, and every success JSON. Each target builds one service
// for all its inputs. The seeds (and testdata/fuzz) run with go test ./..., as does
// TestTrickyBodiesGetNoServerErrorAndEveryRefusalIsAProblem, which holds every target to the
// same rules over a wider fixed set of tricky bodies; .ci/fuzz-short fuzzes each target
// briefly.
//
// The requests go through a client of their own, not http.DefaultClient: that one checks
// every exchange against the OpenAPI document and would refuse malformed requests before
// they reach the service.

// fuzzEnv is the service of newEnvWith, built for any testing.TB (newEnv wants a *testing.T,
// which a fuzz target does not have), with the domain users of the callers at hand.
type fuzzEnv struct {
	*env
	client *http.Client
	// The callers as the domain sees them, to set up state through the service directly.
	comUser, policeUser checks.User
	serial              int
}

func newFuzzEnv(tb testing.TB) *fuzzEnv {
	tb.Helper()
	e := serveEnv(tb, nil, nil)

	f := &fuzzEnv{env: e, client: &http.Client{Timeout: time.Minute}}
	e.admin = f.user(tb, checks.UserInput{Name: "Ada Admin", Email: "ada@example.org", Role: "admin"})
	e.com = f.user(tb, checks.UserInput{Name: "Colm Oman", Email: "colm@example.org", Role: "com", Team: "N07-T1"})
	e.manager = f.user(tb, checks.UserInput{Name: "Mina Manager", Email: "mina@example.org", Role: "manager", Teams: []string{"N07-T1", "N07-T3"}})
	e.police = f.user(tb, checks.UserInput{Name: "Pat Police", Email: "pat@police.example.org", Role: "liaison", Agency: "E23000001"})
	e.childrens = f.user(tb, checks.UserInput{Name: "Chris Childrens", Email: "chris@la.example.org", Role: "liaison", Agency: "E09000001"})
	f.comUser = f.domainUser(tb, e.com)
	f.policeUser = f.domainUser(tb, e.police)
	return f
}

func (f *fuzzEnv) user(tb testing.TB, in checks.UserInput) caller {
	tb.Helper()
	u, secret, err := f.svc.CreateUser(context.Background(), checks.System("test"), in)
	if err != nil {
		tb.Fatalf("create user %s: %v", in.Email, err)
	}
	return caller{ID: u.ID, Email: u.Email, Token: secret}
}

func (f *fuzzEnv) domainUser(tb testing.TB, c caller) checks.User {
	tb.Helper()
	u, err := f.svc.Authenticate(context.Background(), c.Token)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// release records a new release of the COM's team and brings its domestic abuse check to
// state (required, requested or responded). Each has its own CRN.
func (f *fuzzEnv) release(tb testing.TB, state checks.Status) checks.Release {
	tb.Helper()
	return f.releaseOn(tb, state, "2027-02-15")
}

// releaseOn is release, on the release date given.
func (f *fuzzEnv) releaseOn(tb testing.TB, state checks.Status, date string) checks.Release {
	tb.Helper()
	ctx := context.Background()
	f.serial++
	r, err := f.svc.CreateRelease(ctx, f.comUser, checks.ReleaseInput{
		CRN: fmt.Sprintf("F%06d", f.serial), NOMSNumber: "A1234BC", FullName: "John Smith", DateOfBirth: "1985-03-02",
		ReleaseDate: date, PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
		Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"},
	})
	if err != nil {
		tb.Fatalf("set up a release: %v", err)
	}
	da := fuzzCheckOf(tb, r, checks.TypeDomesticAbuse)
	if state == checks.StatusRequested || state == checks.StatusResponded {
		if _, err := f.svc.RequestCheck(ctx, f.comUser, da.ID, nil, ""); err != nil {
			tb.Fatalf("set up: request: %v", err)
		}
	}
	if state == checks.StatusResponded {
		if _, err := f.svc.RespondToCheck(ctx, f.policeUser, da.ID, nil, checks.ResponseInput{Outcome: "no_information"}); err != nil {
			tb.Fatalf("set up: respond: %v", err)
		}
	}
	return r
}

// fuzzRotation says when a target's resource is to be replaced by a fresh one: a success
// may have moved it on (a requested check answers 409 to the next request), and notes and
// patches make its documents grow. Validation comes before any of that, so the resource is
// replaced only now and then, to keep both the success path in reach and the database small
// (on the embedded server most writes scan their collection).
type fuzzRotation struct{ inputs, successes int }

func (r *fuzzRotation) due(succeeded ...bool) bool {
	r.inputs++
	for _, ok := range succeeded {
		if ok {
			r.successes++
		}
	}
	if r.successes > 0 && (r.inputs >= 100 || r.successes >= 50) {
		*r = fuzzRotation{}
		return true
	}
	return false
}

func fuzzCheckOf(tb testing.TB, r checks.Release, typ checks.CheckType) checks.Check {
	tb.Helper()
	for _, c := range r.Checks {
		if c.Type == typ {
			return c
		}
	}
	tb.Fatalf("release %s has no %s check", r.ID, typ)
	return checks.Check{}
}

// send sends body as it is, with contentType (no Content-Type header when empty), as who,
// and holds the answer to the rules. It returns the status.
func (f *fuzzEnv) send(t *testing.T, who caller, method, path string, body []byte, contentType string) int {
	t.Helper()
	req, err := http.NewRequest(method, f.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+who.Token)
	res, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s with body %q (Content-Type %q): no answer: %v", method, path, body, contentType, err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	what := func() string {
		return fmt.Sprintf("%s %s with body %q (Content-Type %q) answered %d %s %s", method, path, fuzzClip(body), contentType,
			res.StatusCode, res.Header.Get("Content-Type"), fuzzClip(answer))
	}
	switch {
	case res.StatusCode >= 500:
		t.Fatalf("server error: %s", what())
	case res.StatusCode >= 400:
		mt, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
		if err != nil || mt != "application/problem+json" {
			t.Fatalf("a client error that is not application/problem+json: %s", what())
		}
		var p apiProblem
		if err := json.Unmarshal(answer, &p); err != nil || p.Status != res.StatusCode || p.Type == "" || p.Title == "" {
			t.Fatalf("a problem without its type, title or the HTTP status: %s", what())
		}
	case res.StatusCode >= 200 && res.StatusCode < 300:
		if !json.Valid(answer) {
			t.Fatalf("a success that is not JSON: %s", what())
		}
	default:
		t.Fatalf("unexpected status: %s", what())
	}
	return res.StatusCode
}

func fuzzClip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// fuzzHeaderSafe drops the bytes a client may not send in a header value (controls other than
// tab): the fuzzer may make them, and Go's client refuses them before the service sees them.
func fuzzHeaderSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// A body target: the body type of one or more endpoints, with what to seed its fuzzing
// with, the fields to try tricky values in, and how to send one input.
type fuzzBodyTarget struct {
	// seeds are a few bodies of this type, the first a valid one; the fuzzer starts from
	// them and a handful of malformed ones.
	seeds []string
	// base is a valid body that tricky values replace one field of at a time; nil when a
	// body with that field alone is as good (every field optional, or only one).
	base   map[string]any
	fields []string
	// start builds the service and returns what sends one input (body, Content-Type).
	start func(tb testing.TB) func(t *testing.T, body []byte, contentType string)
}

// fuzzMalformed are bodies every target is tried with: empty, not an object, not JSON, two
// values, a byte-order mark, odd keys, nesting past the decoder's depth limit, too big.
var fuzzMalformed = []string{
	"", " ", "\n", "null", "true", "0", `""`, "[]", "[{}]", "{}", "{", "}", `{"`, `{"a"}`, `{"a":}`,
	`{} {}`, `{}x`, `{}]`, "\xef\xbb\xbf{}", `{"":1}`, `{"\u0000":1}`, "{\"\xff\":1}",
	`[` + strings.Repeat("[", 12000) + strings.Repeat("]", 12000) + `]`,
	`{"x":` + strings.Repeat(`{"x":`, 11000) + `1` + strings.Repeat("}", 11001),
	`{"note":` + strings.Repeat("[", 11000) + strings.Repeat("]", 11000) + `}`,
	`{"note":"` + strings.Repeat("a", maxBody) + `"}`,
}

// fuzzMediaTypes are Content-Types other than application/json.
var fuzzMediaTypes = []string{"", "application/json; charset=utf-8", "application/problem+json", "APPLICATION/JSON",
	"text/plain", "application/json; charset=\"", "application/x-www-form-urlencoded", "*/*", "application/", ";"}

// fuzzStrings are values worth trying in any string field.
var fuzzStrings = []string{
	"", " ", "\u0000", "\t\n", "\u00a0X123456\u2028", "ı123456", "ſ123456", "x123456", "X1234567", "Ｘ１２３４５６",
	"\\ud800", "\U0001F600", strings.Repeat("é", 1000), strings.Repeat("a", 1001), "<script>", "'; db.dropDatabase(); '",
	"$where", "{\"$gt\":\"\"}", "9999-12-31", "0000-01-01", "2026-02-29", "2028-02-29", "2027-13-01", "2027-02-15T00:00:00Z",
	"+2027-02-15", "2027-2-15", "E23000001 ", "e23000001", "E09000001", "E2300000１", "W15000001",
	"a@b", "a@example.org", "A@Example.ORG", "\"a b\"@example.org", "<a@example.org>", "a@example.org, b@example.org",
}

// fuzzNonStrings are JSON values of other types, and broken strings, worth trying in any field.
var fuzzNonStrings = []string{"1", "1e999", "-0", "true", "null", "[]", `["a"]`, "{}", `"\ud800"`, `"\u0000"`}

// tricky returns the bodies the target is tried with in go test: every malformed body, each
// tricky value in each field, a field's name in capitals, a field given twice, and the
// first seed with every other media type.
func (b fuzzBodyTarget) tricky() [][2]string {
	var out [][2]string
	add := func(body, ct string) { out = append(out, [2]string{body, ct}) }
	for _, m := range append(fuzzMalformed, b.seeds...) {
		add(m, "application/json")
	}
	for _, ct := range fuzzMediaTypes {
		add("{}", ct)
		add(b.seeds[0], ct)
	}
	for _, field := range b.fields {
		var values []string
		for _, v := range fuzzStrings {
			values = append(values, fuzzJSON(v))
		}
		values = append(values, fuzzNonStrings...)
		for _, v := range values {
			if b.base == nil {
				add(`{"`+field+`":`+v+`}`, "application/json")
				continue
			}
			body := map[string]json.RawMessage{}
			for k, bv := range b.base {
				body[k] = json.RawMessage(fuzzJSON(bv))
			}
			body[field] = json.RawMessage(v)
			add(fuzzJSON(body), "application/json")
		}
		add(`{"`+strings.ToUpper(field)+`":"x"}`, "application/json")
		add(`{"`+field+`":"a","`+field+`":"b"}`, "application/json")
	}
	return out
}

// fuzz runs the target under the fuzzer: its seeds, a few malformed bodies and media types,
// and one service for every input.
func (b fuzzBodyTarget) fuzz(f *testing.F) {
	for _, s := range append([]string{"", "null", "[]", "{", `{} {}`, `{"":1}`, `{"x":{"x":{"x":1}}}`}, b.seeds...) {
		f.Add([]byte(s), "application/json")
	}
	for _, ct := range []string{"", "text/plain", "application/json; charset=\""} {
		f.Add([]byte(b.seeds[0]), ct)
	}
	send := b.start(f)
	f.Fuzz(send)
}

func fuzzJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// The body targets, one per body type of the API.
var (
	fuzzCreateRelease = fuzzBodyTarget{
		seeds: []string{fuzzJSON(validRelease()),
			`{"crn":"y123456","noms_number":"b1234cd","full_name":"Jane Smith","date_of_birth":"1990-01-01","release_date":"2027-03-01",` +
				`"prison_code":"man","team":"N07-T1","police_force":"e23000002","local_authority":"e06000001",` +
				`"address":{"line_1":"2 Example Road","town":"Manchester","postcode":"m1 1ae"},"people":[{"name":"Sam Smith","relationship":"partner","lives_there":true}]}`},
		base: func() map[string]any { b := validRelease(); b["crn"] = "Z654321"; return b }(),
		fields: []string{"crn", "noms_number", "full_name", "date_of_birth", "release_date", "prison_code", "team", "com_id",
			"police_force", "local_authority"},
		start: func(tb testing.TB) func(*testing.T, []byte, string) {
			e := newFuzzEnv(tb)
			return func(t *testing.T, body []byte, contentType string) {
				contentType = fuzzHeaderSafe(contentType)
				// A COM's team is its own; an admin must name team and COM.
				e.send(t, e.com, "POST", "/api/v1/releases", body, contentType)
				e.send(t, e.admin, "POST", "/api/v1/releases", body, contentType)
			}
		},
	}
	fuzzPatchRelease = fuzzBodyTarget{
		seeds: []string{`{"prison_code":"MAN"}`, `{"release_date":"2027-03-01"}`, `{"police_force":"E23000002"}`,
			`{"local_authority":"E06000001"}`, `{"team":"N07-T3"}`, `{"team":""}`, `{"com_id":""}`, `{"release_date":null}`,
			`{"release_date":"2027-03-01","prison_code":"man","police_force":"e23000002","local_authority":"e06000001"}`},
		fields: []string{"release_date", "prison_code", "team", "com_id", "police_force", "local_authority"},
		start: func(tb testing.TB) func(*testing.T, []byte, string) {
			e := newFuzzEnv(tb)
			r := e.release(tb, checks.StatusRequired)
			var rotation fuzzRotation
			return func(t *testing.T, body []byte, contentType string) {
				if rotation.due(e.send(t, e.com, "PATCH", "/api/v1/releases/"+r.ID, body, fuzzHeaderSafe(contentType)) < 300) {
					r = e.release(t, checks.StatusRequired)
				}
			}
		},
	}
	fuzzReason = fuzzBodyTarget{
		seeds: []string{`{"reason":"No children in the household and none expected."}`, `{"reason":""}`,
			`{"reason":"` + strings.Repeat("r", 1000) + `"}`, `{"reason":"` + strings.Repeat("r", 1001) + `"}`, `{"reason":"a\u0007"}`},
		fields: []string{"reason"},
		start: func(tb testing.TB) func(*testing.T, []byte, string) {
			e := newFuzzEnv(tb)
			r := e.release(tb, checks.StatusRequired)
			var rotation fuzzRotation
			return func(t *testing.T, body []byte, contentType string) {
				contentType = fuzzHeaderSafe(contentType)
				// Cancelling takes an optional reason; marking a check not required needs one.
				cancelled := e.send(t, e.com, "POST", "/api/v1/releases/"+r.ID+"/cancel", body, contentType) < 300
				cs := fuzzCheckOf(t, r, checks.TypeChildSafeguarding).ID
				notRequired := e.send(t, e.com, "POST", "/api/v1/checks/"+cs+"/not-required", body, contentType) < 300
				if rotation.due(cancelled, notRequired) {
					r = e.release(t, checks.StatusRequired)
				}
			}
		},
	}
	fuzzNote = fuzzBodyTarget{
		seeds: []string{`{"note":"sent by secure email"}`, `{"note":""}`, `{"note":"   "}`, `{"note":"\u0007"}`,
			`{"note":"` + strings.Repeat("n", 1000) + `"}`, `{"note":"` + strings.Repeat("é", 1001) + `"}`},
		fields: []string{"note"},
		start: func(tb testing.TB) func(*testing.T, []byte, string) {
			e := newFuzzEnv(tb)
			required, responded := e.release(tb, checks.StatusRequired), e.release(tb, checks.StatusResponded)
			var rotateRequired, rotateResponded fuzzRotation
			return func(t *testing.T, body []byte, contentType string) {
				contentType = fuzzHeaderSafe(contentType)
				// A request takes an optional note; a note and a completion need one.
				da := fuzzCheckOf(t, required, checks.TypeDomesticAbuse).ID
				cs := fuzzCheckOf(t, required, checks.TypeChildSafeguarding).ID
				requested := e.send(t, e.com, "POST", "/api/v1/checks/"+da+"/request", body, contentType) < 300
				noted := e.send(t, e.com, "POST", "/api/v1/checks/"+cs+"/notes", body, contentType) < 300
				if rotateRequired.due(requested, noted) {
					required = e.release(t, checks.StatusRequired)
				}
				done := fuzzCheckOf(t, responded, checks.TypeDomesticAbuse).ID
				if rotateResponded.due(e.send(t, e.com, "POST", "/api/v1/checks/"+done+"/complete", body, contentType) < 300) {
					responded = e.release(t, checks.StatusResponded)
				}
			}
		},
	}
	fuzzResponse = fuzzBodyTarget{
		seeds: []string{`{"outcome":"information_held","summary":"Two call-outs to the address in 2024."}`,
			`{"outcome":"no_information"}`, `{"outcome":"declined","summary":" "}`, `{"outcome":"INFORMATION_HELD","summary":"x"}`,
			`{"outcome":"information_held","summary":"` + strings.Repeat("s", 1001) + `"}`, `{"summary":"x"}`},
		base:   map[string]any{"outcome": "information_held", "summary": "Two call-outs to the address in 2024."},
		fields: []string{"outcome", "summary"},
		start: func(tb testing.TB) func(*testing.T, []byte, string) {
			e := newFuzzEnv(tb)
			r := e.release(tb, checks.StatusRequested)
			var rotation fuzzRotation
			return func(t *testing.T, body []byte, contentType string) {
				da := fuzzCheckOf(t, r, checks.TypeDomesticAbuse).ID
				if rotation.due(e.send(t, e.police, "POST", "/api/v1/checks/"+da+"/response", body, fuzzHeaderSafe(contentType)) < 300) {
					r = e.release(t, checks.StatusRequested)
				}
			}
		},
	}
	fuzzCreateUser = fuzzBodyTarget{
		seeds: []string{
			`{"name":"Nia New","email":"nia@example.org","role":"manager","teams":["N07-T1"]}`,
			`{"name":"Con New","email":"con@example.org","role":"com","team":"N07-T1"}`,
			`{"name":"Lia New","email":"lia@example.org","role":"liaison","agency":"e23000001"}`,
			`{"name":"Adm New","email":"adm@example.org","role":"admin"}`,
			`{"name":"X","email":"x@example.org","role":"com","team":"N07-T1","teams":["N07-T2"]}`,
			`{"name":"X","email":"x@example.org","role":"manager","teams":["a","a","b",1]}`,
			`{"name":"X","email":"x@example.org","role":"manager","teams":"N07-T1"}`,
			`{"name":"X","email":"ADA@example.org","role":"admin"}`,
		},
		base:   map[string]any{"name": "Nia New", "email": "nia@example.org", "role": "manager", "teams": []string{"N07-T1"}},
		fields: []string{"name", "email", "role", "team", "teams", "agency"},
		start: func(tb testing.TB) func(*testing.T, []byte, string) {
			e := newFuzzEnv(tb)
			return func(t *testing.T, body []byte, contentType string) {
				e.send(t, e.admin, "POST", "/api/v1/users", body, fuzzHeaderSafe(contentType))
			}
		},
	}
	fuzzIssueToken = fuzzBodyTarget{
		seeds:  []string{`{"label":"laptop"}`, `{"label":""}`, `{"label":"` + strings.Repeat("l", 201) + `"}`, `{"label":"\u001b[31m"}`},
		fields: []string{"label"},
		start: func(tb testing.TB) func(*testing.T, []byte, string) {
			e := newFuzzEnv(tb)
			return func(t *testing.T, body []byte, contentType string) {
				e.send(t, e.admin, "POST", "/api/v1/users/"+e.com.ID+"/tokens", body, fuzzHeaderSafe(contentType))
			}
		},
	}
	fuzzPatchAgency = fuzzBodyTarget{
		seeds: []string{`{"contact_email":"referrals@met.example.org","escalation_email":"dci@met.example.org","active":true}`,
			`{"escalation_email":""}`, `{"active":false}`, `{"active":"true"}`, `{"contact_email":null}`,
			`{"contact_email":"` + strings.Repeat("a", 250) + `@example.org"}`},
		fields: []string{"contact_email", "escalation_email", "active"},
		start: func(tb testing.TB) func(*testing.T, []byte, string) {
			e := newFuzzEnv(tb)
			return func(t *testing.T, body []byte, contentType string) {
				e.send(t, e.admin, "PATCH", "/api/v1/agencies/E23000001", body, fuzzHeaderSafe(contentType))
			}
		},
	}
	fuzzEscalationRun = fuzzBodyTarget{
		// No as_of far from now among the seeds: a run as of year 9999 takes seconds (the
		// ladder walks the calendar day by day), past the fuzzer's 10 s limit for an input.
		seeds: []string{`{"as_of":"2026-11-24T09:30:00Z","dry_run":true}`, `{"dry_run":false}`, `{"as_of":"2027-02-20T07:00:00Z"}`,
			`{"as_of":"2027-01-04T07:00:00.999999999+01:00"}`, `{"as_of":"2027-01-04"}`, `{"as_of":"monday"}`, `{"dry_run":"yes"}`},
		fields: []string{"as_of", "dry_run"},
		start: func(tb testing.TB) func(*testing.T, []byte, string) {
			e := newFuzzEnv(tb)
			// Open checks in each state, for the ladder to look at.
			e.release(tb, checks.StatusRequired)
			e.release(tb, checks.StatusRequested)
			e.release(tb, checks.StatusResponded)
			return func(t *testing.T, body []byte, contentType string) {
				e.send(t, e.admin, "POST", "/api/v1/escalations/run", body, fuzzHeaderSafe(contentType))
			}
		},
	}
)

func FuzzCreateReleaseBody(f *testing.F) { fuzzCreateRelease.fuzz(f) }
func FuzzPatchReleaseBody(f *testing.F)  { fuzzPatchRelease.fuzz(f) }
func FuzzReasonBody(f *testing.F)        { fuzzReason.fuzz(f) }
func FuzzNoteBody(f *testing.F)          { fuzzNote.fuzz(f) }
func FuzzResponseBody(f *testing.F)      { fuzzResponse.fuzz(f) }
func FuzzCreateUserBody(f *testing.F)    { fuzzCreateUser.fuzz(f) }
func FuzzIssueTokenBody(f *testing.F)    { fuzzIssueToken.fuzz(f) }
func FuzzPatchAgencyBody(f *testing.F)   { fuzzPatchAgency.fuzz(f) }
func FuzzEscalationRunBody(f *testing.F) { fuzzEscalationRun.fuzz(f) }

// TestTrickyBodiesGetNoServerErrorAndEveryRefusalIsAProblem sends every body target the
// tricky bodies of go test: the fuzzer's rules, over a wider fixed set than its seeds (the
// fuzzer measures coverage of every seed before it starts, and the service is slow to
// measure, so its seeds are few).
func TestTrickyBodiesGetNoServerErrorAndEveryRefusalIsAProblem(t *testing.T) {
	targets := map[string]fuzzBodyTarget{
		"create release": fuzzCreateRelease, "patch release": fuzzPatchRelease, "reason": fuzzReason, "note": fuzzNote,
		"response": fuzzResponse, "create user": fuzzCreateUser, "issue token": fuzzIssueToken, "patch agency": fuzzPatchAgency,
		"escalation run": fuzzEscalationRun,
	}
	for name, target := range targets {
		t.Run(name, func(t *testing.T) {
			send := target.start(t)
			for _, in := range target.tricky() {
				send(t, []byte(in[0]), in[1])
			}
		})
	}
}
