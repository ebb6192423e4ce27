package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
)

func TestTokenSignInIsOffByDefault(t *testing.T) {
	if (Options{}).TokenSignIn {
		t.Fatal("the zero Options turn token sign-in on")
	}
	e := newEnvWith(t, nil, func(o *Options) { o.TokenSignIn = false })
	form := e.page(t, "GET", "/sign-in?hop=1", nil)
	if strings.Contains(form.body, `name="token"`) || strings.Contains(form.body, `action="/sign-in"`) {
		t.Error("the sign-in page offers token sign-in while it is off")
	}
	m, pre := csrfField.FindStringSubmatch(form.body), cookieNamed(form.header, signInCookie)
	if m == nil || pre == nil {
		t.Fatalf("the sign-in page has no form: %d", form.status)
	}
	res := e.page(t, "POST", "/sign-in", url.Values{"csrf_token": {m[1]}, "token": {e.com.Token}, "next": {"/"}}, pre)
	if res.status != http.StatusNotFound || cookieNamed(res.header, sessionCookie) != nil {
		t.Errorf("a valid token posted while token sign-in is off: %d, session %v; want 404 and none", res.status, cookieNamed(res.header, sessionCookie))
	}
}

func TestSessionsEnd(t *testing.T) {
	tests := []struct {
		name string
		// end does what should end the session signed in with token (a spare token of the
		// COM's, whose id is tokenID).
		end func(t *testing.T, e *env, tokenID string, session *http.Cookie)
	}{
		{"when the token they signed in with is revoked", func(t *testing.T, e *env, tokenID string, _ *http.Cookie) {
			want(t, e.do(t, e.admin.Token, "POST", "/api/v1/tokens/"+tokenID+"/revoke", nil), http.StatusOK, nil)
		}},
		{"when their user is deactivated, and stay ended on reactivation", func(t *testing.T, e *env, _ string, session *http.Cookie) {
			want(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.com.ID+"/deactivate", nil), http.StatusOK, nil)
			want(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.com.ID+"/activate", nil), http.StatusOK, nil)
		}},
		{"after 30 minutes unused", func(t *testing.T, e *env, _ string, session *http.Cookie) {
			e.clock.Advance(checks.SessionIdle)
		}},
		{"after 8 hours, however busy", func(t *testing.T, e *env, _ string, session *http.Cookie) {
			for elapsed := time.Duration(0); elapsed < checks.SessionLength; elapsed += 20 * time.Minute {
				e.clock.Advance(20 * time.Minute)
				if elapsed+20*time.Minute < checks.SessionLength {
					// Used every 20 minutes: never idle.
					if res := e.page(t, "GET", "/releases", nil, session); res.status != http.StatusOK {
						t.Fatalf("the session used every 20 minutes ended after %s: %d", elapsed+20*time.Minute, res.status)
					}
				}
			}
		}},
		{"when the token they signed in with expires", func(t *testing.T, e *env, _ string, session *http.Cookie) {
			e.clock.Advance(24 * time.Hour)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			var tok struct {
				ID    string `json:"id"`
				Token string `json:"token"`
			}
			want(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.com.ID+"/tokens", map[string]any{"label": "laptop", "expires_in_days": 1}), http.StatusCreated, &tok)
			spare := e.signInWithForm(t, tok.Token)
			other := e.signInWithForm(t, e.com.Token)
			if res := e.page(t, "GET", "/releases", nil, spare); res.status != http.StatusOK {
				t.Fatalf("the new session: %d", res.status)
			}
			tt.end(t, e, tok.ID, spare)
			res := e.page(t, "GET", "/releases", nil, spare)
			if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/sign-in") {
				t.Errorf("the session still opens pages: %d to %q", res.status, res.header.Get("Location"))
			}
			if strings.HasSuffix(tt.name, "is revoked") {
				// The user's session from another token is not the revoked one's.
				if res := e.page(t, "GET", "/releases", nil, other); res.status != http.StatusOK {
					t.Errorf("the user's other session ended too: %d", res.status)
				}
			}
		})
	}
}

func TestAnExpiredTokenIsRefusedAndTheListShowsExpiryAndLastUse(t *testing.T) {
	e := newEnv(t)
	var tok struct {
		ID, Token string
	}
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.com.ID+"/tokens", map[string]any{"expires_in_days": 2}), http.StatusCreated, &tok)
	want(t, e.do(t, tok.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)
	var list apiList[struct {
		ID         string     `json:"id"`
		ExpiresAt  time.Time  `json:"expires_at"`
		LastUsedAt *time.Time `json:"last_used_at"`
	}]
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/users/"+e.com.ID+"/tokens", nil), http.StatusOK, &list)
	now := e.clock.Now()
	for _, it := range list.Items {
		switch it.ID {
		case checks.HashToken(tok.Token):
			if !it.ExpiresAt.Equal(now.Add(48*time.Hour)) || it.LastUsedAt == nil || !it.LastUsedAt.Equal(now) {
				t.Errorf("the new token lists as expiring %s, last used %v; want %s and %s", it.ExpiresAt, it.LastUsedAt, now.Add(48*time.Hour), now)
			}
		case checks.HashToken(e.com.Token):
			if !it.ExpiresAt.Equal(now.Add(checks.DefaultTokenLifetime)) || it.LastUsedAt != nil {
				t.Errorf("the first token lists as expiring %s, last used %v; want 90 days on and never", it.ExpiresAt, it.LastUsedAt)
			}
		}
	}
	e.clock.Advance(48 * time.Hour)
	want(t, e.do(t, tok.Token, "GET", "/api/v1/me", nil), http.StatusUnauthorized, nil)
	// Issuing refuses a lifetime out of bounds, naming the field.
	for _, days := range []any{0, 731, "ninety"} {
		res := e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.com.ID+"/tokens", map[string]any{"expires_in_days": days})
		if res.status < 400 || res.status >= 500 || !strings.Contains(string(res.body), "expires_in_days") {
			t.Errorf("expires_in_days %v: %s", days, res)
		}
	}
}

func TestATokenStoredWithoutAnExpiryExpires90DaysAfterItWasMade(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	hash := checks.HashToken(e.com.Token)
	if _, err := e.store.Database().Collection("tokens").UpdateByID(ctx, hash, map[string]any{"$unset": map[string]any{"expires_at": ""}}); err != nil {
		t.Fatal(err)
	}
	want(t, e.do(t, e.com.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)
	e.clock.Advance(checks.DefaultTokenLifetime)
	// Past the cache of tokens seen, which is in real time: a fresh service reads the store.
	fresh := checks.NewService(e.store, e.clock, e.svc.Deadlines(), testenv.Logger())
	if _, err := fresh.Authenticate(ctx, e.com.Token); checks.ErrorCode(err) != checks.EUNAUTHORIZED {
		t.Errorf("a token stored without an expiry, 90 days on: %v, want EUNAUTHORIZED", err)
	}
}

func TestNextIsOnlyAPathOnThisSite(t *testing.T) {
	tests := []struct{ name, next, want string }{
		{"a path is kept", "/checks/abc?x=1#top", "/checks/abc?x=1#top"},
		{"another host is refused", "//evil.example/x", "/"},
		{"a backslash is refused", "/\\evil.example", "/"},
		{"a scheme is refused", "https://evil.example/", "/"},
		{"a javascript URL is refused", "javascript:alert(1)", "/"},
		{"a tab is refused", "/\t/evil.example", "/"},
		{"a carriage return is refused", "/ok\r", "/"},
		{"a line feed is refused", "/ok\nSet-Cookie: x=y", "/"},
		{"a relative path is refused", "checks/abc", "/"},
		{"nothing is home", "", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := safeNext(tt.next); got != tt.want {
				t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
			}
		})
	}
}

func TestASignedInBrowserIsSentOnlyToAPathOnThisSite(t *testing.T) {
	e := newEnv(t)
	session := e.signInWithForm(t, e.com.Token)
	for _, next := range []string{"//evil.example", "/\t/evil.example", "/\\evil.example", "https://evil.example"} {
		res := e.page(t, "GET", "/sign-in?hop=1&next="+url.QueryEscape(next), nil, session)
		if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
			t.Errorf("next=%q sent a signed-in browser to %q", next, res.header.Get("Location"))
		}
	}
}

func TestOnHTTPSTheCookiesArePrefixedAndAnswersCarryHSTS(t *testing.T) {
	e := newEnvWith(t, nil, func(o *Options) { o.SecureCookies = true })
	form := e.page(t, "GET", "/sign-in?hop=1", nil)
	if form.header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS on https")
	}
	pre := cookieNamed(form.header, "__Secure-"+signInCookie)
	m := csrfField.FindStringSubmatch(form.body)
	if pre == nil || !pre.Secure || m == nil {
		t.Fatalf("the sign-in cookie on https is %+v", pre)
	}
	res := e.page(t, "POST", "/sign-in", url.Values{"csrf_token": {m[1]}, "token": {e.com.Token}, "next": {"/releases"}}, pre)
	session := cookieNamed(res.header, "__Host-"+sessionCookie)
	if res.status != http.StatusSeeOther || session == nil || !session.Secure || session.Path != "/" || session.Domain != "" {
		t.Fatalf("signing in on https: %d, session cookie %+v; want __Host-, Secure, path /, no domain", res.status, session)
	}
	if page := e.page(t, "GET", "/releases", nil, session); page.status != http.StatusOK {
		t.Errorf("the __Host- session opens no page: %d", page.status)
	}
	if plain := e.newEnvPlain(t); plain.header.Get("Strict-Transport-Security") != "" {
		t.Error("HSTS on http")
	}
}

func (e *env) newEnvPlain(t *testing.T) pageReply {
	t.Helper()
	return newEnv(t).page(t, "GET", "/sign-in?hop=1", nil)
}

func TestSignedInPagesCarryTheTimeoutWarningAndStayingSignedInKeepsTheSession(t *testing.T) {
	e := newEnv(t)
	session := e.signInWithForm(t, e.com.Token)
	page := e.page(t, "GET", "/releases", nil, session)
	for _, want := range []string{`<dialog class="app-timeout-warning"`, `data-idle-seconds="1800"`,
		`<noscript><meta http-equiv="refresh" content="1800;url=/session/ended"></noscript>`, `action="/session/keep-alive"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("a signed-in page lacks %s", want)
		}
	}
	if signIn := e.page(t, "GET", "/sign-in?hop=1", nil); strings.Contains(signIn.body, "app-timeout-warning") {
		t.Error("the sign-in page carries the timeout warning")
	}
	e.clock.Advance(25 * time.Minute)
	res := e.page(t, "POST", "/session/keep-alive", url.Values{"csrf_token": {e.csrfOf(t, session)}}, session)
	if res.status != http.StatusNoContent || res.header.Get("Session-Idle-Seconds") != "1800" {
		t.Fatalf("staying signed in: %d, idle %q", res.status, res.header.Get("Session-Idle-Seconds"))
	}
	e.clock.Advance(25 * time.Minute)
	if res := e.page(t, "GET", "/releases", nil, session); res.status != http.StatusOK {
		t.Errorf("50 minutes after signing in, 25 after staying signed in: %d", res.status)
	}
	if ended := e.page(t, "GET", "/session/ended", nil); ended.status != http.StatusOK || !strings.Contains(ended.body, "You have been signed out") {
		t.Errorf("the page saying the session ended: %d", ended.status)
	}
}
