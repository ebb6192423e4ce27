package webtest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/probation/safeguarding/api"
	"github.com/probation/safeguarding/internal/testenv"
)

// The happy path of single sign-on in a real browser, against a real OpenID provider
// (zitadel's op) on another site: the provider is at localhost, the service at 127.0.0.1, so
// the provider's redirect back is a cross-site navigation, as in production, and the
// browser's own SameSite rules decide which cookies come with it.
func TestALiaisonSignsInWithTheirOrganisationsAccountInABrowser(t *testing.T) {
	var issuer string
	s := newSiteWith(t, func(o *api.Options) {
		issuer = testenv.StartIdP(t, "localhost", testenv.IdPClient{ID: "safeguarding", Secret: "client-secret", Redirect: o.BaseURL + "/sign-in/oidc/met/callback"},
			testenv.IdPUser{ID: "pat", Password: "correct horse", FirstName: "Pat", LastName: "Police", Email: "pat@met.example.org", EmailVerified: true})
		o.TokenSignIn = false
		o.OIDC = []api.OIDCIssuer{{ID: "met", Name: "Metropolitan Police", Issuer: issuer, ClientID: "safeguarding",
			ClientSecret: "client-secret", Domains: []string{"met.example.org"}}}
	})
	b := s.browser(t)
	b.open("/queue")
	if h := b.heading(); h != "Sign in" {
		t.Fatalf("the queue without a session showed %q", h)
	}
	b.axe("sign-in with single sign-on")
	b.submit(`//a[normalize-space()="Sign in with Metropolitan Police"]`)
	if loc := run(b, chromedp.Location()); !strings.HasPrefix(loc, issuer+"/login/username") {
		t.Fatalf("the button led to %s, want the provider's login form", loc)
	}
	b.do(chromedp.SendKeys("#username", "pat"), chromedp.SendKeys("#password", "correct horse"))
	b.submit(`//button[normalize-space()="Login"]`)
	if p := b.path(); p != "/queue" {
		t.Fatalf("after signing in at the provider the browser is at %s (%q), want /queue", p, b.heading())
	}
	if !strings.Contains(run(b, chromedp.Evaluate[string](`document.body.innerText`)), "Signed in as Pat Police") {
		t.Errorf("the queue does not say who is signed in")
	}
}
