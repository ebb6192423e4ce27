package webtest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/probation/safeguarding/checks"
)

func TestALiaisonFollowsTheEmailLinkAnswersAndSeesTheRequestLeaveTheQueue(t *testing.T) {
	s := newSite(t)
	_, da := s.release(t, true)
	b := s.browser(t)

	// The link in the request email, before signing in: the sign-in page, then the request.
	b.open("/checks/" + da.ID)
	b.signIn("police")
	if p := b.path(); p != "/checks/"+da.ID {
		t.Fatalf("after signing in from the email link the browser is at %s, want the request", p)
	}
	text := b.text()
	for _, want := range []string{"John Smith", "2 March 1985", "X123456", "15 February 2027", "8 December 2026"} {
		if !strings.Contains(text, want) {
			t.Errorf("the request page lacks %q", want)
		}
	}
	b.axe("request page")

	// Sent without an outcome: the error summary, and the summary typed is kept.
	b.do(chromedp.SendKeys("#summary", "Two call-outs to the address in 2024."))
	b.submit(`//button[normalize-space()="Send answer"]`)
	if !strings.Contains(b.text(), "There is a problem") || !strings.Contains(b.text(), "Choose what your agency holds") {
		t.Fatalf("no error summary after sending without an outcome: %s", b.text())
	}
	if got := run(b, chromedp.Value("#summary")); got != "Two call-outs to the address in 2024." {
		t.Errorf("the summary typed was lost: %q", got)
	}
	b.axe("request page with errors")

	// Answered: back on the queue, which is now empty.
	b.do(chromedp.Click("#outcome"))
	b.submit(`//button[normalize-space()="Send answer"]`)
	if p := b.path(); !strings.HasPrefix(p, "/queue") {
		t.Fatalf("after answering the browser is at %s, want the queue", p)
	}
	text = b.text()
	if !strings.Contains(text, "Your answer was sent to probation") || !strings.Contains(text, "There are no open requests") {
		t.Errorf("the queue after answering: %s", text)
	}
	b.axe("queue after answering")
	c, err := s.svc.Check(context.Background(), s.users["com"].user, da.ID)
	if err != nil || c.Status != checks.StatusResponded || c.Response.Summary != "Two call-outs to the address in 2024." {
		t.Errorf("the check after the answer: %s %+v (%v)", c.Status, c.Response, err)
	}
}

func TestTheQueueListsTheAgencysOpenRequestsMostUrgentFirst(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	com := s.users["com"].user
	for _, rel := range []struct{ crn, date string }{{"A111111", "2027-03-01"}, {"B222222", "2026-12-21"}} {
		r, err := s.svc.CreateRelease(ctx, com, checks.ReleaseInput{CRN: rel.crn, NOMSNumber: "A1234BC", FullName: "Person " + rel.crn,
			DateOfBirth: "1985-03-02", ReleaseDate: rel.date, PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
			Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.RequestCheck(ctx, com, r.Checks[0].ID, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	b := s.browser(t)
	b.open("/")
	b.signIn("police")
	if p := b.path(); p != "/queue" {
		t.Fatalf("the liaison's home is %s, want /queue", p)
	}
	text := b.text()
	// B is released within 28 days: its answer is due first (1 December), A's on 8 December.
	if a, bb := strings.Index(text, "A111111"), strings.Index(text, "B222222"); a < 0 || bb < 0 || bb > a {
		t.Errorf("the queue should list B222222 (due 1 December) before A111111 (due 8 December):\n%s", text)
	}
	b.axe("queue")
}

func TestACOMRequestsACheckAndCompletesItOnceAnswered(t *testing.T) {
	s := newSite(t)
	r, da := s.release(t, false)
	b := s.browser(t)
	b.open("/")
	b.signIn("com")
	if p := b.path(); p != "/releases" {
		t.Fatalf("the COM's home is %s, want /releases", p)
	}
	if !strings.Contains(b.text(), "John Smith") {
		t.Fatalf("the releases page lacks the release: %s", b.text())
	}
	b.axe("releases")

	b.leaving()
	b.do(chromedp.Click(`//a[normalize-space()="John Smith"]`))
	b.settle()
	if p := b.path(); p != "/releases/"+r.ID {
		t.Fatalf("the link opened %s", p)
	}
	b.axe("release page")
	b.submit(`//button[normalize-space()="Request the domestic abuse check"]`)
	if !strings.Contains(b.text(), "The check was requested") {
		t.Errorf("no notice after requesting: %s", b.text())
	}
	c, _ := s.svc.Check(context.Background(), s.users["com"].user, da.ID)
	if c.Status != checks.StatusRequested {
		t.Fatalf("the check is %s after the request button, want requested", c.Status)
	}

	// The police answer; the COM completes, first without a note.
	if _, err := s.svc.RespondToCheck(context.Background(), s.users["police"].user, da.ID, nil, checks.ResponseInput{Outcome: "no_information"}); err != nil {
		t.Fatal(err)
	}
	b.open("/releases/" + r.ID)
	b.submit(`//button[normalize-space()="Complete the domestic abuse check"]`)
	if !strings.Contains(b.text(), "Enter what the answer changes") {
		t.Fatalf("no error for a completion without a note: %s", b.text())
	}
	b.axe("release page with errors")
	b.do(chromedp.SendKeys("#note-"+da.ID, "No change to the risk plan."))
	b.submit(`//button[normalize-space()="Complete the domestic abuse check"]`)
	if !strings.Contains(b.text(), "The check is completed") {
		t.Errorf("no notice after completing: %s", b.text())
	}
	c, _ = s.svc.Check(context.Background(), s.users["com"].user, da.ID)
	if c.Status != checks.StatusCompleted || c.CompletionNote != "No change to the risk plan." {
		t.Errorf("the check is %s with note %q, want completed with the note", c.Status, c.CompletionNote)
	}
}

func TestALiaisonOfAnotherAgencyGetsPageNotFound(t *testing.T) {
	s := newSite(t)
	_, da := s.release(t, true)
	b := s.browser(t)
	b.open("/checks/" + da.ID)
	b.signIn("otherPolice")
	if h := b.heading(); h != "Page not found" {
		t.Errorf("Cumbria's liaison opening the Met's request sees %q, want Page not found", h)
	}
	if strings.Contains(b.text(), "John Smith") {
		t.Error("the page shows the person to a liaison of another agency")
	}
	b.axe("page not found")
	b.open("/releases")
	if h := b.heading(); h != "Page not found" {
		t.Errorf("a liaison opening the releases sees %q, want Page not found", h)
	}
}

func TestAFormSubmittedWithoutItsCSRFTokenIsRefused(t *testing.T) {
	s := newSite(t)
	_, da := s.release(t, false)
	b := s.browser(t)
	b.open("/")
	b.signIn("com")
	b.open("/releases/" + da.ReleaseID)
	run(b, chromedp.Evaluate[any](`document.querySelectorAll('input[name="csrf_token"]').forEach(e => e.remove())`))
	b.submit(`//button[normalize-space()="Request the domestic abuse check"]`)
	if h := b.heading(); h != "The form could not be sent" {
		t.Errorf("a form without its token led to %q, want it refused", h)
	}
	c, _ := s.svc.Check(context.Background(), s.users["com"].user, da.ID)
	if c.Status != checks.StatusRequired {
		t.Errorf("the refused form changed the check to %s", c.Status)
	}
}

func TestAManagerSeesTheFiguresAndTheCOMRecordsARelease(t *testing.T) {
	s := newSite(t)
	s.release(t, true)
	b := s.browser(t)
	b.open("/")
	b.signIn("manager")
	if p := b.path(); p != "/dashboard" {
		t.Fatalf("the manager's home is %s, want /dashboard", p)
	}
	text := b.text()
	for _, want := range []string{"Checks done before release", "Overdue by agency", "Download the completion figures (CSV)"} {
		if !strings.Contains(text, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	b.axe("dashboard")

	b.open("/releases/new")
	b.axe("record a release")
	b.submit(`//button[normalize-space()="Record the release"]`)
	if !strings.Contains(b.text(), "Enter the CRN") {
		t.Fatalf("no errors for an empty release: %s", b.text())
	}
	b.axe("record a release with errors")
	b.do(
		chromedp.SendKeys("#full_name", "Jane Doe"),
		chromedp.SendKeys("#date_of_birth-day", "1"), chromedp.SendKeys("#date_of_birth-month", "2"), chromedp.SendKeys("#date_of_birth-year", "1990"),
		chromedp.SendKeys("#crn", "Y654321"), chromedp.SendKeys("#noms_number", "B2345CD"), chromedp.SendKeys("#prison_code", "BMI"),
		chromedp.SendKeys("#release_date-day", "1"), chromedp.SendKeys("#release_date-month", "3"), chromedp.SendKeys("#release_date-year", "2027"),
		chromedp.SetValue("#police_force", "E23000001"), chromedp.SetValue("#local_authority", "E09000001"),
		chromedp.SetValue("#team", "N07-T1"), chromedp.SetValue("#com_id", s.users["com"].user.ID),
		chromedp.SendKeys("#address-line-1", "1 Example Street"), chromedp.SendKeys("#address-town", "London"),
		chromedp.SendKeys("#address-postcode", "ec1a1bb"),
	)
	// Without JavaScript, "Add another person" shows the form again with one more row, and
	// keeps what was typed.
	b.submit(`//button[normalize-space()="Add another person"]`)
	b.do(
		chromedp.SendKeys("#person-3-name", "Sam Doe"), chromedp.SetValue("#person-3-relationship", "child"),
		chromedp.SendKeys("#person-3-dob-day", "4"), chromedp.SendKeys("#person-3-dob-month", "5"), chromedp.SendKeys("#person-3-dob-year", "2016"),
		chromedp.Click("#person-3-lives-there"),
	)
	b.submit(`//button[normalize-space()="Record the release"]`)
	if h := b.heading(); h != "Jane Doe" || !strings.Contains(b.text(), "The release is recorded") {
		t.Errorf("after recording: %q, %s", h, b.text())
	}
	for _, want := range []string{"1 Example Street", "EC1A 1BB", "Sam Doe", "Their child", "4 May 2016"} {
		if !strings.Contains(b.text(), want) {
			t.Errorf("the release page does not show %q: %s", want, b.text())
		}
	}
}

func TestTheAnswerFormWorksWithTheKeyboardAlone(t *testing.T) {
	s := newSite(t)
	_, da := s.release(t, true)
	b := s.browser(t)
	b.open("/checks/" + da.ID)
	// Sign in: Tab to the token field, type, Enter.
	b.tabTo("token")
	b.do(chromedp.KeyEvent(s.users["police"].token))
	b.leaving()
	b.do(chromedp.KeyEvent("\r"))
	b.settle()
	if p := b.path(); p != "/checks/"+da.ID {
		t.Fatalf("after a keyboard sign-in the browser is at %s", p)
	}
	// Answer: Tab to the first outcome, choose it with Space, Tab to the summary, type, Enter on the button.
	b.tabTo("outcome")
	b.do(chromedp.KeyEvent(" "))
	b.tabTo("summary")
	b.do(chromedp.KeyEvent("Nothing held about the address."))
	b.tabToButton("Send answer")
	b.leaving()
	b.do(chromedp.KeyEvent("\r"))
	b.settle()
	if p := b.path(); !strings.HasPrefix(p, "/queue") {
		t.Fatalf("after a keyboard answer the browser is at %s", p)
	}
	c, _ := s.svc.Check(context.Background(), s.users["com"].user, da.ID)
	if c.Status != checks.StatusResponded || c.Response.Outcome != checks.OutcomeInformationHeld {
		t.Errorf("the check after a keyboard answer: %s %+v", c.Status, c.Response)
	}
}

// tabTo presses Tab until the element with the id has the focus (at most 40 times).
func (b *browser) tabTo(id string) {
	b.t.Helper()
	for range 40 {
		b.do(chromedp.KeyEvent("\t"))
		if run(b, chromedp.Evaluate[string](`document.activeElement && document.activeElement.id`)) == id {
			return
		}
	}
	b.t.Fatalf("Tab never reached #%s", id)
}

// tabToButton presses Tab until a button with the text has the focus.
func (b *browser) tabToButton(text string) {
	b.t.Helper()
	for range 40 {
		b.do(chromedp.KeyEvent("\t"))
		if strings.TrimSpace(run(b, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.textContent : ""`))) == text {
			return
		}
	}
	b.t.Fatalf("Tab never reached the %q button", text)
}

func TestThePagesTitlesAndHeadingsSayWhereTheUserIs(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.open("/")
	b.axe("sign-in")
	if title := run(b, chromedp.Title()); title != "Sign in – Safeguarding checks" {
		t.Errorf("the sign-in page's title is %q", title)
	}
	b.open("/nowhere")
	if title := run(b, chromedp.Title()); title != "Page not found – Safeguarding checks" {
		t.Errorf("an unknown page's title is %q", title)
	}
	b.axe("an unknown page")
}
