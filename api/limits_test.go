package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// wantRetryAfter fails the test unless the answer says, in whole seconds, when to retry.
func wantRetryAfter(t *testing.T, what string, h http.Header) {
	t.Helper()
	if s, err := strconv.Atoi(h.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("%s: Retry-After = %q, want a whole number of seconds", what, h.Get("Retry-After"))
	}
}

// held is a request the service is serving that waits on its client: a new release whose body
// the client has not finished sending, as a slow client's would. It keeps its place among the
// requests in flight until released.
type held struct {
	body   *io.PipeWriter
	status chan int
	once   sync.Once
}

// hold starts a POST /api/v1/releases as who and returns once the service reads its body (it
// asks for it with 100 Continue): the request has passed every limit and holds its place.
func (e *env) hold(t *testing.T, who caller) *held {
	t.Helper()
	body, w := io.Pipe()
	reading := make(chan struct{})
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{Got100Continue: func() { close(reading) }})
	req, err := http.NewRequestWithContext(ctx, "POST", e.url+"/api/v1/releases", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+who.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	h := &held{body: w, status: make(chan int, 1)}
	go func() {
		// Not the contract-checking client: the answer, to a body cut short, is not the point.
		res, err := (&http.Client{Transport: http.DefaultTransport}).Do(req)
		if err != nil {
			h.status <- 0
			return
		}
		res.Body.Close()
		h.status <- res.StatusCode
	}()
	t.Cleanup(h.release)
	select {
	case <-reading:
	case status := <-h.status:
		t.Fatalf("a request meant to be held open was answered at once: %d", status)
	}
	return h
}

// release ends the request's body, unfinished, and waits for its answer.
func (h *held) release() {
	h.once.Do(func() {
		h.body.Close()
		<-h.status
	})
}

// getMaybeBusy is e.do for a GET that may rightly be answered 503, which e.do takes for a
// fault. The contract still checks the answer.
func (e *env) getMaybeBusy(t *testing.T, token, path string) *reply {
	t.Helper()
	req, err := http.NewRequest("GET", e.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &reply{method: "GET", path: path, status: res.StatusCode, header: res.Header, body: body}
}

// pageFrom asks for a page as a browser at the client address addr would, through the proxy
// the service trusts (X-Forwarded-For).
func (e *env) pageFrom(t *testing.T, addr, method, path string, form url.Values, cookies ...*http.Cookie) pageReply {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("X-Forwarded-For", addr)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := browserless().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return pageReply{res.StatusCode, res.Header, string(b)}
}

// wantRefusalPage fails the test unless a page answer is the status, as a page with the
// heading, and says when to retry.
func wantRefusalPage(t *testing.T, what string, res pageReply, status int, heading string) {
	t.Helper()
	if res.status != status || !strings.Contains(res.header.Get("Content-Type"), "text/html") || !strings.Contains(res.body, heading) {
		t.Errorf("%s: %d %s, want %d and a page saying %q", what, res.status, res.header.Get("Content-Type"), status, heading)
	}
	wantRetryAfter(t, what, res.header)
}

func TestOneUserCannotTakeTheCapacityEveryoneElseNeeds(t *testing.T) {
	type probe struct {
		who    string // a role of the env, or "nobody"
		page   bool   // as a signed-in browser rather than with the token
		path   string
		status int
	}
	tests := []struct {
		name             string
		overall, perUser int
		holders          []string // who keeps a slow request open
		probes           []probe
	}{
		{
			"a user with as many requests in progress as it may have is answered 429, on the API and the pages, while another user is answered",
			0, 2, []string{"police", "police"},
			[]probe{
				{"police", false, "/api/v1/me", 429},
				{"police", true, "/queue", 429},
				{"com", false, "/api/v1/me", 200},
				{"com", true, "/releases", 200},
			},
		},
		{
			"a service serving as many requests as it may answers 503 to anyone, and its health checks still answer",
			3, 0, []string{"police", "police", "com"},
			[]probe{
				{"manager", false, "/api/v1/me", 503},
				{"manager", true, "/dashboard", 503},
				{"nobody", false, "/api/v1/openapi.json", 503},
				{"nobody", true, "/sign-in", 503},
				{"nobody", false, "/healthz", 200},
				{"nobody", false, "/readyz", 200},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, nil, func(o *Options) { o.MaxInFlight, o.MaxInFlightPerUser = tc.overall, tc.perUser })
			users := map[string]caller{"police": e.police, "com": e.com, "manager": e.manager}
			sessions := map[string]*http.Cookie{}
			for name, u := range users {
				sessions[name] = e.signInWithForm(t, u.Token)
			}
			var holds []*held
			for _, who := range tc.holders {
				holds = append(holds, e.hold(t, users[who]))
			}
			for _, p := range tc.probes {
				what := fmt.Sprintf("%s %s as %s", map[bool]string{true: "page", false: "API"}[p.page], p.path, p.who)
				if p.page {
					var cookies []*http.Cookie
					if s := sessions[p.who]; s != nil {
						cookies = append(cookies, s)
					}
					res := e.page(t, "GET", p.path, nil, cookies...)
					if p.status == http.StatusOK {
						if res.status != p.status {
							t.Errorf("%s: %d, want %d", what, res.status, p.status)
						}
						continue
					}
					wantRefusalPage(t, what, res, p.status, map[int]string{429: "Too many requests", 503: "Sorry, the service is unavailable"}[p.status])
					continue
				}
				res := e.getMaybeBusy(t, users[p.who].Token, p.path)
				if p.status == http.StatusOK {
					want(t, res, p.status, nil)
					continue
				}
				wantProblem(t, res, p.status, "")
				wantRetryAfter(t, what, res.header)
			}
			// Once the slow requests end, everyone is answered again.
			for _, h := range holds {
				h.release()
			}
			for name, u := range users {
				want(t, e.do(t, u.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)
				if res := e.page(t, "GET", "/", nil, sessions[name]); res.status != http.StatusSeeOther {
					t.Errorf("the home page as %s once the slow requests ended: %d", name, res.status)
				}
			}
		})
	}
}

func TestAnAddressThatFailsToSignInTooOftenWaitsWhileOtherAddressesAreAnswered(t *testing.T) {
	e := newEnvWith(t, nil, func(o *Options) {
		o.TrustedProxies = []string{"127.0.0.1", "::1"}
		// Three failures at once, then one every 1000 minutes: none comes back during the test.
		o.SignInRate, o.SignInBurst = 0.001, 3
	})
	session := e.signInWithForm(t, e.police.Token)
	signInForm := func(t *testing.T, addr string) (url.Values, *http.Cookie) {
		t.Helper()
		form := e.pageFrom(t, addr, "GET", "/sign-in?hop=1", nil)
		m := csrfField.FindStringSubmatch(form.body)
		if m == nil {
			t.Fatalf("the sign-in form from %s: %d", addr, form.status)
		}
		return url.Values{"csrf_token": {m[1]}, "next": {"/"}}, cookieNamed(form.header, "sg_signin")
	}
	tests := []struct {
		name string
		// try makes one attempt from addr, with good or bad credentials, and returns the answer.
		try func(t *testing.T, addr string, good bool) pageReply
		// refused and accepted are the statuses of a bad and a good attempt.
		refused, accepted int
		page              bool
	}{
		{"sign-ins with a wrong token through the form", func(t *testing.T, addr string, good bool) pageReply {
			form, pre := signInForm(t, addr)
			form.Set("token", map[bool]string{true: e.police.Token, false: "sgt_" + strings.Repeat("0", 40)}[good])
			return e.pageFrom(t, addr, "POST", "/sign-in", form, pre)
		}, http.StatusUnauthorized, http.StatusSeeOther, true},
		{"API calls with a wrong bearer token", func(t *testing.T, addr string, good bool) pageReply {
			token := map[bool]string{true: e.police.Token, false: "sgt_" + strings.Repeat("1", 40)}[good]
			r := e.do(t, token, "GET", "/api/v1/me", nil, "X-Forwarded-For", addr)
			return pageReply{r.status, r.header, string(r.body)}
		}, http.StatusUnauthorized, http.StatusOK, false},
		{"pages with a session cookie that is no session", func(t *testing.T, addr string, good bool) pageReply {
			cookie := &http.Cookie{Name: "sg_session", Value: strings.Repeat("x", 43)}
			if good {
				cookie = session
			}
			return e.pageFrom(t, addr, "GET", "/queue", nil, cookie)
		}, http.StatusSeeOther, http.StatusOK, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			failing, other := fmt.Sprintf("203.0.113.%d", i+1), fmt.Sprintf("198.51.100.%d", i+1)
			for n := range 3 {
				if res := tc.try(t, failing, false); res.status != tc.refused {
					t.Fatalf("failure %d from %s: %d, want %d", n+1, failing, res.status, tc.refused)
				}
			}
			for _, good := range []bool{false, true} {
				what := fmt.Sprintf("from %s after 3 failures, good credentials %v", failing, good)
				res := tc.try(t, failing, good)
				if tc.page {
					wantRefusalPage(t, what, res, http.StatusTooManyRequests, "Too many requests")
					continue
				}
				if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, "/problems/rate_limited") {
					t.Errorf("%s: %d %s, want a 429 problem", what, res.status, res.body)
				}
				wantRetryAfter(t, what, res.header)
			}
			if res := tc.try(t, other, false); res.status != tc.refused {
				t.Errorf("a failure from %s: %d, want %d", other, res.status, tc.refused)
			}
			if res := tc.try(t, other, true); res.status != tc.accepted {
				t.Errorf("good credentials from %s: %d, want %d", other, res.status, tc.accepted)
			}
		})
	}
}

func TestRequestsWithoutSigningInAreLimitedByAddress(t *testing.T) {
	e := newEnvWith(t, nil, func(o *Options) {
		o.TrustedProxies = []string{"127.0.0.1", "::1"}
		o.AnonymousRate, o.AnonymousBurst = 0.001, 3
	})
	tests := []struct {
		name   string
		path   string
		status int
		page   bool
	}{
		{"the sign-in page", "/sign-in", http.StatusOK, true},
		{"a page, which sends the visitor to sign in", "/queue", http.StatusSeeOther, true},
		{"a page that does not exist", "/nowhere", http.StatusNotFound, true},
		{"an asset of the pages", "/assets/app/app.css", http.StatusOK, true},
		{"the API without a token", "/api/v1/me", http.StatusUnauthorized, false},
		{"the OpenAPI document", "/api/v1/openapi.json", http.StatusOK, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			busy, other := fmt.Sprintf("203.0.113.%d", i+1), fmt.Sprintf("198.51.100.%d", i+1)
			get := func(addr string) pageReply {
				if tc.page {
					return e.pageFrom(t, addr, "GET", tc.path, nil)
				}
				r := e.do(t, "", "GET", tc.path, nil, "X-Forwarded-For", addr)
				return pageReply{r.status, r.header, string(r.body)}
			}
			for n := range 3 {
				if res := get(busy); res.status != tc.status {
					t.Fatalf("request %d from %s: %d, want %d", n+1, busy, res.status, tc.status)
				}
			}
			res := get(busy)
			if tc.page {
				wantRefusalPage(t, "the fourth request from "+busy, res, http.StatusTooManyRequests, "Too many requests")
			} else {
				if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, "/problems/rate_limited") {
					t.Errorf("the fourth request from %s: %d %s, want a 429 problem", busy, res.status, res.body)
				}
				wantRetryAfter(t, "the fourth request from "+busy, res.header)
			}
			if res := get(other); res.status != tc.status {
				t.Errorf("a request from %s: %d, want %d", other, res.status, tc.status)
			}
			// A signed-in user at the same address, and the health checks, are not held back.
			want(t, e.do(t, e.com.Token, "GET", "/api/v1/me", nil, "X-Forwarded-For", busy), http.StatusOK, nil)
			want(t, e.do(t, "", "GET", "/healthz", nil, "X-Forwarded-For", busy), http.StatusOK, nil)
		})
	}
}

func TestAUserOverItsRateOnThePagesGetsAPageSaying429(t *testing.T) {
	// Three requests at once, then one every 1000 seconds: none comes back during the test.
	e := newEnvWith(t, nil, func(o *Options) { o.RateLimit, o.RateBurst = 0.001, 3 })
	tests := []struct {
		name       string
		as         caller
		home       string
		apiCalls   int
		pagesFirst int
	}{
		{"a user who opened three pages", e.police, "/queue", 0, 3},
		{"a user who made two API calls and opened a page: the API and the pages share one rate", e.com, "/releases", 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			session := e.signInWithForm(t, tc.as.Token)
			for range tc.apiCalls {
				want(t, e.do(t, tc.as.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)
			}
			for range tc.pagesFirst {
				if res := e.page(t, "GET", tc.home, nil, session); res.status != http.StatusOK {
					t.Fatalf("%s within the rate: %d", tc.home, res.status)
				}
			}
			wantRefusalPage(t, tc.home+" over the rate", e.page(t, "GET", tc.home, nil, session), http.StatusTooManyRequests, "Too many requests")
			wantProblem(t, e.do(t, tc.as.Token, "GET", "/api/v1/me", nil), http.StatusTooManyRequests, "")
		})
	}
	// Each of them used its own rate: a third user is answered.
	if res := e.page(t, "GET", "/dashboard", nil, e.signInWithForm(t, e.manager.Token)); res.status != http.StatusOK {
		t.Errorf("another user's page: %d, want 200", res.status)
	}
}

func TestTheLimitersKeepABoundedNumberOfKeys(t *testing.T) {
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// Each of keys takes taken tokens at start; then next asks for one at start+after.
		keys        []string
		taken       int
		after       time.Duration
		next        string
		wantAllowed bool
		wantKeys    int
	}{
		{"keys past the cap share one bucket instead of growing the map", []string{"a", "b", "c", "d", "e"}, 1, 0, "f", false, 3},
		{"buckets that have filled up again are forgotten", []string{"a", "b", "c"}, 1, 2 * time.Minute, "d", true, 1},
		{"buckets still filling up are kept", []string{"a", "b", "c"}, 2, time.Minute, "a", true, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A token a minute, two at once, at most three keys.
			b := newBuckets(1.0/60, 2)
			b.maxKeys = 3
			for _, k := range tc.keys {
				for range tc.taken {
					b.allow(k, start)
				}
			}
			if ok, _ := b.allow(tc.next, start.Add(tc.after)); ok != tc.wantAllowed {
				t.Errorf("%s allowed = %v, want %v", tc.next, ok, tc.wantAllowed)
			}
			if len(b.byKey) != tc.wantKeys {
				t.Errorf("%d keys, want %d", len(b.byKey), tc.wantKeys)
			}
		})
	}
}
