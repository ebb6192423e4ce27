package api

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/metrics"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

func TestMetricsAreServedToAdminsInPrometheusFormat(t *testing.T) {
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
	r := e.createRelease(t, e.com, nil)
	e.act(t, e.com, checkOf(t, r, "domestic_abuse").ID, "request", nil)

	res := e.do(t, e.admin.Token, "GET", "/metrics", nil)
	want(t, res, http.StatusOK, nil)
	body := string(res.body)
	for _, line := range []string{
		`safeguarding_checks{status="required",type="child_safeguarding"} 1`,
		`safeguarding_checks{status="requested",type="domestic_abuse"} 1`,
		`safeguarding_checks_overdue 0`,
		`safeguarding_outbox_emails{status="pending"} 0`,
		`safeguarding_http_request_duration_seconds_count{method="POST",route="/api/v1/releases",status="201"} 1`,
		`safeguarding_metrics_database_up 1`,
		`safeguarding_scheduler_last_run_timestamp_seconds 0`,
		// Every rule of the ladder has its series before it first fires.
		`safeguarding_escalations_recorded_total{rule="due_date_changed"} 0`,
		`safeguarding_escalations_recorded_total{rule="released_incomplete"} 0`,
	} {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	wantProblem(t, e.do(t, e.com.Token, "GET", "/metrics", nil), http.StatusForbidden, "")
	wantProblem(t, e.do(t, "", "GET", "/metrics", nil), http.StatusUnauthorized, "")
}

func TestAUserOverItsRateGets429WithRetryAfter(t *testing.T) {
	e := newEnvWith(t, nil, func(o *Options) { o.RateLimit, o.RateBurst = 1, 3 })
	for i := range 3 {
		want(t, e.do(t, e.com.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)
		_ = i
	}
	res := e.do(t, e.com.Token, "GET", "/api/v1/me", nil)
	wantProblem(t, res, http.StatusTooManyRequests, "")
	if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After = %q, want a whole number of seconds", res.header.Get("Retry-After"))
	}
	// The limit is per user: another user is not held back.
	want(t, e.do(t, e.manager.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)
}

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestEveryLogLineOfARequestCarriesItsIDAndNoPersonalData(t *testing.T) {
	var logs lockedBuffer
	e := newEnvWith(t, slog.New(slog.NewJSONHandler(&logs, nil)), nil)
	r := e.createRelease(t, e.com, nil)
	da := checkOf(t, r, "domestic_abuse")
	e.act(t, e.com, da.ID, "request", nil)
	e.do(t, e.police.Token, "POST", "/api/v1/checks/"+da.ID+"/response", asResponse, "X-Request-ID", "trace-42")
	e.do(t, e.com.Token, "GET", "/api/v1/checks/"+da.ID, nil)

	var tagged int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !strings.Contains(line, `"request_id":`) {
			t.Errorf("a log line without a request id: %s", line)
		}
		if strings.Contains(line, `"request_id":"trace-42"`) {
			tagged++
		}
		for _, secret := range []string{"John Smith", "1985-03-02", "call-outs", "A1234BC"} {
			if strings.Contains(line, secret) {
				t.Errorf("a log line holds %q: %s", secret, line)
			}
		}
	}
	if tagged != 1 {
		t.Errorf("%d lines carry the request id sent, want the one of that request", tagged)
	}
}

// The service on a database of its own (testenv.StartStoppable), which the test stops and
// starts again.
func TestWhileTheDatabaseIsDownTheAPIAnswers503AndRecoversWhenItIsBack(t *testing.T) {
	ctx := context.Background()
	db := testenv.StartStoppable(t)
	client, err := mongo.Connect(options.Client().ApplyURI(db.URI).
		SetServerSelectionTimeout(2 * time.Second).SetTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(ctx) })
	st := store.New(client.Database("outage"), testenv.Logger())
	svc := checks.NewService(st, testenv.At(t, "2026-11-24T09:00:00Z"),
		checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}, testenv.Logger())
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.CreateUser(ctx, checks.System("test"), checks.UserInput{Name: "C", Email: "c@example.org", Role: "com", Team: "T1"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(svc, testenv.Logger(), Options{Ready: st.Ping, RequestTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("GET %s did not answer: %v", path, err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res, b.Bytes()
	}
	if res, body := get("/api/v1/checks"); res.StatusCode != http.StatusOK {
		t.Fatalf("before the outage: %d %s", res.StatusCode, body)
	}

	db.Stop(t)
	for _, path := range []string{"/api/v1/checks", "/readyz"} {
		res, body := get(path)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") ||
			res.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s during the outage: %d %s %s, want a 503 problem with Retry-After", path, res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	if res, _ := get("/healthz"); res.StatusCode != http.StatusOK {
		t.Errorf("/healthz during the outage: %d, want 200 (the process is up)", res.StatusCode)
	}

	db.Start(t)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, body := get("/api/v1/checks")
		if res.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the database came back the API still answers %d %s", res.StatusCode, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if res, _ := get("/readyz"); res.StatusCode != http.StatusOK {
		t.Errorf("/readyz after the outage: %d", res.StatusCode)
	}
}

func TestAPanicIsAnswered500WithoutAStackTrace(t *testing.T) {
	var logs lockedBuffer
	svc := checks.NewService(store.New(testenv.Database(t), testenv.Logger()), testenv.At(t, "2026-11-24T09:00:00Z"),
		checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}, testenv.Logger())
	h, err := New(svc, slog.New(slog.NewTextHandler(&logs, nil)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A route that panics, added for this test only.
	h.(interface {
		GET(string, ...gin.HandlerFunc) gin.IRoutes
	}).GET("/boom", func(*gin.Context) { panic("a secret in the panic") })
	srv := httptest.NewServer(h)
	defer srv.Close()
	// A client of its own: /boom is not in the contract that checks the default client.
	res, err := (&http.Client{}).Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	if res.StatusCode != http.StatusInternalServerError || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("a panic answered %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, leak := range []string{"goroutine", "a secret", ".go:"} {
		if strings.Contains(b.String(), leak) {
			t.Errorf("the answer leaks %q: %s", leak, b.String())
		}
	}
	if !strings.Contains(logs.String(), "a secret in the panic") || !strings.Contains(logs.String(), "goroutine") {
		t.Error("the panic and its stack are not in the log")
	}
}
