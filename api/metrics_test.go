package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/metrics"
	"github.com/probation/safeguarding/notify"
)

// newEnvWithMetrics is newEnvWith serving /metrics from a real registry, fed by every request.
func newEnvWithMetrics(t *testing.T, opts func(*Options)) *env {
	t.Helper()
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
		if opts != nil {
			opts(o)
		}
	})
	return e
}

// requestSeries are the label sets of the request-duration histogram in a scrape.
var requestSeries = regexp.MustCompile(`(?m)^safeguarding_http_request_duration_seconds_count\{(.*)\} `)

// seriesOf scrapes /metrics as the admin and returns the request histogram's label sets.
func (e *env) seriesOf(t *testing.T) []string {
	t.Helper()
	res := e.do(t, e.admin.Token, "GET", "/metrics", nil)
	want(t, res, http.StatusOK, nil)
	var out []string
	for _, m := range requestSeries.FindAllStringSubmatch(string(res.body), -1) {
		out = append(out, m[1])
	}
	return out
}

func TestMadeUpMethodsAddNoMetricSeries(t *testing.T) {
	e := newEnvWithMetrics(t, nil)
	// A client of its own: made-up methods are not in the contract the default client checks.
	client := &http.Client{}
	const distinct = 300
	tests := []struct {
		name, path string
	}{
		{"made-up methods on a page, without signing in", "/"},
		{"made-up methods on an API endpoint, with a valid token", "/api/v1/me"},
		{"made-up methods on a path that is not routed", "/nowhere"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i := range distinct {
				req, err := http.NewRequest(fmt.Sprintf("FOO%d", i), e.url+tc.path, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+e.admin.Token)
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
			}
		})
	}
	series := e.seriesOf(t)
	var madeUp []string
	for _, s := range series {
		if strings.Contains(s, `method="FOO`) {
			madeUp = append(madeUp, s)
		}
	}
	if len(madeUp) > 0 {
		t.Errorf("%d series labelled with a made-up method, e.g. {%s}", len(madeUp), madeUp[0])
	}
	// The scrape itself and a few statuses per route: nowhere near one per made-up method.
	if len(series) > 10 {
		t.Errorf("%d request series after %d made-up methods on %d paths, want a handful", len(series), distinct, len(tests))
	}
	if !strings.Contains(strings.Join(series, "\n"), `method="other"`) {
		t.Errorf("no series with method=\"other\" among:\n%s", strings.Join(series, "\n"))
	}
}
