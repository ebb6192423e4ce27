package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/internal/testenv"
)

// A client that hangs up before its answer is not a fault of the service: its request is
// logged (and counted) as abandoned, status 499 "client closed request", at info level, and
// nothing about it is logged as an error. Each request is held at the database (a proxy
// keeps one of its queries from the server) and the client hangs up once it is held.
func TestARequestTheClientAbandonsIsLoggedAs499NotAsAnError(t *testing.T) {
	var logs lockedBuffer
	type observed struct {
		route  string
		status int
	}
	answered := make(chan observed, 100)
	proxy := testenv.StartDBProxy(t, "")
	name := testenv.DatabaseName(t)
	e := newEnvOn(t, connect(t, proxy.URI(testenv.RealEngine())).Database(name), slog.New(slog.NewJSONHandler(&logs, nil)),
		func(o *Options) {
			o.Observe = func(route, _ string, status int, _ time.Duration) { answered <- observed{route, status} }
			// A request's time bound cancels its context once it is answered: that is not the
			// client hanging up.
			o.RequestTimeout = time.Minute
		})
	session := e.signInWithForm(t, e.com.Token)
	email := strings.Repeat("ab", 32)

	for _, tc := range []struct {
		name, method, path, route string
		page                      bool
		command, coll             string // the query held
	}{
		{"listing the outbox", "GET", "/api/v1/outbox", "/api/v1/outbox", false, "find", "outbox"},
		{"reading an email of the outbox", "GET", "/api/v1/outbox/" + email, "/api/v1/outbox/:id", false, "find", "outbox"},
		{"retrying an email of the outbox", "POST", "/api/v1/outbox/" + email + "/retry", "/api/v1/outbox/:id/retry", false, "find", "outbox"},
		{"an escalation run", "POST", "/api/v1/escalations/run", "/api/v1/escalations/run", false, "update", "leases"},
		{"the releases page", "GET", "/releases", "/releases", true, "find", "releases"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hold := proxy.Hold(name, tc.command, tc.coll)
			defer hold.Release()
			ctx, hangUp := context.WithCancel(context.Background())
			defer hangUp()
			req, _ := http.NewRequestWithContext(ctx, tc.method, e.url+tc.path, nil)
			id := "abandoned-" + strings.ReplaceAll(tc.route, "/", "-")
			req.Header.Set("X-Request-ID", id)
			if tc.page {
				req.AddCookie(session)
			} else {
				req.Header.Set("Authorization", "Bearer "+e.admin.Token)
			}
			gone := make(chan error, 1)
			go func() {
				res, err := browserless().Do(req)
				if err == nil {
					res.Body.Close()
				}
				gone <- err
			}()
			<-hold.Held()
			hangUp()
			if err := <-gone; err == nil {
				t.Fatal("the request was answered before the client hung up")
			}
			for o := range answered {
				if o.route == tc.route {
					if o.status != 499 {
						t.Errorf("the abandoned request was counted with status %d, want 499", o.status)
					}
					break
				}
			}
			var line map[string]any
			for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var rec map[string]any
				if json.Unmarshal([]byte(l), &rec) != nil || rec["request_id"] != id {
					continue
				}
				if rec["level"] == "ERROR" {
					t.Errorf("the abandoned request logged an error: %s", l)
				}
				if rec["msg"] == "request" {
					line = rec
				}
			}
			if line == nil || line["status"] != float64(499) || line["level"] != "INFO" {
				t.Errorf("the request's log line is %v, want status 499 at level INFO", line)
			}
		})
	}

	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/outbox", nil), http.StatusOK, nil)
	for o := range answered {
		if o.route == "/api/v1/outbox" {
			if o.status != http.StatusOK {
				t.Errorf("a request answered 200 was counted with status %d", o.status)
			}
			break
		}
	}
}
