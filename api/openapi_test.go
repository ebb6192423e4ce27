package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/metrics"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
)

// The contract: api/openapi.json describes every route, body, answer and error of the API.
// Besides the tests below, every request a test of this package sends with
// http.DefaultClient (e.do does) is checked against it: see contractTransport.

// checkAnswersAgainstTheContract makes every request of the package's tests go through the
// contract check. TestMain calls it before any test runs.
func checkAnswersAgainstTheContract() {
	// kin-openapi does not check the "email" format by itself: check it as the API checks an
	// address, so that an answer with a broken address fails.
	openapi3.DefineStringFormatValidator("email", emailFormat{})
	http.DefaultClient.Transport = &contractTransport{next: http.DefaultTransport}
}

type emailFormat struct{}

func (emailFormat) Validate(s string) error {
	if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
		return fmt.Errorf("%q is not a plain email address", s)
	}
	return nil
}

// contract is the loaded document and a router over it, built once per test binary.
var contract = sync.OnceValues(func() (*contractDoc, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiJSON)
	if err != nil {
		return nil, fmt.Errorf("load api/openapi.json: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("api/openapi.json is not a valid OpenAPI document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route api/openapi.json: %w", err)
	}
	return &contractDoc{doc: doc, router: router}, nil
})

type contractDoc struct {
	doc    *openapi3.T
	router routers.Router
}

func mustContract(t *testing.T) *contractDoc {
	t.Helper()
	c, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// operations lists every documented operation as "METHOD /path".
func (c *contractDoc) operations() map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for path, item := range c.doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}
	return ops
}

func TestTheOpenAPIDocumentLoadsAndValidates(t *testing.T) {
	c := mustContract(t)
	if c.doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", c.doc.OpenAPI)
	}
	public := []string{"GET /healthz", "GET /readyz", "GET /api/v1/openapi.json"}
	ids := map[string]string{}
	for key, op := range c.operations() {
		if other, ok := ids[op.OperationID]; ok || op.OperationID == "" {
			t.Errorf("%s: operationId %q is empty or also %s's", key, op.OperationID, other)
		}
		ids[op.OperationID] = key
		security := c.doc.Security
		if op.Security != nil {
			security = *op.Security
		}
		isPublic := len(security) == 0
		if isPublic != slices.Contains(public, key) {
			t.Errorf("%s: public = %v, want only %v public", key, isPublic, public)
		}
		has := func(status int) bool { return op.Responses.Status(status) != nil }
		var success int
		for code := range op.Responses.Map() {
			if strings.HasPrefix(code, "2") {
				success++
			}
		}
		if success != 1 {
			t.Errorf("%s: %d success answers, want one", key, success)
		}
		need := []int{http.StatusInternalServerError}
		if !isPublic {
			need = append(need, http.StatusUnauthorized)
		}
		if key != "GET /healthz" && key != "GET /readyz" {
			// The limits (per user, per address, in flight) hold everything but the health checks.
			need = append(need, http.StatusTooManyRequests, http.StatusServiceUnavailable)
		}
		if op.RequestBody != nil {
			need = append(need, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity)
		}
		if op.Parameters.GetByInAndName("header", "If-Match") != nil {
			need = append(need, http.StatusPreconditionFailed)
		}
		for _, status := range need {
			if !has(status) {
				t.Errorf("%s: answer %d is not documented", key, status)
			}
		}
		for code, ref := range op.Responses.Map() {
			if code[0] == '4' || code[0] == '5' {
				schema := ref.Value.Content.Get("application/problem+json")
				if schema == nil || !strings.HasPrefix(ref.Ref, "#/components/responses/") {
					t.Errorf("%s: answer %s is not one of the problem answers in components/responses", key, code)
				}
			}
		}
	}
	// Every object the API reads or writes is closed: a field the code adds or renames
	// breaks the answer-checking tests until the document says so.
	for name, ref := range c.doc.Components.Schemas {
		s := ref.Value
		if s.Type.Is("object") && (s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has) {
			t.Errorf("components/schemas/%s does not set additionalProperties: false", name)
		}
	}
}

// ginPath turns gin's /users/:id into OpenAPI's /users/{id}.
var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

func TestEveryRouteIsDocumentedAndEveryDocumentedRouteIsServed(t *testing.T) {
	c := mustContract(t)
	h, err := New(nil, testenv.Logger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	engine, ok := h.(*gin.Engine)
	if !ok {
		t.Fatalf("api.New returned a %T, want a *gin.Engine", h)
	}
	routed := map[string]bool{}
	for _, r := range engine.Routes() {
		if pageRoute(r.Path) {
			continue // the pages for people in a browser are not the API
		}
		routed[r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := c.operations()
	for key := range routed {
		if documented[key] == nil {
			t.Errorf("%s is routed but not in api/openapi.json", key)
		}
	}
	for key := range documented {
		if !routed[key] {
			t.Errorf("%s is in api/openapi.json but not routed", key)
		}
	}
	if len(routed) != len(documented) || len(routed) == 0 {
		t.Errorf("%d routes, %d documented operations", len(routed), len(documented))
	}
}

func TestTheDocumentIsServedToAnyoneAsJSON(t *testing.T) {
	h, err := New(nil, testenv.Logger(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, authorization := range []string{"", "Bearer sgt_not-a-token"} {
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/openapi.json", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v1/openapi.json (Authorization %q): %d %s", authorization, res.StatusCode, body)
		}
		if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", res.Header.Get("Content-Type"))
		}
		if !bytes.Equal(body, openapiJSON) {
			t.Errorf("the document served is not api/openapi.json")
		}
		var doc map[string]any
		if err := json.Unmarshal(body, &doc); err != nil || doc["openapi"] != "3.1.0" {
			t.Errorf("the document served is not OpenAPI 3.1.0 JSON: %v", err)
		}
	}
}

// contractTransport checks every exchange against the document. A request the document
// refuses must be refused by the API (4xx: 401 when it lacks a bearer token, unless the
// limits turned it away first); every answer,
// success or problem, must be documented for its operation and status and match its
// schema and headers. A request to a path or method the document lacks must be answered
// with a 404 or 405 problem. A breach is returned as the request's error, so the test that
// sent it fails, naming it.
type contractTransport struct {
	next http.RoundTripper
}

func (ct *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	res, err := ct.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	if err := checkExchange(req, reqBody, res, resBody); err != nil {
		return nil, fmt.Errorf("api/openapi.json and the API disagree on %s %s -> %d %s:\n%w", req.Method, req.URL.RequestURI(), res.StatusCode, clip(resBody), err)
	}
	return res, nil
}

func clip(b []byte) string {
	if len(b) > 500 {
		return string(b[:500]) + "…"
	}
	return string(b)
}

// bearerPresent is the document's bearerAuth as a client can check it: a bearer token is
// sent. Whether it is valid only the API knows.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	scheme, secret, _ := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

func checkExchange(req *http.Request, reqBody []byte, res *http.Response, resBody []byte) error {
	c, err := contract()
	if err != nil {
		return err
	}
	ctx := context.Background()
	vreq := req.Clone(ctx)
	vreq.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := c.router.FindRoute(vreq)
	if err != nil {
		return checkUnrouted(c, err, res, resBody)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: bearerPresent, MultiError: true, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: opts}
	if reqErr := openapi3filter.ValidateRequest(ctx, in); reqErr != nil {
		var security *openapi3filter.SecurityRequirementsError
		switch {
		case errors.As(reqErr, &security) && !slices.Contains([]int{http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusServiceUnavailable}, res.StatusCode):
			// The limits come first: a request may be turned away before its token is asked for.
			return fmt.Errorf("the request sends no bearer token, and the API answered %d, not 401 (or 429 or 503 from the limits)", res.StatusCode)
		case res.StatusCode < 400 || res.StatusCode >= 500:
			return fmt.Errorf("the document refuses the request, and the API answered %d:\n%v", res.StatusCode, reqErr)
		}
	}
	return openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 res.StatusCode,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(resBody)),
		Options:                opts,
	})
}

// checkUnrouted checks the answer to a request the document has no operation for: the
// documented 404 or 405 problem.
func checkUnrouted(c *contractDoc, routeErr error, res *http.Response, body []byte) error {
	name, status := "NotFound", http.StatusNotFound
	if errors.Is(routeErr, routers.ErrMethodNotAllowed) {
		name, status = "MethodNotAllowed", http.StatusMethodNotAllowed
	}
	if res.StatusCode != status {
		return fmt.Errorf("no documented operation (%v), and the API answered %d, not %d", routeErr, res.StatusCode, status)
	}
	resp := c.doc.Components.Responses[name].Value
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "application/problem+json" {
		return fmt.Errorf("Content-Type %q, want application/problem+json", res.Header.Get("Content-Type"))
	}
	for header, ref := range resp.Headers {
		if ref.Value.Required && res.Header.Get(header) == "" {
			return fmt.Errorf("header %s is missing", header)
		}
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return err
	}
	return resp.Content.Get("application/problem+json").Schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors())
}

// documentedStatuses lists an operation's documented statuses, in order.
func documentedStatuses(op *openapi3.Operation) []string {
	var out []string
	for code := range op.Responses.Map() {
		out = append(out, code)
	}
	sort.Strings(out)
	return out
}

// notExercised are the documented answers TestEveryOperationAnswersEveryRoleAsDocumented
// does not provoke, and why. Every other documented status of every operation must be seen
// there, so that the document lists no answer the API cannot give.
var notExercised = map[string]string{
	"* 429":                             "the limits are off in the test environment (limits_test.go provokes them)",
	"* 500":                             "a fault of the service",
	"* 503":                             "the database is up and the limits off (TestWhileTheDatabaseIsDownTheAPIAnswers503AndRecoversWhenItIsBack and limits_test.go provoke it)",
	"GET /metrics 404":                  "only when the service runs without metrics",
	"PATCH /api/v1/agencies/{code} 409": "only when the agency keeps changing under concurrent writes",
	// The body is optional and has no fields (an unknown one is 400): nothing in it breaks a rule.
	"POST /api/v1/checks/{id}/extension/agree 422": "an agreement has no fields to be invalid",
}

// routeKey is the documented operation a request goes to, as "METHOD /path".
func routeKey(t *testing.T, c *contractDoc, method, url string) string {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	route, _, err := c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: not a documented operation: %v", method, url, err)
	}
	return method + " " + route.Path
}

func TestEveryOperationAnswersEveryRoleAsDocumented(t *testing.T) {
	c := mustContract(t)
	var e *env
	e = newEnvWith(t, nil, func(o *Options) {
		m := metrics.New(metrics.Sources{
			CountChecks: func(ctx context.Context) ([]checks.CheckCount, int, error) {
				return e.store.CountChecks(ctx, e.svc.Today())
			},
			OutboxCounts: func(ctx context.Context) (map[notify.Status]int, error) { return e.outbox.Counts(ctx) },
			LastRun:      func() (time.Time, time.Duration) { return time.Time{}, 0 },
		})
		o.Metrics, o.Observe = m.Handler(), m.ObserveRequest
	})
	nobody := caller{}
	roles := map[string]caller{"admin": e.admin, "com": e.com, "manager": e.manager, "liaison": e.police}
	roleOf := func(who caller) string {
		for name, c := range roles {
			if c.Token == who.Token {
				return name
			}
		}
		if who.Token == "" {
			return "nobody"
		}
		return "another user"
	}
	seen := map[string]map[int]bool{}
	callers := map[string]map[string]bool{}
	// call sends a request as who and wants the status; the transport has checked the
	// exchange against the document already.
	call := func(who caller, status int, method, path string, body any, headers ...string) *reply {
		t.Helper()
		r := e.do(t, who.Token, method, path, body, headers...)
		if r.status != status {
			t.Errorf("as %s: %s %s: status %d, want %d; body %s", roleOf(who), method, path, r.status, status, clip(r.body))
		}
		key := routeKey(t, c, method, e.url+path)
		if seen[key] == nil {
			seen[key], callers[key] = map[int]bool{}, map[string]bool{}
		}
		seen[key][r.status] = true
		callers[key][roleOf(who)] = true
		return r
	}
	decode := func(r *reply, v any) {
		t.Helper()
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("%s %s: %v: %s", r.method, r.path, err, clip(r.body))
		}
	}
	// Bodies the API refuses before looking at their fields.
	huge := raw(`{"note":"` + strings.Repeat("a", maxBody) + `"}`)
	broken := raw(`{"note":`)
	asText := []string{"Content-Type", "text/plain"}
	long := strings.Repeat("x", 1001)
	stale := []string{"If-Match", `"999"`}
	unknownID := strings.Repeat("a", 24)
	unknownToken := strings.Repeat("0", 64)
	// bodyErrors provokes 400, 413 and 415 on an operation that reads a body.
	bodyErrors := func(who caller, method, path string) {
		t.Helper()
		call(who, http.StatusBadRequest, method, path, broken)
		call(who, http.StatusRequestEntityTooLarge, method, path, huge)
		call(who, http.StatusUnsupportedMediaType, method, path, raw(`{}`), asText...)
	}

	// Operations: public ones, and the caller itself.
	for _, who := range []caller{nobody, e.admin, e.com, e.manager, e.police} {
		call(who, http.StatusOK, "GET", "/healthz", nil)
		call(who, http.StatusOK, "GET", "/readyz", nil)
		call(who, http.StatusOK, "GET", "/api/v1/openapi.json", nil)
		if who == nobody {
			call(who, http.StatusUnauthorized, "GET", "/api/v1/me", nil)
		} else {
			call(who, http.StatusOK, "GET", "/api/v1/me", nil)
		}
	}
	call(e.admin, http.StatusOK, "GET", "/metrics", nil)
	for _, who := range []caller{e.com, e.manager, e.police} {
		call(who, http.StatusForbidden, "GET", "/metrics", nil)
	}
	call(nobody, http.StatusUnauthorized, "GET", "/metrics", nil)

	// Releases. A release released within the upcoming report's window gives the reports rows.
	var rel, soon apiRelease
	decode(call(e.com, http.StatusCreated, "POST", "/api/v1/releases", validRelease()), &rel)
	soonBody := validRelease()
	soonBody["crn"], soonBody["release_date"] = "X000009", "2026-12-03"
	decode(call(e.com, http.StatusCreated, "POST", "/api/v1/releases", soonBody), &soon)
	byManager := validRelease()
	byManager["crn"], byManager["team"], byManager["com_id"] = "M000001", "N07-T1", e.com.ID
	call(e.manager, http.StatusCreated, "POST", "/api/v1/releases", byManager)
	byAdmin := validRelease()
	byAdmin["crn"], byAdmin["team"], byAdmin["com_id"] = "A000001", "N07-T1", e.com.ID
	call(e.admin, http.StatusCreated, "POST", "/api/v1/releases", byAdmin)
	call(e.police, http.StatusForbidden, "POST", "/api/v1/releases", validRelease())
	call(nobody, http.StatusUnauthorized, "POST", "/api/v1/releases", validRelease())
	call(e.com, http.StatusConflict, "POST", "/api/v1/releases", validRelease())
	call(e.com, http.StatusUnprocessableEntity, "POST", "/api/v1/releases", map[string]any{"crn": "123"})
	bodyErrors(e.com, "POST", "/api/v1/releases")

	for _, who := range []caller{e.admin, e.com, e.manager} {
		call(who, http.StatusOK, "GET", "/api/v1/releases", nil)
		call(who, http.StatusOK, "GET", "/api/v1/releases/"+rel.ID, nil)
	}
	call(e.police, http.StatusForbidden, "GET", "/api/v1/releases", nil)
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/releases", nil)
	call(e.admin, http.StatusOK, "GET", "/api/v1/releases?limit=2&status=active&release_from=2026-12-01&release_to=2027-12-31&team=N07-T1&com="+e.com.ID, nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/releases?limit=ten", nil)
	call(e.admin, http.StatusUnprocessableEntity, "GET", "/api/v1/releases?status=deleted", nil)
	call(e.police, http.StatusNotFound, "GET", "/api/v1/releases/"+rel.ID, nil)
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/releases/"+rel.ID, nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/releases/nope", nil)
	call(e.admin, http.StatusNotFound, "GET", "/api/v1/releases/"+unknownID, nil)

	patch := "/api/v1/releases/" + rel.ID
	for _, who := range []caller{e.com, e.manager, e.admin} {
		call(who, http.StatusOK, "PATCH", patch, map[string]any{"prison_code": "MAN"})
	}
	call(e.police, http.StatusNotFound, "PATCH", patch, map[string]any{"prison_code": "MAN"})
	call(nobody, http.StatusUnauthorized, "PATCH", patch, map[string]any{"prison_code": "MAN"})
	call(e.com, http.StatusUnprocessableEntity, "PATCH", patch, map[string]any{"release_date": "2020-01-01"})
	call(e.com, http.StatusPreconditionFailed, "PATCH", patch, map[string]any{"prison_code": "LEI"}, stale...)
	call(e.com, http.StatusBadRequest, "PATCH", patch, map[string]any{"prison_code": "LEI"}, "If-Match", "W/1")
	bodyErrors(e.com, "PATCH", patch)

	// Three releases to cancel, one for each role that may.
	for i, who := range []caller{e.com, e.manager, e.admin} {
		r := e.freshRelease(t, 50+i)
		call(who, http.StatusOK, "POST", "/api/v1/releases/"+r.ID+"/cancel", map[string]any{"reason": "Release on licence revoked."})
		if i == 0 {
			call(who, http.StatusConflict, "POST", "/api/v1/releases/"+r.ID+"/cancel", nil)
			call(who, http.StatusConflict, "PATCH", "/api/v1/releases/"+r.ID, map[string]any{"prison_code": "MAN"})
			// A note on a withdrawn check is a conflict.
			call(who, http.StatusConflict, "POST", "/api/v1/checks/"+r.Checks[0].ID+"/notes", asNote)
		}
	}
	cancel := "/api/v1/releases/" + rel.ID + "/cancel"
	call(e.police, http.StatusNotFound, "POST", cancel, nil)
	call(nobody, http.StatusUnauthorized, "POST", cancel, nil)
	call(e.com, http.StatusPreconditionFailed, "POST", cancel, nil, stale...)
	call(e.com, http.StatusUnprocessableEntity, "POST", cancel, map[string]any{"reason": long})
	bodyErrors(e.com, "POST", cancel)

	export := "/api/v1/releases/" + rel.ID + "/export"
	call(e.admin, http.StatusOK, "GET", export, nil)
	for _, who := range []caller{e.com, e.manager, e.police} {
		call(who, http.StatusForbidden, "GET", export, nil)
	}
	call(nobody, http.StatusUnauthorized, "GET", export, nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/releases/nope/export", nil)
	call(e.admin, http.StatusNotFound, "GET", "/api/v1/releases/"+unknownID+"/export", nil)

	// Checks through their lifecycle, each action by each role.
	da, cs := checkOf(t, rel, "domestic_abuse"), checkOf(t, rel, "child_safeguarding")
	check := func(id, action string) string { return "/api/v1/checks/" + id + "/" + action }
	call(e.admin, http.StatusForbidden, "POST", check(da.ID, "request"), nil)
	call(e.police, http.StatusNotFound, "POST", check(da.ID, "request"), nil)
	call(nobody, http.StatusUnauthorized, "POST", check(da.ID, "request"), nil)
	call(e.com, http.StatusPreconditionFailed, "POST", check(da.ID, "request"), nil, stale...)
	call(e.com, http.StatusUnprocessableEntity, "POST", check(da.ID, "request"), map[string]any{"note": long})
	bodyErrors(e.com, "POST", check(da.ID, "request"))
	call(e.com, http.StatusOK, "POST", check(da.ID, "request"), asRequest)
	call(e.manager, http.StatusOK, "POST", check(cs.ID, "request"), nil)
	call(e.com, http.StatusConflict, "POST", check(da.ID, "request"), nil)

	for _, who := range []caller{e.admin, e.com, e.manager, e.police} {
		call(who, http.StatusOK, "GET", "/api/v1/checks/"+da.ID, nil)
		call(who, http.StatusOK, "GET", "/api/v1/checks", nil)
	}
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/checks/"+da.ID, nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/checks/nope", nil)
	call(e.admin, http.StatusNotFound, "GET", "/api/v1/checks/"+unknownID, nil)
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/checks", nil)
	call(e.admin, http.StatusOK, "GET", "/api/v1/checks?status=requested&type=domestic_abuse&agency=E23000001&overdue=false&release_before=2028-01-01&limit=5", nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/checks?limit=1.5", nil)
	call(e.admin, http.StatusUnprocessableEntity, "GET", "/api/v1/checks?status=lost", nil)

	for _, who := range []caller{e.admin, e.com, e.manager} {
		call(who, http.StatusForbidden, "POST", check(da.ID, "response"), asResponse)
	}
	call(nobody, http.StatusUnauthorized, "POST", check(da.ID, "response"), asResponse)
	call(e.police, http.StatusPreconditionFailed, "POST", check(da.ID, "response"), asResponse, stale...)
	call(e.police, http.StatusUnprocessableEntity, "POST", check(da.ID, "response"), map[string]any{"outcome": "maybe", "summary": "x"})
	bodyErrors(e.police, "POST", check(da.ID, "response"))
	call(e.police, http.StatusNotFound, "POST", check(cs.ID, "response"), asResponse)
	call(e.police, http.StatusOK, "POST", check(da.ID, "response"), asResponse)
	call(e.police, http.StatusConflict, "POST", check(da.ID, "response"), asResponse)
	call(e.childrens, http.StatusOK, "POST", check(cs.ID, "response"), map[string]any{"outcome": "no_information"})

	for _, who := range []caller{e.com, e.manager, e.police} {
		call(who, http.StatusOK, "POST", check(da.ID, "notes"), asNote)
	}
	call(e.admin, http.StatusForbidden, "POST", check(da.ID, "notes"), asNote)
	call(nobody, http.StatusUnauthorized, "POST", check(da.ID, "notes"), asNote)
	call(e.com, http.StatusPreconditionFailed, "POST", check(da.ID, "notes"), asNote, stale...)
	call(e.com, http.StatusUnprocessableEntity, "POST", check(da.ID, "notes"), map[string]any{"note": " "})
	call(e.police, http.StatusNotFound, "POST", check(unknownID, "notes"), asNote)
	bodyErrors(e.com, "POST", check(da.ID, "notes"))

	for _, who := range []caller{e.admin, e.police} {
		call(who, http.StatusForbidden, "POST", check(da.ID, "complete"), asComplete)
	}
	call(nobody, http.StatusUnauthorized, "POST", check(da.ID, "complete"), asComplete)
	call(e.com, http.StatusPreconditionFailed, "POST", check(da.ID, "complete"), asComplete, stale...)
	call(e.com, http.StatusUnprocessableEntity, "POST", check(da.ID, "complete"), map[string]any{"note": ""})
	bodyErrors(e.com, "POST", check(da.ID, "complete"))
	call(e.com, http.StatusOK, "POST", check(da.ID, "complete"), asComplete)
	call(e.manager, http.StatusOK, "POST", check(cs.ID, "complete"), asComplete)
	call(e.com, http.StatusConflict, "POST", check(da.ID, "complete"), asComplete)
	call(e.police, http.StatusNotFound, "POST", check(unknownID, "complete"), asComplete)

	other := e.freshRelease(t, 60)
	otherCS := checkOf(t, other, "child_safeguarding")
	call(e.admin, http.StatusForbidden, "POST", check(otherCS.ID, "not-required"), asReason)
	call(e.police, http.StatusNotFound, "POST", check(otherCS.ID, "not-required"), asReason)
	call(nobody, http.StatusUnauthorized, "POST", check(otherCS.ID, "not-required"), asReason)
	call(e.com, http.StatusPreconditionFailed, "POST", check(otherCS.ID, "not-required"), asReason, stale...)
	call(e.com, http.StatusUnprocessableEntity, "POST", check(otherCS.ID, "not-required"), map[string]any{"reason": ""})
	bodyErrors(e.com, "POST", check(otherCS.ID, "not-required"))
	call(e.manager, http.StatusOK, "POST", check(otherCS.ID, "not-required"), asReason)
	call(e.com, http.StatusOK, "POST", check(checkOf(t, other, "domestic_abuse").ID, "not-required"), asReason)
	call(e.com, http.StatusConflict, "POST", check(da.ID, "not-required"), asReason)

	// More time for an answer, and standing a request down: the DA check is the Met's, so its
	// liaison sees it and is refused by role, and sees nothing of the child safeguarding one.
	third := e.freshRelease(t, 61)
	thirdDA, thirdCS := checkOf(t, third, "domestic_abuse"), checkOf(t, third, "child_safeguarding")
	call(e.com, http.StatusOK, "POST", check(thirdDA.ID, "request"), nil)
	call(e.com, http.StatusOK, "POST", check(thirdCS.ID, "request"), nil)
	extension := check(thirdDA.ID, "extension")
	asExtension := map[string]any{"proposed_date": "2026-12-15", "note": "Our records team is short of staff this week."}
	for _, who := range []caller{e.admin, e.com, e.manager} {
		call(who, http.StatusForbidden, "POST", extension, asExtension)
	}
	call(nobody, http.StatusUnauthorized, "POST", extension, asExtension)
	call(e.police, http.StatusPreconditionFailed, "POST", extension, asExtension, stale...)
	call(e.police, http.StatusUnprocessableEntity, "POST", extension, map[string]any{"proposed_date": "2026-12-01", "note": "x"})
	call(e.police, http.StatusNotFound, "POST", check(thirdCS.ID, "extension"), asExtension)
	bodyErrors(e.police, "POST", extension)
	call(e.police, http.StatusOK, "POST", extension, asExtension)
	call(e.police, http.StatusConflict, "POST", extension, asExtension)
	agree := extension + "/agree"
	for _, who := range []caller{e.admin, e.police} {
		call(who, http.StatusForbidden, "POST", agree, nil)
	}
	call(nobody, http.StatusUnauthorized, "POST", agree, nil)
	call(e.com, http.StatusPreconditionFailed, "POST", agree, nil, stale...)
	call(e.police, http.StatusNotFound, "POST", check(thirdCS.ID, "extension/agree"), nil)
	bodyErrors(e.com, "POST", agree)
	call(e.com, http.StatusOK, "POST", agree, raw(`{}`))
	call(e.manager, http.StatusConflict, "POST", agree, nil)
	call(e.police, http.StatusOK, "POST", extension, map[string]any{"proposed_date": "2026-12-22", "note": "Still waiting for the PNC."})
	refuse := extension + "/refuse"
	for _, who := range []caller{e.admin, e.police} {
		call(who, http.StatusForbidden, "POST", refuse, nil)
	}
	call(nobody, http.StatusUnauthorized, "POST", refuse, nil)
	call(e.com, http.StatusPreconditionFailed, "POST", refuse, nil, stale...)
	call(e.com, http.StatusUnprocessableEntity, "POST", refuse, map[string]any{"reason": long})
	call(e.police, http.StatusNotFound, "POST", check(thirdCS.ID, "extension/refuse"), nil)
	bodyErrors(e.com, "POST", refuse)
	call(e.manager, http.StatusOK, "POST", refuse, map[string]any{"reason": "The release plan is due that week."})
	call(e.com, http.StatusConflict, "POST", refuse, nil)
	call(e.police, http.StatusOK, "GET", "/api/v1/checks/"+thirdDA.ID, nil)

	standDown := check(thirdDA.ID, "stand-down")
	for _, who := range []caller{e.admin, e.police} {
		call(who, http.StatusForbidden, "POST", standDown, asReason)
	}
	call(nobody, http.StatusUnauthorized, "POST", standDown, asReason)
	call(e.police, http.StatusNotFound, "POST", check(thirdCS.ID, "stand-down"), asReason)
	call(e.com, http.StatusPreconditionFailed, "POST", standDown, asReason, stale...)
	call(e.com, http.StatusUnprocessableEntity, "POST", standDown, map[string]any{"reason": ""})
	bodyErrors(e.com, "POST", standDown)
	call(e.com, http.StatusOK, "POST", standDown, asReason)
	call(e.manager, http.StatusOK, "POST", check(thirdCS.ID, "stand-down"), asReason)
	call(e.com, http.StatusConflict, "POST", standDown, asReason)
	call(e.police, http.StatusOK, "GET", "/api/v1/checks/"+thirdDA.ID, nil)
	call(e.admin, http.StatusOK, "GET", "/api/v1/checks?undeliverable=true", nil)
	call(e.admin, http.StatusUnprocessableEntity, "GET", "/api/v1/checks?undeliverable=maybe", nil)

	// The agency directory.
	for _, who := range []caller{e.admin, e.com, e.manager, e.police} {
		call(who, http.StatusOK, "GET", "/api/v1/agencies", nil)
		call(who, http.StatusOK, "GET", "/api/v1/agencies/E23000001", nil)
	}
	call(e.com, http.StatusOK, "GET", "/api/v1/agencies?kind=childrens_services&active=true&limit=3", nil)
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/agencies", nil)
	call(e.com, http.StatusBadRequest, "GET", "/api/v1/agencies?limit=x", nil)
	call(e.com, http.StatusUnprocessableEntity, "GET", "/api/v1/agencies?kind=fire", nil)
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/agencies/E23000001", nil)
	call(e.com, http.StatusBadRequest, "GET", "/api/v1/agencies/POLICE", nil)
	call(e.com, http.StatusNotFound, "GET", "/api/v1/agencies/E23999999", nil)
	met := "/api/v1/agencies/E23000001"
	call(e.admin, http.StatusOK, "PATCH", met, map[string]any{"contact_email": "referrals@met.example.org", "escalation_email": "", "active": true})
	for _, who := range []caller{e.com, e.manager, e.police} {
		call(who, http.StatusForbidden, "PATCH", met, map[string]any{"active": true})
	}
	call(nobody, http.StatusUnauthorized, "PATCH", met, map[string]any{"active": true})
	call(e.admin, http.StatusPreconditionFailed, "PATCH", met, map[string]any{"active": true}, stale...)
	call(e.admin, http.StatusUnprocessableEntity, "PATCH", met, map[string]any{"contact_email": "nope"})
	call(e.admin, http.StatusNotFound, "PATCH", "/api/v1/agencies/E23999999", map[string]any{"active": true})
	bodyErrors(e.admin, "PATCH", met)

	// Users and tokens.
	var made apiUser
	decode(call(e.admin, http.StatusCreated, "POST", "/api/v1/users", map[string]any{"name": "Nia New", "email": "nia@example.org", "role": "manager", "teams": []string{"N07-T1"}}), &made)
	for _, who := range []caller{e.com, e.manager, e.police} {
		call(who, http.StatusForbidden, "POST", "/api/v1/users", map[string]any{"name": "X", "email": "x@example.org", "role": "admin"})
		call(who, http.StatusForbidden, "GET", "/api/v1/users", nil)
		call(who, http.StatusOK, "GET", "/api/v1/users/"+who.ID, nil)
		call(who, http.StatusForbidden, "POST", "/api/v1/users/"+made.ID+"/deactivate", nil)
		call(who, http.StatusForbidden, "POST", "/api/v1/users/"+made.ID+"/activate", nil)
		call(who, http.StatusForbidden, "POST", "/api/v1/users/"+made.ID+"/tokens", nil)
		call(who, http.StatusForbidden, "GET", "/api/v1/users/"+made.ID+"/tokens", nil)
	}
	call(nobody, http.StatusUnauthorized, "POST", "/api/v1/users", map[string]any{"name": "X", "email": "x@example.org", "role": "admin"})
	call(e.admin, http.StatusConflict, "POST", "/api/v1/users", map[string]any{"name": "Nia Again", "email": "nia@example.org", "role": "admin"})
	call(e.admin, http.StatusUnprocessableEntity, "POST", "/api/v1/users", map[string]any{"name": "X", "email": "x@example.org", "role": "king"})
	bodyErrors(e.admin, "POST", "/api/v1/users")
	call(e.admin, http.StatusOK, "GET", "/api/v1/users?role=manager&team=N07-T1&limit=10", nil)
	call(e.admin, http.StatusOK, "GET", "/api/v1/users?role=liaison&agency=E23000001", nil)
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/users", nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/users?limit=x", nil)
	call(e.admin, http.StatusUnprocessableEntity, "GET", "/api/v1/users?role=king", nil)
	call(e.admin, http.StatusOK, "GET", "/api/v1/users/"+made.ID, nil)
	call(e.com, http.StatusNotFound, "GET", "/api/v1/users/"+made.ID, nil)
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/users/"+made.ID, nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/users/nope", nil)

	call(e.admin, http.StatusOK, "POST", "/api/v1/users/"+made.ID+"/deactivate", nil)
	call(e.admin, http.StatusConflict, "POST", "/api/v1/users/"+made.ID+"/tokens", map[string]any{"label": "x"})
	call(e.admin, http.StatusOK, "POST", "/api/v1/users/"+made.ID+"/activate", nil)
	call(e.admin, http.StatusConflict, "POST", "/api/v1/users/"+e.admin.ID+"/deactivate", nil)
	for _, action := range []string{"deactivate", "activate"} {
		call(nobody, http.StatusUnauthorized, "POST", "/api/v1/users/"+made.ID+"/"+action, nil)
		call(e.admin, http.StatusBadRequest, "POST", "/api/v1/users/nope/"+action, nil)
		call(e.admin, http.StatusNotFound, "POST", "/api/v1/users/"+unknownID+"/"+action, nil)
	}

	tokens := "/api/v1/users/" + made.ID + "/tokens"
	call(e.admin, http.StatusCreated, "POST", tokens, nil)
	call(nobody, http.StatusUnauthorized, "POST", tokens, nil)
	call(e.admin, http.StatusUnprocessableEntity, "POST", tokens, map[string]any{"label": strings.Repeat("l", 201)})
	call(e.admin, http.StatusNotFound, "POST", "/api/v1/users/"+unknownID+"/tokens", nil)
	bodyErrors(e.admin, "POST", tokens)
	call(e.admin, http.StatusOK, "GET", tokens, nil)
	call(nobody, http.StatusUnauthorized, "GET", tokens, nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/users/nope/tokens", nil)
	call(e.admin, http.StatusNotFound, "GET", "/api/v1/users/"+unknownID+"/tokens", nil)
	// Each role revokes a spare token of its own; an admin any.
	for _, who := range []caller{e.admin, e.com, e.manager, e.police} {
		var spare apiToken
		decode(call(e.admin, http.StatusCreated, "POST", "/api/v1/users/"+who.ID+"/tokens", map[string]any{"label": "spare"}), &spare)
		call(who, http.StatusOK, "POST", "/api/v1/tokens/"+spare.ID+"/revoke", nil)
	}
	call(e.com, http.StatusNotFound, "POST", "/api/v1/tokens/"+tokenID(e.manager.Token)+"/revoke", nil)
	call(nobody, http.StatusUnauthorized, "POST", "/api/v1/tokens/"+tokenID(e.manager.Token)+"/revoke", nil)
	call(e.admin, http.StatusBadRequest, "POST", "/api/v1/tokens/nope/revoke", nil)
	call(e.admin, http.StatusNotFound, "POST", "/api/v1/tokens/"+unknownToken+"/revoke", nil)

	// Reports, as JSON and as CSV.
	period := "?from=2026-11-01&to=2027-12-31"
	for _, report := range []string{"completion" + period, "agencies" + period, "upcoming?within=20"} {
		path := "/api/v1/reports/" + report
		for _, who := range []caller{e.admin, e.com, e.manager} {
			call(who, http.StatusOK, "GET", path, nil)
		}
		call(e.manager, http.StatusOK, "GET", path+"&format=csv", nil)
		call(e.admin, http.StatusOK, "GET", path+"&team=N07-T1", nil, "Accept", "text/csv")
		call(e.police, http.StatusForbidden, "GET", path, nil)
		call(nobody, http.StatusUnauthorized, "GET", path, nil)
		call(e.com, http.StatusNotFound, "GET", path+"&team=N08-T2", nil)
	}
	call(e.com, http.StatusUnprocessableEntity, "GET", "/api/v1/reports/completion?from=2026-11-01", nil)
	call(e.com, http.StatusUnprocessableEntity, "GET", "/api/v1/reports/agencies?from=2027-01-01&to=2026-01-01", nil)
	call(e.com, http.StatusUnprocessableEntity, "GET", "/api/v1/reports/upcoming?within=0", nil)
	call(e.com, http.StatusBadRequest, "GET", "/api/v1/reports/upcoming?within=ten", nil)

	// The audit trail.
	call(e.admin, http.StatusOK, "GET", "/api/v1/audit", nil)
	call(e.admin, http.StatusOK, "GET", "/api/v1/audit?actor="+e.com.ID+"&resource=check&resource_id="+da.ID+"&from=2026-11-01&to=2026-11-24T10:00:00Z&limit=5", nil)
	for _, who := range []caller{e.com, e.manager, e.police} {
		call(who, http.StatusForbidden, "GET", "/api/v1/audit", nil)
	}
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/audit", nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/audit?limit=x", nil)
	call(e.admin, http.StatusUnprocessableEntity, "GET", "/api/v1/audit?resource=planet", nil)

	// Escalations and the outbox. The soon release's checks were never requested: a real run
	// queues reminders; the City of London has no contact mailbox, so its notice is
	// undeliverable until an admin sets one.
	soonCS := checkOf(t, soon, "child_safeguarding")
	call(e.com, http.StatusOK, "POST", check(soonCS.ID, "request"), nil)
	call(e.admin, http.StatusOK, "POST", "/api/v1/escalations/run", map[string]any{"dry_run": true, "as_of": "2026-11-24T09:30:00Z"})
	call(e.admin, http.StatusOK, "POST", "/api/v1/escalations/run", nil)
	for _, who := range []caller{e.com, e.manager, e.police} {
		call(who, http.StatusForbidden, "POST", "/api/v1/escalations/run", nil)
		call(who, http.StatusForbidden, "GET", "/api/v1/outbox", nil)
		call(who, http.StatusForbidden, "GET", "/api/v1/outbox/"+fakeEmailID, nil)
		call(who, http.StatusForbidden, "POST", "/api/v1/outbox/"+fakeEmailID+"/retry", nil)
	}
	call(nobody, http.StatusUnauthorized, "POST", "/api/v1/escalations/run", nil)
	call(e.admin, http.StatusUnprocessableEntity, "POST", "/api/v1/escalations/run", map[string]any{"as_of": "monday"})
	bodyErrors(e.admin, "POST", "/api/v1/escalations/run")

	var pending, undeliverable apiList[apiEmail]
	decode(call(e.admin, http.StatusOK, "GET", "/api/v1/outbox", nil), &pending)
	decode(call(e.admin, http.StatusOK, "GET", "/api/v1/outbox?status=undeliverable&limit=10", nil), &undeliverable)
	if len(pending.Items) == 0 || len(undeliverable.Items) == 0 {
		t.Fatalf("the run queued %d emails, %d undeliverable; want some of each", len(pending.Items), len(undeliverable.Items))
	}
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/outbox", nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/outbox?cursor=nope", nil)
	call(e.admin, http.StatusUnprocessableEntity, "GET", "/api/v1/outbox?status=lost", nil)
	for _, m := range pending.Items {
		call(e.admin, http.StatusOK, "GET", "/api/v1/outbox/"+m.ID, nil)
	}
	call(nobody, http.StatusUnauthorized, "GET", "/api/v1/outbox/"+fakeEmailID, nil)
	call(e.admin, http.StatusBadRequest, "GET", "/api/v1/outbox/xyz", nil)
	call(e.admin, http.StatusNotFound, "GET", "/api/v1/outbox/"+fakeEmailID, nil)
	lost := "/api/v1/outbox/" + undeliverable.Items[0].ID + "/retry"
	call(e.admin, http.StatusConflict, "POST", lost, nil)
	call(e.admin, http.StatusOK, "PATCH", "/api/v1/agencies/E09000001", map[string]any{"contact_email": "referrals@city.example.org"})
	call(e.admin, http.StatusOK, "POST", lost, nil)
	call(nobody, http.StatusUnauthorized, "POST", lost, nil)
	call(e.admin, http.StatusBadRequest, "POST", "/api/v1/outbox/xyz/retry", nil)
	call(e.admin, http.StatusNotFound, "POST", "/api/v1/outbox/"+fakeEmailID+"/retry", nil)
	// Sent emails lose their text; the answers still match.
	if _, err := e.sender.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	call(e.admin, http.StatusOK, "GET", "/api/v1/outbox?status=sent", nil)
	call(e.admin, http.StatusOK, "GET", "/api/v1/outbox/"+pending.Items[0].ID, nil)

	// Imports: a release schedule sent as text/csv.
	asCSV := []string{"Content-Type", "text/csv"}
	schedule := raw("crn,noms_number,full_name,date_of_birth,release_date,prison_code,team,com_email,address_line_1,town,postcode,police_force,local_authority\n" +
		"X900001,A9001BC,Jordan Example,1985-03-02,2027-02-15,LEI,N07-T1,colm@example.org,1 Example Street,London,EC1A 1BB,E23000001,E09000001\n")
	for _, who := range []caller{e.com, e.manager} {
		call(who, http.StatusOK, "POST", "/api/v1/imports?dry_run=true", schedule, asCSV...)
	}
	call(e.admin, http.StatusOK, "POST", "/api/v1/imports", schedule, asCSV...)
	call(e.police, http.StatusForbidden, "POST", "/api/v1/imports", schedule, asCSV...)
	call(nobody, http.StatusUnauthorized, "POST", "/api/v1/imports", schedule, asCSV...)
	call(e.admin, http.StatusBadRequest, "POST", "/api/v1/imports?dry_run=maybe", schedule, asCSV...)
	call(e.admin, http.StatusUnsupportedMediaType, "POST", "/api/v1/imports", raw(`{}`))
	call(e.admin, http.StatusUnprocessableEntity, "POST", "/api/v1/imports", raw("crn,name\nX900001,Jordan\n"), asCSV...)
	call(e.admin, http.StatusRequestEntityTooLarge, "POST", "/api/v1/imports", raw(strings.Repeat("x", 10<<20+1)), asCSV...)

	// Every documented answer was given, to every kind of caller.
	for key, op := range c.operations() {
		for _, who := range []string{"nobody", "admin", "com", "manager", "liaison"} {
			if !callers[key][who] {
				t.Errorf("%s was not called as %s", key, who)
			}
		}
		for _, code := range documentedStatuses(op) {
			var status int
			fmt.Sscan(code, &status)
			_, skip := notExercised[key+" "+code]
			_, skipAll := notExercised["* "+code]
			if !seen[key][status] && !skip && !skipAll {
				t.Errorf("%s: the documented answer %s was not provoked", key, code)
			}
		}
	}
}

// TestTheSchemasHaveTheFieldsOfTheGoTypes holds each schema to the Go type the API reads or
// writes with it: the same JSON names; for answers, a field is required exactly when it has
// no omitempty (it is always written), and may be null when it is a pointer.
func TestTheSchemasHaveTheFieldsOfTheGoTypes(t *testing.T) {
	c := mustContract(t)
	answers := map[string]any{
		"Release": releaseJSON{}, "Check": checkJSON{}, "CheckRelease": checkReleaseJSON{}, "Response": responseJSON{},
		"HistoryEntry": historyJSON{}, "Escalation": escalationJSON{}, "Agency": agencyJSON{}, "User": userJSON{},
		"Token": tokenJSON{}, "Email": emailJSON{}, "Plan": planJSON{}, "PlanItem": planItemJSON{}, "PlanEmail": planEmailJSON{},
		"AuditEntry": auditJSON{}, "Change": changeJSON{}, "Export": exportJSON{},
		"ImportReport": importJSON{}, "ImportCounts": importCountsJSON{}, "ImportRow": importRowJSON{}, "ImportMissing": importMissingJS{},
		"CompletionReport": completionJSON{}, "TypeFigures": typeFiguresJSON{}, "ReasonCount": reasonCountJSON{}, "TeamFigures": teamJSON{},
		"AgenciesReport": agenciesJSON{}, "AgencyFigures": agencyRowJSON{},
		"Extension": extensionJSON{}, "Delivery": deliveryJSON{},
		"UpcomingReport": upcomingJSON{}, "UpcomingRelease": upcomingReleaseJSON{}, "MissingCheck": missingJSON{},
		"Problem": problem{}, "FieldProblem": fieldProblem{},
		"Address": addressJSON{}, "Person": personJSON{}, "ListedAgencyCheck": listedAgencyCheckJSON{},
		"AgencyPerson": checkReleaseJSON{}, "AgencyCheck": agencyCheckJSON{}, "AgencyRelease": agencyReleaseJSON{},
		"ReleaseList": list[releaseJSON]{}, "CheckList": list[checkJSON]{}, "AgencyList": list[agencyJSON]{},
		"UserList": list[userJSON]{}, "TokenList": list[tokenJSON]{}, "EmailList": list[emailJSON]{}, "AuditEntryList": list[auditJSON]{},
	}
	requests := map[string]any{
		"CreateReleaseRequest": createReleaseBody{}, "PatchReleaseRequest": patchReleaseBody{},
		"ReasonRequest": reasonBody{}, "RequiredReasonRequest": reasonBody{}, "NoteRequest": noteBody{}, "RequiredNoteRequest": noteBody{},
		"ResponseRequest": responseBody{}, "PatchAgencyRequest": patchAgencyBody{}, "CreateUserRequest": createUserBody{},
		"IssueTokenRequest": issueTokenBody{}, "RunEscalationsRequest": runBody{},
		"AddressInput": addressBody{}, "PersonInput": personBody{},
		"ExtensionRequest": extensionBody{}, "EmptyRequest": struct{}{},
	}
	for name := range c.doc.Components.Schemas {
		if answers[name] == nil && requests[name] == nil && name != "Health" && name != "Ready" {
			t.Errorf("components/schemas/%s is not held to a Go type here", name)
		}
	}
	check := func(name string, v any, answer bool) {
		ref := c.doc.Components.Schemas[name]
		if ref == nil {
			t.Errorf("components/schemas/%s is missing", name)
			return
		}
		s := ref.Value
		typ := reflect.TypeOf(v)
		fields := map[string]bool{}
		for _, f := range jsonFields(typ) {
			tag, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[tag] = true
			prop := s.Properties[tag]
			if prop == nil {
				t.Errorf("%s: %s.%s (%q) is not in the schema", name, typ.Name(), f.Name, tag)
				continue
			}
			if !answer {
				continue
			}
			always := !strings.Contains(opts, "omitempty")
			if required := slices.Contains(s.Required, tag); required != always {
				t.Errorf("%s.%s: required = %v, but the field is written %s", name, tag, required,
					map[bool]string{true: "always", false: "only when not empty"}[always])
			}
			pv := prop.Value
			mayBeNull := pv.Type.Permits("null") || slices.ContainsFunc(pv.OneOf, func(r *openapi3.SchemaRef) bool { return r.Value.Type.Is("null") })
			if isPointer := f.Type.Kind() == reflect.Pointer; isPointer && always && !mayBeNull {
				t.Errorf("%s.%s: a pointer written as null when unset, but the schema does not allow null", name, tag)
			} else if !isPointer && mayBeNull && f.Type != reflect.TypeOf(checks.Date{}) { // a zero Date is written as null
				t.Errorf("%s.%s: the schema allows null, but the field is never null", name, tag)
			}
		}
		for tag := range s.Properties {
			if !fields[tag] {
				t.Errorf("%s: property %q is not a field of %s", name, tag, typ.Name())
			}
		}
	}
	for name, v := range answers {
		check(name, v, true)
	}
	for name, v := range requests {
		check(name, v, false)
	}
}

// pageRoute reports whether a route is one of the HTML pages rather than the API.
func pageRoute(path string) bool {
	switch path {
	case "/healthz", "/readyz", "/metrics":
		return false
	}
	return !strings.HasPrefix(path, "/api/")
}

// TestTheDocumentNamesEveryRuleOfTheLadder holds the rule enums of the document to the
// ladder, in its order.
func TestTheDocumentNamesEveryRuleOfTheLadder(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas struct {
				Check struct {
					Properties struct {
						Escalations struct {
							PropertyNames struct {
								Enum []string `json:"enum"`
							} `json:"propertyNames"`
						} `json:"escalations"`
					} `json:"properties"`
				} `json:"Check"`
				PlanItem struct {
					Properties struct {
						Rule struct {
							Enum []string `json:"enum"`
						} `json:"rule"`
					} `json:"properties"`
				} `json:"PlanItem"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openapiJSON, &doc); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range notify.Rules() {
		want = append(want, string(r))
	}
	tests := []struct {
		name string
		enum []string
	}{
		{"the keys of a check's escalations are the rules", doc.Components.Schemas.Check.Properties.Escalations.PropertyNames.Enum},
		{"the rule of a plan item is one of the rules", doc.Components.Schemas.PlanItem.Properties.Rule.Enum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !slices.Equal(tt.enum, want) {
				t.Errorf("enum %v, want %v", tt.enum, want)
			}
		})
	}
}

// jsonFields lists the fields of a struct type as encoding/json writes them: the fields of an
// embedded struct without a tag are fields of the outer one.
func jsonFields(typ reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" && f.Type.Kind() == reflect.Struct {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		out = append(out, f)
	}
	return out
}
