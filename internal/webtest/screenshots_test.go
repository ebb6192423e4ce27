package webtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/probation/safeguarding/checks"
)

// TestScreenshotsForTheREADME draws the pictures in the README, when asked:
//
//	SAFEGUARDING_SCREENSHOTS=$PWD/docs go test ./internal/webtest -run Screenshots
func TestScreenshotsForTheREADME(t *testing.T) {
	dir := os.Getenv("SAFEGUARDING_SCREENSHOTS")
	if dir == "" {
		t.Skip("set SAFEGUARDING_SCREENSHOTS to a directory to draw the README's screenshots")
	}
	s := newSite(t)
	ctx := context.Background()
	com := s.users["com"].user
	var first checks.Release
	for i, p := range []struct{ crn, name, date string }{
		{"X123456", "John Smith", "2026-12-21"}, {"D374220", "Kieran Invented", "2027-01-11"}, {"F200883", "Oskar Sample", "2027-02-15"},
	} {
		r, err := s.svc.CreateRelease(ctx, com, checks.ReleaseInput{CRN: p.crn, NOMSNumber: "A1234BC", FullName: p.name,
			DateOfBirth: "1985-03-02", ReleaseDate: p.date, PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
			Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.RequestCheck(ctx, com, r.Checks[0].ID, nil, ""); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r
			if _, err := s.svc.RespondToCheck(ctx, s.users["police"].user, r.Checks[0].ID, nil,
				checks.ResponseInput{Outcome: "information_held", Summary: "Two call-outs to the release address in 2024; no charges."}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.clock.Advance(10 * 24 * 3600e9) // ten days on: some answers are late
	shoot := func(who, path, file string) {
		b := s.browser(t)
		b.open(path)
		b.signIn(who)
		png := run(b, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, file), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shoot("police", "/queue", "liaison-queue.png")
	shoot("com", "/releases/"+first.ID, "com-release.png")
}
