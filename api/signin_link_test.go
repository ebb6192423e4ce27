package api

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

// linkBrowser is a browser for the emailed links: its own cookie jar, following no redirect,
// so that each test sees every answer.
type linkBrowser struct {
	t      *testing.T
	e      *env
	client *http.Client
}

func (e *env) linkBrowser(t *testing.T) *linkBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &linkBrowser{t: t, e: e, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *linkBrowser) do(method, target string, form url.Values) pageReply {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	if !strings.HasPrefix(target, "http") {
		target = b.e.url + target
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return pageReply{res.StatusCode, res.Header, string(data)}
}

// askForLink fills in the sign-in page's email form, as the page at signInPath shows it.
func (b *linkBrowser) askForLink(signInPath, address string) pageReply {
	b.t.Helper()
	form := b.do("GET", signInPath, nil)
	csrf := csrfField.FindStringSubmatch(form.body)
	next := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(form.body)
	if csrf == nil || next == nil {
		b.t.Fatalf("the sign-in page %s has no email form: %d", signInPath, form.status)
	}
	return b.do("POST", "/sign-in/email", url.Values{"csrf_token": {csrf[1]}, "email": {address}, "next": {unescapeHTML(next[1])}})
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&#43;", "+", "&amp;", "&", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+/sign-in/link/sgt_[A-Za-z0-9_-]+`)

// linksFor sends what the outbox holds and returns the sign-in links the SMTP server received
// for address, oldest first.
func (e *env) linksFor(t *testing.T, address string) []string {
	t.Helper()
	if _, err := e.sender.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range e.smtp.To(address) {
		if l := linkPattern.FindString(m.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func TestAnEmailedLinkSignsInOnceInTheBrowserThatAskedAndLeadsToTheCheckItsEmailNamed(t *testing.T) {
	e := newEnvWith(t, nil, func(o *Options) { o.TokenSignIn = false })
	da, _, _ := e.requestedForAgency(t)
	b := e.linkBrowser(t)
	// The link in a request email, before signing in: the sign-in page, which goes on there.
	res := b.do("GET", "/checks/"+da.ID, nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/sign-in?next=%2Fchecks%2F"+da.ID {
		t.Fatalf("the check's page without a session: %d to %q", res.status, res.header.Get("Location"))
	}
	sent := b.askForLink(res.header.Get("Location")+"&hop=1", strings.ToUpper(e.police.Email))
	if sent.status != http.StatusOK || !strings.Contains(sent.body, "Check your email") {
		t.Fatalf("asking for a link answered %d: %s", sent.status, sent.body)
	}
	links := e.linksFor(t, e.police.Email)
	if len(links) != 1 {
		t.Fatalf("%d sign-in links were emailed to %s, want 1", len(links), e.police.Email)
	}
	msg := e.smtp.To(e.police.Email)[0]
	for _, secret := range []string{"Pat Police", "John Smith", "X123456"} {
		if strings.Contains(msg.Text(), secret) {
			t.Errorf("the sign-in email names %q", secret)
		}
	}
	if !strings.HasPrefix(links[0], e.url+"/sign-in/link/") {
		t.Errorf("the link %s is not on the service's address", links[0])
	}
	res = b.do("GET", links[0], nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/checks/"+da.ID {
		t.Fatalf("the link answered %d to %q, want the check", res.status, res.header.Get("Location"))
	}
	if page := b.do("GET", "/checks/"+da.ID, nil); page.status != http.StatusOK || !strings.Contains(page.body, "Pat Police") {
		t.Errorf("the check after signing in by link: %d", page.status)
	}
	if res := b.do("GET", links[0], nil); res.status != http.StatusUnauthorized || !strings.Contains(res.body, "works once") {
		t.Errorf("the link used a second time answered %d, want 401", res.status)
	}
}

func TestALinkIsRefused(t *testing.T) {
	tests := []struct {
		name string
		// use opens the link (in the browser that asked, or another); it returns the answer.
		use func(t *testing.T, e *env, asked *linkBrowser, link string) pageReply
	}{
		{"in a browser other than the one that asked", func(t *testing.T, e *env, _ *linkBrowser, link string) pageReply {
			return e.linkBrowser(t).do("GET", link, nil)
		}},
		{"15 minutes after it was sent", func(t *testing.T, e *env, asked *linkBrowser, link string) pageReply {
			e.clock.Advance(checks.SignInLinkLength)
			return asked.do("GET", link, nil)
		}},
		{"once its user is deactivated", func(t *testing.T, e *env, asked *linkBrowser, link string) pageReply {
			if _, err := e.svc.SetUserActive(context.Background(), checks.System("test"), e.police.ID, false); err != nil {
				t.Fatal(err)
			}
			return asked.do("GET", link, nil)
		}},
		{"with its secret changed", func(t *testing.T, e *env, asked *linkBrowser, link string) pageReply {
			return asked.do("GET", link[:len(link)-2]+"xx", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.linkBrowser(t)
			b.askForLink("/sign-in?hop=1", e.police.Email)
			links := e.linksFor(t, e.police.Email)
			if len(links) != 1 {
				t.Fatalf("%d links sent", len(links))
			}
			res := tt.use(t, e, b, links[0])
			if res.status != http.StatusUnauthorized || cookieNamed(res.header, sessionCookie) != nil {
				t.Errorf("the link answered %d (session %v), want 401 and no session", res.status, cookieNamed(res.header, sessionCookie))
			}
		})
	}
}

func TestALinkOpenedInAnotherBrowserStillWorksInTheOneThatAsked(t *testing.T) {
	e := newEnv(t)
	b := e.linkBrowser(t)
	b.askForLink("/sign-in?hop=1", e.com.Email)
	links := e.linksFor(t, e.com.Email)
	// A mail scanner, or someone the email was forwarded to, opens it first.
	if res := e.linkBrowser(t).do("GET", links[0], nil); res.status != http.StatusUnauthorized {
		t.Fatalf("another browser: %d", res.status)
	}
	if res := b.do("GET", links[0], nil); res.status != http.StatusSeeOther || cookieNamed(res.header, sessionCookie) == nil {
		t.Errorf("the browser that asked: %d, want signed in", res.status)
	}
}

func TestAskingForALinkAnswersTheSameWhetherOrNotTheEmailIsAnActiveUsers(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.SetUserActive(context.Background(), checks.System("test"), e.otherPolice.ID, false); err != nil {
		t.Fatal(err)
	}
	var first string
	for i, address := range []string{e.police.Email, "nobody@police.example.org", e.otherPolice.Email} {
		res := e.linkBrowser(t).askForLink("/sign-in?hop=1", address)
		body := strings.ReplaceAll(res.body, address, "ADDRESS")
		if res.status != http.StatusOK {
			t.Errorf("%s: %d", address, res.status)
		}
		if i == 0 {
			first = body
		} else if body != first {
			t.Errorf("the answer for %s differs from the answer for an active user's address", address)
		}
	}
	for address, want := range map[string]int{e.police.Email: 1, "nobody@police.example.org": 0, e.otherPolice.Email: 0} {
		if got := len(e.linksFor(t, address)); got != want {
			t.Errorf("%d links emailed to %s, want %d", got, address, want)
		}
	}
}

func TestAskingForALinkWithABadAddressSaysSoAndKeepsWhatWasTyped(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ name, typed, says string }{
		{"an empty address", "", "Enter your email address"},
		{"an address without a domain", "pat.police", "Enter your email address in the correct format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.linkBrowser(t).askForLink("/sign-in?hop=1", tt.typed)
			if res.status != http.StatusBadRequest || !strings.Contains(res.body, "govuk-error-summary") || !strings.Contains(res.body, tt.says) ||
				!strings.Contains(res.body, `href="#email"`) || !strings.Contains(res.body, `value="`+tt.typed+`"`) {
				t.Errorf("answered %d: %s", res.status, res.body)
			}
		})
	}
}

func TestAskingForLinksIsLimitedPerEmailAndPerClientAddress(t *testing.T) {
	tests := []struct {
		name      string
		opts      func(*Options)
		addresses func(e *env) []string
	}{
		{"one address asked for too often", func(o *Options) { o.LinkEmailBurst, o.LinkAddressBurst = 2, 100 },
			func(e *env) []string { return []string{e.com.Email, e.com.Email, e.com.Email} }},
		{"one client asking for too many addresses", func(o *Options) { o.LinkEmailBurst, o.LinkAddressBurst = 100, 2 },
			func(e *env) []string { return []string{e.com.Email, e.police.Email, "nobody@example.org"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, nil, tt.opts)
			addresses := tt.addresses(e)
			for i, address := range addresses {
				res := e.linkBrowser(t).askForLink("/sign-in?hop=1", address)
				last := i == len(addresses)-1
				if last && (res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "") {
					t.Errorf("request %d answered %d, want 429 with Retry-After", i+1, res.status)
				}
				if !last && res.status != http.StatusOK {
					t.Errorf("request %d answered %d, want 200", i+1, res.status)
				}
			}
		})
	}
}

func TestEmailedLinksAreOffWithoutAMailer(t *testing.T) {
	e := newEnvWith(t, nil, func(o *Options) { o.SignInLinks = nil })
	if page := e.page(t, "GET", "/sign-in?hop=1", nil); strings.Contains(page.body, `action="/sign-in/email"`) {
		t.Error("the sign-in page offers emailed links with no way to send them")
	}
	if res := e.page(t, "GET", "/sign-in/link/sgt_"+strings.Repeat("A", 43), nil); res.status != http.StatusNotFound {
		t.Errorf("a link with emailed links off: %d, want 404", res.status)
	}
}
