package webtest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/probation/safeguarding/checks"
)

// Issue 15's liaison pages and GOV.UK basics in the browser, each page through axe and at
// 320 pixels wide (see browser.axe).

func TestALiaisonAddsANoteAndSeesWhatItsAgencyAnswered(t *testing.T) {
	s := newSite(t)
	_, da := s.release(t, true)
	b := s.browser(t)
	b.open("/checks/" + da.ID)
	b.signIn("police")

	// A note sent empty: the error summary, then the note added.
	b.submit(`//button[normalize-space()="Add note"]`)
	if text := b.text(); !strings.Contains(text, "There is a problem") || !strings.Contains(text, "Enter a note") {
		t.Fatalf("no error summary after sending an empty note: %s", text)
	}
	b.axe("request page with a note refused")
	b.do(chromedp.SendKeys("#note", "We will answer by Friday 4 December."))
	b.submit(`//button[normalize-space()="Add note"]`)
	if text := b.text(); !strings.Contains(text, "Your note was added") || !strings.Contains(text, "We will answer by Friday 4 December.") {
		t.Errorf("the request page after adding a note: %s", text)
	}

	// Answered: it is on the list of what the agency answered, which the back link leads to.
	if _, err := s.svc.RespondToCheck(context.Background(), s.users["police"].user, da.ID, nil,
		checks.ResponseInput{Outcome: string(checks.OutcomeNoInformation)}); err != nil {
		t.Fatal(err)
	}
	b.open("/checks/" + da.ID)
	b.leaving()
	b.do(chromedp.Click(`//a[@class="govuk-back-link"]`))
	b.settle()
	if p := b.path(); p != "/answered" {
		t.Fatalf("the back link of an answered request went to %s, want /answered", p)
	}
	if text := b.text(); !strings.Contains(text, "X123456") || !strings.Contains(text, "No information held") || !strings.Contains(text, "1 answered request") {
		t.Errorf("the answered list: %s", text)
	}
	b.axe("answered requests")
}

func TestTheServicesOwnPagesAreLinkedFromEveryFooterAndReadableWithoutSigningIn(t *testing.T) {
	s := newSite(t)
	b := s.browser(t)
	b.open("/")
	for _, p := range []struct{ link, heading string }{
		{"Accessibility statement", "Accessibility statement for Safeguarding checks"},
		{"Privacy notice", "Privacy notice"},
		{"Cookies", "Cookies"},
	} {
		b.leaving()
		b.do(chromedp.Click(`//footer//a[normalize-space()="` + p.link + `"]`))
		b.settle()
		if h := b.heading(); h != p.heading {
			t.Errorf("the footer's %q link opened %q at %s", p.link, h, b.path())
		}
		b.axe(p.link)
	}
}
