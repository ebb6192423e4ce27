package api

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browserless is a client for the pages that does not follow redirects and keeps no cookies
// of its own: each test says what it sends. It bypasses the API contract check, which is
// about the JSON API.
func browserless() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type pageReply struct {
	status int
	header http.Header
	body   string
}

func (e *env) page(t *testing.T, method, path string, form url.Values, cookies ...*http.Cookie) pageReply {
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

func cookieNamed(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// signInWithForm signs in through the form and returns the session cookie.
func (e *env) signInWithForm(t *testing.T, token string) *http.Cookie {
	t.Helper()
	form := e.page(t, "GET", "/sign-in?hop=1", nil)
	m := csrfField.FindStringSubmatch(form.body)
	pre := cookieNamed(form.header, "sg_signin")
	if m == nil || pre == nil {
		t.Fatalf("the sign-in form lacks its CSRF token or cookie: %d %s", form.status, form.body)
	}
	res := e.page(t, "POST", "/sign-in", url.Values{"csrf_token": {m[1]}, "token": {token}, "next": {"/"}}, pre)
	session := cookieNamed(res.header, "sg_session")
	if res.status != http.StatusSeeOther || session == nil {
		t.Fatalf("sign-in answered %d without a session cookie: %s", res.status, res.body)
	}
	return session
}

func TestAVisitorIsSentToSignInAndASignedInUserToTheirHomePage(t *testing.T) {
	e := newEnv(t)
	res := e.page(t, "GET", "/", nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/sign-in?next=%2F" {
		t.Fatalf("GET / without a session: %d to %q, want 303 to /sign-in", res.status, res.header.Get("Location"))
	}
	form := e.page(t, "GET", "/sign-in", nil)
	for _, want := range []string{`name="token"`, `name="csrf_token"`, `<form method="post" action="/sign-in"`} {
		if !strings.Contains(form.body, want) {
			t.Errorf("the sign-in page lacks %s", want)
		}
	}
	session := e.signInWithForm(t, e.police.Token)
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Strict, Path=/", session)
	}
	for token, home := range map[string]string{e.police.Token: "/queue", e.com.Token: "/releases", e.manager.Token: "/dashboard", e.admin.Token: "/admin"} {
		res := e.page(t, "GET", "/", nil, e.signInWithForm(t, token))
		if res.status != http.StatusSeeOther || res.header.Get("Location") != home {
			t.Errorf("GET / signed in: %d to %q, want %s", res.status, res.header.Get("Location"), home)
		}
	}
	// A token is not a session: the pages take the cookie only.
	req, _ := http.NewRequest("GET", e.url+"/queue", nil)
	req.Header.Set("Authorization", "Bearer "+e.police.Token)
	if res, err := browserless().Do(req); err != nil || res.StatusCode != http.StatusSeeOther {
		t.Errorf("a page with a bearer token and no session: %v %v, want the sign-in redirect", res.StatusCode, err)
	}
}

func TestSignInRefusesAMissingCSRFTokenAndABadToken(t *testing.T) {
	e := newEnv(t)
	form := e.page(t, "GET", "/sign-in?hop=1", nil)
	pre := cookieNamed(form.header, "sg_signin")
	res := e.page(t, "POST", "/sign-in", url.Values{"token": {e.com.Token}}, pre)
	if res.status != http.StatusForbidden || cookieNamed(res.header, "sg_session") != nil {
		t.Errorf("sign-in without csrf_token: %d, session cookie %v; want 403 and none", res.status, cookieNamed(res.header, "sg_session"))
	}
	m := csrfField.FindStringSubmatch(form.body)
	res = e.page(t, "POST", "/sign-in", url.Values{"csrf_token": {m[1]}, "token": {"sgt_wrong"}}, pre)
	if res.status != http.StatusUnauthorized || !strings.Contains(res.body, "Enter a valid token") {
		t.Errorf("sign-in with a bad token: %d", res.status)
	}
}

func TestSigningOutEndsTheSession(t *testing.T) {
	e := newEnv(t)
	session := e.signInWithForm(t, e.com.Token)
	page := e.page(t, "GET", "/releases", nil, session)
	m := csrfField.FindStringSubmatch(page.body)
	if page.status != http.StatusOK || m == nil {
		t.Fatalf("the releases page: %d", page.status)
	}
	res := e.page(t, "POST", "/sign-out", url.Values{"csrf_token": {m[1]}}, session)
	if res.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", res.status)
	}
	if res := e.page(t, "GET", "/releases", nil, session); res.status != http.StatusSeeOther {
		t.Errorf("after signing out the old cookie still opens the page: %d", res.status)
	}
}

func TestAnsweringTwiceSaysTheCheckHasAlreadyChanged(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	da := checkOf(t, r, "domestic_abuse")
	e.act(t, e.com, da.ID, "request", nil)
	session := e.signInWithForm(t, e.police.Token)
	page := e.page(t, "GET", "/checks/"+da.ID, nil, session)
	m := csrfField.FindStringSubmatch(page.body)
	if page.status != http.StatusOK || m == nil {
		t.Fatalf("the request page: %d", page.status)
	}
	answer := url.Values{"csrf_token": {m[1]}, "outcome": {"no_information"}}
	if res := e.page(t, "POST", "/checks/"+da.ID+"/response", answer, session); res.status != http.StatusSeeOther {
		t.Fatalf("the first answer: %d %s", res.status, res.body)
	}
	res := e.page(t, "POST", "/checks/"+da.ID+"/response", answer, session)
	if res.status != http.StatusConflict || !strings.Contains(res.body, "This has already changed") {
		t.Errorf("the second answer: %d, want 409 saying the check already changed", res.status)
	}
}
