package webtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// Each admin test has a browser of its own: a browser's budget is 90 seconds, and axe on a
// loaded machine takes a good part of it.

// asAdmin opens a browser signed in as the site's admin, on the admin's home.
func (s *site) asAdmin(t *testing.T) *browser {
	t.Helper()
	b := s.browser(t)
	b.open("/")
	b.signIn("admin")
	return b
}

func TestAnAdminSetsTheMailboxesOfAnAgencyListedAsHavingNone(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	b := s.asAdmin(t)
	if p := b.path(); p != "/admin" {
		t.Fatalf("the admin's home is %s, want /admin", p)
	}
	if text := b.text(); !strings.Contains(text, "Active agencies with no mailbox") || !strings.Contains(text, "Metropolitan Police Service") {
		t.Fatalf("a fresh install's admin home does not list the agencies with no mailbox: %s", text)
	}
	b.axe("admin home")

	// The Met, from the list at the top: a bad address first, then a good one.
	b.leaving()
	b.do(chromedp.Click(`//ul[@id="missing-mailboxes"]//a[normalize-space()="Metropolitan Police Service"]`))
	b.settle()
	if p := b.path(); p != "/admin/agencies/E23000001" {
		t.Fatalf("the link opened %s", p)
	}
	b.axe("agency form")
	b.do(chromedp.SendKeys("#contact_email", "referrals at met"))
	b.submit(`//button[normalize-space()="Save the agency"]`)
	if !strings.Contains(b.text(), "Enter the contact mailbox in the correct format") {
		t.Fatalf("no error for a bad mailbox: %s", b.text())
	}
	if got := run(b, chromedp.Value("#contact_email")); got != "referrals at met" {
		t.Errorf("what was typed is lost: %q", got)
	}
	b.axe("agency form with errors")
	b.do(chromedp.SetValue("#contact_email", "referrals@met.example.org"), chromedp.SendKeys("#escalation_email", "dci@met.example.org"))
	b.submit(`//button[normalize-space()="Save the agency"]`)
	if !strings.Contains(b.text(), "The agency is saved") {
		t.Fatalf("no notice after saving: %s", b.text())
	}
	b.axe("agencies")
	if a, _ := s.svc.Agency(ctx, "E23000001"); a.ContactEmail != "referrals@met.example.org" || a.EscalationEmail != "dci@met.example.org" {
		t.Errorf("the Met after its form: %+v", a)
	}

}

func TestAnAdminAddsALiaisonSeesTheTokenOnceAndRevokesIt(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	b := s.asAdmin(t)
	// A liaison: first without an agency, then with one; the token is shown once.
	b.open("/admin/users/new")
	b.axe("add a user")
	b.do(chromedp.SendKeys("#name", "Lee Liaison"), chromedp.SendKeys("#email", "lee@met.example.org"), chromedp.Click("#role-liaison"))
	b.submit(`//button[normalize-space()="Add the user"]`)
	if !strings.Contains(b.text(), "Choose the liaison's agency") {
		t.Fatalf("no error for a liaison without an agency: %s", b.text())
	}
	b.axe("add a user with errors")
	b.do(chromedp.SetValue("#agency", "E23000001"))
	b.submit(`//button[normalize-space()="Add the user"]`)
	token := strings.TrimSpace(run(b, chromedp.Evaluate[string](`(document.querySelector("#token") || {innerText: ""}).innerText`)))
	if !strings.HasPrefix(token, "sgt_") || !strings.Contains(b.text(), "shown this once") {
		t.Fatalf("no token shown after adding a user: %s", b.text())
	}
	b.axe("user added, with its token")
	if u, err := s.svc.Authenticate(ctx, token); err != nil || u.Agency != "E23000001" {
		t.Errorf("the token shown is not the new liaison's: %+v %v", u, err)
	}
	b.submit(`//button[starts-with(normalize-space(), "Revoke")]`)
	if !strings.Contains(b.text(), "The token is revoked") || strings.Contains(b.text(), token) {
		t.Errorf("after revoking: %s", b.text())
	}
	if _, err := s.svc.Authenticate(ctx, token); checks.ErrorCode(err) != checks.EUNAUTHORIZED {
		t.Errorf("the revoked token still authenticates: %v", err)
	}

	b.open("/admin/users")
	b.axe("users")
}

func TestAnAdminRetriesAnEmailNotSentAndFindsTheRetryInTheAuditTrail(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	now := s.clock.Now().UTC()
	dead := notify.Email{Key: strings.Repeat("d", 64), To: "colm@probation.example.org", Subject: "Overdue: DA check for X123456",
		Text: "One check.", HTML: "<p>One check.</p>", Items: []string{"x/request_overdue"}, Recipient: "com " + s.users["com"].user.ID,
		Status: notify.StatusDead, LastError: "550 mailbox unavailable", Attempts: 8, NextAttemptAt: now, AsOf: now, CreatedAt: now}
	if _, err := s.outbox.Insert(ctx, dead); err != nil {
		t.Fatal(err)
	}
	b := s.asAdmin(t)
	// The email the server refused: shown with why, then retried.
	b.open("/admin/outbox")
	if !strings.Contains(b.text(), "550 mailbox unavailable") {
		t.Fatalf("the outbox page does not say why the email failed: %s", b.text())
	}
	b.axe("emails not sent")
	b.submit(`//button[normalize-space()="Retry every email"]`)
	if !strings.Contains(b.text(), "1 email is back in the queue") {
		t.Errorf("after retrying every email: %s", b.text())
	}
	if m, _ := s.outbox.Get(ctx, dead.Key); m.Status != notify.StatusPending {
		t.Errorf("the dead email after retry is %s", m.Status)
	}

	// The audit trail says who did it.
	b.open("/admin/audit?resource=email")
	if text := b.text(); !strings.Contains(text, "email.retry") || !strings.Contains(text, "Ada Admin") {
		t.Errorf("the audit trail lacks the retry: %s", text)
	}
	b.axe("audit trail")
	b.open("/admin/audit?from-day=31&from-month=2&from-year=2026")
	if !strings.Contains(b.text(), "The date to search from must be a real date") {
		t.Errorf("no error for a date that does not exist: %s", b.text())
	}
	b.axe("audit trail with errors")
}

func TestTheManagersDashboardOpensOnWhatIsOverdue(t *testing.T) {
	s := newSite(t)
	// Released on 4 January 2027: recorded today, its checks are to be requested today, and
	// a week on both are overdue.
	if _, err := s.svc.CreateRelease(context.Background(), s.users["com"].user, checks.ReleaseInput{CRN: "Y654321", NOMSNumber: "A1234BC",
		FullName: "Jo Late", DateOfBirth: "1985-03-02", ReleaseDate: "2027-01-04", PrisonCode: "LEI", PoliceForce: "E23000001",
		LocalAuthority: "E09000001", Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"}}); err != nil {
		t.Fatal(err)
	}
	s.clock.Set(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	b := s.browser(t)
	b.open("/")
	b.signIn("manager")
	text := b.text()
	overdue, upcoming, figures := strings.Index(text, "Overdue now"), strings.Index(text, "Releases in the next"), strings.Index(text, "Checks done before release")
	if overdue < 0 || upcoming < overdue || figures < upcoming || !strings.Contains(text, "Team N07-T1: 2 overdue") || !strings.Contains(text, "Colm Oman") {
		t.Errorf("the dashboard should lead with what is overdue, by team and COM, then the releases coming, then the figures: %s", text)
	}
	b.axe("dashboard with overdue checks")
}
