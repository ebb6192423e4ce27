package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/internal/testenv"
)

func TestTheReleasePageRequestsBothChecksInOneActionAndListsEveryEmailAboutThem(t *testing.T) {
	e := newEnv(t)
	r := e.freshRelease(t, 1)
	com := e.signInWithForm(t, e.com.Token)
	if page := e.page(t, "GET", "/releases/"+r.ID, nil, com); !strings.Contains(page.body, "Request both checks") || !strings.Contains(page.body, "No emails about this check yet") {
		t.Fatalf("a release with both checks to request lacks the button, or says emails were sent: %s", page.body)
	}
	res := e.form(t, com, "/releases/"+r.ID+"/request-checks", nil)
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/releases/"+r.ID+"?notice=both-requested") {
		t.Fatalf("requesting both answered %d %s", res.status, res.header.Get("Location"))
	}
	for _, typ := range []string{"domestic_abuse", "child_safeguarding"} {
		if c := e.getCheck(t, e.com, checkOf(t, r, typ).ID); c.Status != "requested" {
			t.Errorf("the %s check is %s, want requested", typ, c.Status)
		}
	}
	// The Met has no contact mailbox here: the request notice cannot go, and the COM is told.
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/escalations/run", nil), http.StatusOK, nil)
	if _, err := e.sender.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	page := e.page(t, "GET", "/releases/"+r.ID, nil, com)
	for _, s := range []string{
		"Emails about the domestic abuse check", "The request could not be emailed", "the COM", "Sent",
		"Could not be sent: there is no address for the contact mailbox of Metropolitan Police Service",
		"emails about this release could not be sent",
	} {
		if !strings.Contains(page.body, s) {
			t.Errorf("the release page lacks %q", s)
		}
	}
	if strings.Contains(page.body, "Request both checks") {
		t.Error("the page still offers to request both checks once they are requested")
	}
	if again := e.form(t, com, "/releases/"+r.ID+"/request-checks", nil); again.status != http.StatusConflict || !strings.Contains(again.body, "There is nothing to request") {
		t.Errorf("requesting both again answered %d %s", again.status, again.body)
	}
}

// When the second request fails, the page says the first was made and the second not: the
// database is held at the second check's update until the request's time is up.
func TestWhenTheSecondRequestFailsThePageSaysTheFirstWasMade(t *testing.T) {
	proxy := testenv.StartDBProxy(t, "")
	name := testenv.DatabaseName(t)
	e := newEnvOn(t, connect(t, proxy.URI(testenv.RealEngine())).Database(name), nil,
		func(o *Options) { o.RequestTimeout = time.Second })
	r := e.freshRelease(t, 1)
	com := e.signInWithForm(t, e.com.Token)
	csrf := e.csrfOf(t, com)
	hold := proxy.HoldAfter(name, "findAndModify", "checks", 1)
	defer hold.Release()
	res := e.page(t, "POST", "/releases/"+r.ID+"/request-checks", map[string][]string{"csrf_token": {csrf}}, com)
	hold.Release()
	for _, s := range []string{"The domestic abuse check was requested", "The child safeguarding check was not requested"} {
		if !strings.Contains(res.body, s) {
			t.Errorf("the answer (%d) lacks %q: %s", res.status, s, res.body)
		}
	}
	if c := e.getCheck(t, e.com, checkOf(t, r, "domestic_abuse").ID); c.Status != "requested" {
		t.Errorf("the first check is %s, want requested", c.Status)
	}
}
