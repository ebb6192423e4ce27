package webtest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/probation/safeguarding/checks"
)

// A COM finds a release from the home page's search, requests both its checks with one
// button, changes its date through the check-your-answers page (a date typed wrong first),
// and cancels it the same way: every page passes axe.
func TestACOMRequestsBothChecksChangesAndCancelsAReleaseThroughCheckYourAnswers(t *testing.T) {
	s := newSite(t)
	r, _ := s.release(t, false)
	b := s.browser(t)
	b.open("/")
	b.signIn("com")
	if !strings.Contains(b.text(), "What needs you now") {
		t.Fatalf("the home page lacks its counts: %s", b.text())
	}
	b.axe("releases, grouped")
	b.do(chromedp.SendKeys("#q", "x123456"))
	b.submit(`//button[normalize-space()="Search"]`)
	if !strings.Contains(b.text(), "1 release matches") {
		t.Fatalf("the search did not find the release: %s", b.text())
	}
	b.axe("releases, searched")

	b.open("/releases/" + r.ID)
	b.submit(`//button[normalize-space()="Request both checks"]`)
	if !strings.Contains(b.text(), "Both checks were requested") {
		t.Fatalf("no notice after requesting both: %s", b.text())
	}
	b.axe("release page, both requested")
	got, err := s.svc.Release(context.Background(), s.users["com"].user, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got.Checks {
		if c.Status != checks.StatusRequested {
			t.Errorf("the %s check is %s, want requested", c.Type, c.Status)
		}
	}

	b.leaving()
	b.do(chromedp.Click(`//a[starts-with(normalize-space(), "Change the release date")]`))
	b.settle()
	b.axe("change the release")
	b.do(chromedp.Clear("#release_date-day"), chromedp.SendKeys("#release_date-day", "2"), chromedp.Clear("#release_date-month"))
	b.submit(`//button[normalize-space()="Continue"]`)
	if !strings.Contains(b.text(), "Release date must include a month") {
		t.Fatalf("no GOV.UK error for a date without a month: %s", b.text())
	}
	b.axe("change the release, with errors")
	b.do(chromedp.SendKeys("#release_date-month", "3"))
	b.submit(`//button[normalize-space()="Continue"]`)
	if !strings.Contains(b.text(), "Was: 15 February 2027") || !strings.Contains(b.text(), "2 March 2027") {
		t.Fatalf("the check page lacks the change from and to: %s", b.text())
	}
	b.axe("check your changes")
	b.submit(`//button[normalize-space()="Confirm and change the release"]`)
	if !strings.Contains(b.text(), "The release is changed") {
		t.Fatalf("no notice after the change: %s", b.text())
	}

	b.leaving()
	b.do(chromedp.Click(`//a[starts-with(normalize-space(), "Cancel the release")]`))
	b.settle()
	b.axe("cancel the release")
	b.do(chromedp.SendKeys("#cancel_reason", "Recalled before release."))
	b.submit(`//button[normalize-space()="Continue"]`)
	b.axe("check before cancelling")
	b.submit(`//button[normalize-space()="Cancel the release"]`)
	if !strings.Contains(b.text(), "The release is cancelled") {
		t.Fatalf("no notice after cancelling: %s", b.text())
	}
	got, _ = s.svc.Release(context.Background(), s.users["com"].user, r.ID)
	if got.Status != checks.ReleaseCancelled || got.ReleaseDate.String() != "2027-03-02" {
		t.Errorf("the release is %s on %s, want cancelled on 2027-03-02", got.Status, got.ReleaseDate)
	}
}
