package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

// Dates that never go backwards (issue 13) as the ladder sees them. The fixture's clock
// starts on Tuesday 24 November 2026 at 09:00 in London.

// releaseOn records a release on the fixture's clock, for a date given as YYYY-MM-DD.
func (f *fixture) releaseOn(t *testing.T, date string) checks.Release {
	t.Helper()
	r, err := f.svc.CreateRelease(context.Background(), f.com, checks.ReleaseInput{
		CRN: "X123456", NOMSNumber: "A1234BC", FullName: "John Smith", DateOfBirth: "1985-03-02",
		ReleaseDate: date, PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
		Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestAReleaseRecordedTooLateRemindsTheCOMFirstAndIsOverdueOnlyLater(t *testing.T) {
	f := newFixture(t)
	// Monday 14 December 2026 − 30 working days is Monday 2 November, past on the 24th: the
	// request-by date is the day it is recorded.
	f.releaseOn(t, "2026-12-14")
	// A run the same day (the start-up sweep, say) reminds the COM; nothing is overdue yet.
	f.run(t)
	var today []string
	for _, m := range f.received() {
		for _, to := range m.To {
			today = append(today, string(headline(m))+" → "+to)
		}
	}
	assertDeliveries(t, map[string][]string{"2026-11-24": today}, map[string][]string{"2026-11-24": {"request_reminder → " + comEmail}})
	// Five working days after Tuesday 24 November (25, 26, 27, 30 November, 1 December): the
	// request is overdue, to the COM and the team's managers.
	got := f.walk(t, "2026-12-02", nil)
	assertDeliveries(t, got, map[string][]string{
		"2026-12-01": {"request_overdue → " + comEmail, "request_overdue → " + managerEmail},
	})
}

func TestAnAgencyIsToldOfAnUrgentRequestWithUrgentFirstInTheSubject(t *testing.T) {
	tests := []struct {
		name    string
		release string
		want    bool
	}{
		// Thursday 26 November 2026: the hard stop is the 24th, the day of the request, so the
		// answer is due the 25th and urgent.
		{"a request two working days before release is urgent", "2026-11-26", true},
		// Monday 15 February 2027: due 8 December 2026, in the usual ten working days.
		{"a request in good time is not", "2027-02-15", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.releaseOn(t, tt.release)
			if _, err := f.svc.RequestCheck(context.Background(), f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID, nil, ""); err != nil {
				t.Fatal(err)
			}
			f.run(t)
			// One email to the Met's contact: the request (with, when urgent, the reminder that
			// its answer is due within two working days, as one line at that rung).
			msgs := f.smtp.To(metContact)
			if len(msgs) != 1 {
				t.Fatalf("the Met's contact got %d emails, want 1", len(msgs))
			}
			if got := strings.HasPrefix(msgs[0].Subject(), "Urgent – "); got != tt.want {
				t.Errorf("subject %q starts with \"Urgent – \": %v, want %v", msgs[0].Subject(), got, tt.want)
			}
			// The COM's own emails of the run (the other check's reminder) keep their subject.
			for _, m := range f.smtp.To(comEmail) {
				if strings.HasPrefix(m.Subject(), "Urgent") {
					t.Errorf("the COM's email %q is marked urgent", m.Subject())
				}
			}
		})
	}
}
