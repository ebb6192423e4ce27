package api

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
)

// Single sign-on is tested against a real OpenID Connect provider over HTTP on loopback:
// zitadel's op package, with its example storage and login form, and users of the test's
// own. A Go client with a cookie jar is the browser, following the redirects as one does.

const idpPassword = "correct horse battery staple"

// startIdP starts the provider with a client for redirect and returns its issuer URL.
func startIdP(t *testing.T, redirect string) string {
	t.Helper()
	user := func(id, email string, verified bool) testenv.IdPUser {
		return testenv.IdPUser{ID: id, Password: idpPassword, FirstName: "A", LastName: "Person", Email: email, EmailVerified: verified}
	}
	return testenv.StartIdP(t, "127.0.0.1", testenv.IdPClient{ID: "safeguarding", Secret: "client-secret-for-tests", Redirect: redirect},
		user("pat", "Pat@Police.example.org", true), // the Met's liaison, in another case
		user("colm", "colm@example.org", false),     // the COM, unverified at the provider
		user("nobody", "nobody@police.example.org", true),
		user("cal", "cal@police.example.org", true), // deactivated in the service
		user("chris", "chris@la.example.org", true), // not of the issuer's domains
		user("olly", "olly@example.org", true),
		user("unknown", "", false),
	)
}

// newSSOEnv is the service with the provider configured as issuer "test", for two domains.
func newSSOEnv(t *testing.T) (*env, string) {
	t.Helper()
	var issuer string
	e := newEnvWith(t, nil, func(o *Options) {
		issuer = startIdP(t, o.BaseURL+"/sign-in/oidc/test/callback")
		o.OIDC = []OIDCIssuer{{ID: "test", Name: "Test Police", Issuer: issuer, ClientID: "safeguarding",
			ClientSecret: "client-secret-for-tests", Domains: []string{"police.example.org", "example.org"}}}
		o.TokenSignIn = false
	})
	return e, issuer
}

// ssoBrowser is a browser: a cookie jar, following redirects except into the service's
// callback, where it stops so that the test sees (and may change) what the provider sent.
func ssoBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasSuffix(req.URL.Path, "/callback") && strings.HasPrefix(req.URL.Path, "/sign-in/oidc/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// toCallback presses "Sign in with Test Police" (going on to next), signs in at the provider
// as username, and returns the address the provider sends the browser back to.
func toCallback(t *testing.T, e *env, b *http.Client, issuer, username, next string) *url.URL {
	t.Helper()
	res, err := b.Get(e.url + "/sign-in/oidc/test?next=" + url.QueryEscape(next))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id := res.Request.URL.Query().Get("authRequestID")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Request.URL.String(), issuer+"/login/username") || id == "" {
		t.Fatalf("the sign-in button led to %d %s, want the provider's login form", res.StatusCode, res.Request.URL)
	}
	start := res.Request.URL
	if q := firstRequest(res).URL.Query(); q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" {
		t.Errorf("the authorization request %s lacks PKCE (S256), state or nonce", start)
	}
	res, err = b.PostForm(issuer+"/login/username", url.Values{"username": {username}, "password": {idpPassword}, "id": {id}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	back, err := res.Location()
	if err != nil || !strings.HasPrefix(back.String(), e.url+"/sign-in/oidc/test/callback") {
		t.Fatalf("after the provider's login the browser was sent to %v (%d), want the service's callback", back, res.StatusCode)
	}
	return back
}

// firstRequest is the request a chain of redirects went through after the first: the
// authorization request the service sent the browser to.
func firstRequest(res *http.Response) *http.Request {
	req := res.Request
	var chain []*http.Request
	for r := req; r != nil; {
		chain = append([]*http.Request{r}, chain...)
		if r.Response == nil {
			break
		}
		r = r.Response.Request
	}
	if len(chain) > 1 {
		return chain[1]
	}
	return req
}

// arrive follows the callback address in the browser, without following its redirect.
func arrive(t *testing.T, b *http.Client, back *url.URL) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", back.String(), nil)
	once := &http.Client{Jar: b.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := once.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func TestSingleSignOnSignsInTheActiveUserWithTheVerifiedEmailAndGoesOnToNext(t *testing.T) {
	e, issuer := newSSOEnv(t)
	b := ssoBrowser(t)
	back := toCallback(t, e, b, issuer, "pat", "/queue?page=1")
	login := cookieOf(b, e.url+"/sign-in/oidc/test/callback", oidcCookie)
	if login == "" {
		t.Fatal("the browser holds no login cookie for the round trip")
	}
	res, body := arrive(t, b, back)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/queue?page=1" {
		t.Fatalf("the callback answered %d to %q, want 303 to /queue?page=1: %s", res.StatusCode, res.Header.Get("Location"), body)
	}
	session := cookieNamed(res.Header, sessionCookie)
	if session == nil || session.SameSite != http.SameSiteStrictMode || !session.HttpOnly {
		t.Fatalf("the session cookie is %+v, want a Strict, HttpOnly one", session)
	}
	if cookieOf(b, e.url+"/sign-in/oidc/test/callback", oidcCookie) != "" {
		t.Error("the login cookie outlived its round trip")
	}
	page := e.page(t, "GET", "/queue", nil, session)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Pat Police") {
		t.Errorf("the queue after single sign-on: %d, want Pat Police's", page.status)
	}
}

func TestTheLoginCookieIsLaxShortLivedAndForTheSignInPathOnly(t *testing.T) {
	e, _ := newSSOEnv(t)
	res := e.page(t, "GET", "/sign-in/oidc/test?next=/queue", nil)
	c := cookieNamed(res.header, oidcCookie)
	if res.status != http.StatusSeeOther || c == nil {
		t.Fatalf("the sign-in button answered %d without a login cookie", res.status)
	}
	if c.SameSite != http.SameSiteLaxMode || c.Path != "/sign-in/oidc" || c.MaxAge <= 0 || c.MaxAge > 600 || !c.HttpOnly {
		t.Errorf("the login cookie is %+v, want Lax, HttpOnly, path /sign-in/oidc, at most 10 minutes", c)
	}
	if strings.Contains(c.Value, "client-secret-for-tests") {
		t.Error("the login cookie carries the client secret")
	}
}

func TestSingleSignOnIsRefused(t *testing.T) {
	e, issuer := newSSOEnv(t)
	ctx := context.Background()
	if _, err := e.svc.SetUserActive(ctx, checks.System("test"), e.otherPolice.ID, false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, username string
		change         func(*url.URL)
		status         int
		says           string
	}{
		{"when the state is not the one this browser started with", "pat", func(u *url.URL) {
			q := u.Query()
			q.Set("state", "not-the-state")
			u.RawQuery = q.Encode()
		}, http.StatusBadRequest, "did not match the sign-in this browser started"},
		{"when the provider has not verified the email", "colm", nil, http.StatusUnauthorized, "verified email address"},
		{"when the provider gives no email", "unknown", nil, http.StatusUnauthorized, "verified email address"},
		{"when no user has the email (no self-registration)", "nobody", nil, http.StatusForbidden, "You do not have access"},
		{"when the user with the email is deactivated", "cal", nil, http.StatusForbidden, "You do not have access"},
		{"when the email is not of the issuer's domains", "chris", nil, http.StatusUnauthorized, "verified email address"},
		{"when the code is missing", "pat", func(u *url.URL) {
			q := u.Query()
			q.Del("code")
			u.RawQuery = q.Encode()
		}, http.StatusUnauthorized, "Sign-in could not be completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ssoBrowser(t)
			back := toCallback(t, e, b, issuer, tt.username, "/")
			if tt.change != nil {
				tt.change(back)
			}
			res, body := arrive(t, b, back)
			if res.StatusCode != tt.status || !strings.Contains(body, tt.says) {
				t.Errorf("the callback answered %d, want %d saying %q: %s", res.StatusCode, tt.status, tt.says, body)
			}
			if cookieNamed(res.Header, sessionCookie) != nil {
				t.Error("a refused sign-in set a session cookie")
			}
		})
	}
}

func TestACodeUsedOnceIsRefusedTheSecondTime(t *testing.T) {
	e, issuer := newSSOEnv(t)
	b := ssoBrowser(t)
	back := toCallback(t, e, b, issuer, "olly", "/")
	cb, _ := url.Parse(e.url + "/sign-in/oidc/test/callback")
	saved := b.Jar.Cookies(cb)
	if res, body := arrive(t, b, back); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("the first use of the code answered %d: %s", res.StatusCode, body)
	}
	// The same browser, its login cookie put back as it was: only the code is stale now.
	b.Jar.SetCookies(cb, saved)
	res, body := arrive(t, b, back)
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Sign-in could not be completed") || cookieNamed(res.Header, sessionCookie) != nil {
		t.Errorf("the code used again answered %d with session %v: %s", res.StatusCode, cookieNamed(res.Header, sessionCookie), body)
	}
}

func TestTheSignInPageOffersEachIssuerAndWhomToContact(t *testing.T) {
	e := newEnvWith(t, nil, func(o *Options) {
		o.OIDC = []OIDCIssuer{{ID: "met", Name: "Metropolitan Police", Issuer: "https://login.example.org/met/v2.0", ClientID: "x", ClientSecret: "y", Domains: []string{"met.example.org"}}}
		o.SupportEmail = "help@probation.example.org"
	})
	page := e.page(t, "GET", "/sign-in?hop=1&next=%2Fchecks%2Fabc", nil)
	for _, want := range []string{`href="/sign-in/oidc/met?next=%2Fchecks%2Fabc"`, "Sign in with Metropolitan Police",
		`href="mailto:help@probation.example.org"`, `action="/sign-in/email"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the sign-in page lacks %s", want)
		}
	}
}

func cookieOf(b *http.Client, at, name string) string {
	u, _ := url.Parse(at)
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}
