package checks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

// Dates that never go backwards (issue 13), through the service and the embedded database.
// The fixture's clock starts on Tuesday 24 November 2026 at 09:00 in London (UTC in winter).
// Bank holidays counted against: 25 and 28 December 2026, 1 January 2027, 27 and 28 December
// 2027 (GOV.UK, England and Wales).

func mustTime(t *testing.T, rfc3339 string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestARequestTooCloseToReleaseIsDueTheFirstWorkingDayAfterItAndUrgent(t *testing.T) {
	tests := []struct {
		name       string
		release    string
		requested  string
		wantDue    string
		wantUrgent bool
	}{
		// Release Thursday 26 November 2026: the hard stop is Tuesday 24th (25 is 1, 24 is
		// 2), the day of the request, which counts from the 24th: due Wednesday 25th.
		{"a morning request two working days before release is due the next day",
			"2026-11-26", "2026-11-24T09:00:00Z", "2026-11-25", true},
		// After 15:00 the request counts from Wednesday 25th: due Thursday 26th.
		{"a request after 15:00 is due a working day later",
			"2026-11-26", "2026-11-24T16:00:00Z", "2026-11-26", true},
		// Release Monday 15 February 2027: ten working days from the 24th, Tuesday 8 December.
		{"a request in good time is due in ten working days and not urgent",
			"2027-02-15", "2026-11-24T09:00:00Z", "2026-12-08", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			r := f.release(t, func(in *checks.ReleaseInput) { in.ReleaseDate = tt.release })
			f.clock.Set(mustTime(t, tt.requested))
			c, err := f.svc.RequestCheck(ctx, f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			if c.DueDate.String() != tt.wantDue || c.Urgent != tt.wantUrgent {
				t.Errorf("requested check: due %s urgent %v, want %s urgent %v", c.DueDate, c.Urgent, tt.wantDue, tt.wantUrgent)
			}
			// The flag is stored, and the agency sees it too.
			stored, err := f.svc.Check(ctx, f.police, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.DueDate.String() != tt.wantDue || stored.Urgent != tt.wantUrgent {
				t.Errorf("stored check as the liaison reads it: due %s urgent %v, want %s urgent %v", stored.DueDate, stored.Urgent, tt.wantDue, tt.wantUrgent)
			}
		})
	}
}

func TestBringingAReleaseForwardNeverMovesADueDateIntoThePast(t *testing.T) {
	tests := []struct {
		name          string
		changed       string // when the release date is changed
		release       string // to this
		wantDue       string
		wantUrgent    bool
		wantNote      string
		wantRequestBy string // of the check not yet requested
	}{
		// Requested Tuesday 24 November for release on 15 February 2027: due Tuesday 8
		// December. On Wednesday 2 December the release moves to Friday 4 December: from the
		// request it would be due 1 December (five working days: 25, 26, 27, 30, 1), past;
		// the first working day after the change is Thursday 3rd. The hard stop is Wednesday
		// 2nd, so it is urgent. The unrequested check's request-by (30 working days before
		// the 4th, in October) is the day of the change.
		{"a release brought forward past the due date makes it the working day after the change",
			"2026-12-02T10:00:00Z", "2026-12-04", "2026-12-03", true, "due date changed from 2026-12-08 to 2026-12-03", "2026-12-02"},
		// The same change after 15:00 counts from Thursday: due Friday 4th.
		{"a change after 15:00 gives the agency the whole of the next working day",
			"2026-12-02T16:00:00Z", "2026-12-04", "2026-12-04", true, "due date changed from 2026-12-08 to 2026-12-04", "2026-12-02"},
		// Moved on the day of the request to Monday 14 December: five working days, due
		// 1 December, before the hard stop of the 10th. Request-by (2 November) is past: the
		// day of the change.
		{"a release brought forward with time to spare takes the recomputed date",
			"2026-11-24T10:00:00Z", "2026-12-14", "2026-12-01", false, "due date changed from 2026-12-08 to 2026-12-01", "2026-11-24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			r := f.release(t)
			if _, err := f.svc.RequestCheck(ctx, f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID, nil, ""); err != nil {
				t.Fatal(err)
			}
			f.clock.Set(mustTime(t, tt.changed))
			r, err := f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{ReleaseDate: &tt.release})
			if err != nil {
				t.Fatal(err)
			}
			da := checkOf(t, r, checks.TypeDomesticAbuse)
			if da.DueDate.String() != tt.wantDue || da.Urgent != tt.wantUrgent {
				t.Errorf("DA check: due %s urgent %v, want %s urgent %v", da.DueDate, da.Urgent, tt.wantDue, tt.wantUrgent)
			}
			last := da.History[len(da.History)-1]
			if last.Action != checks.ActionReleaseChanged || !strings.Contains(last.Note, tt.wantNote) {
				t.Errorf("last history entry = %s %q, want release_changed with %q", last.Action, last.Note, tt.wantNote)
			}
			if tt.wantUrgent && !strings.Contains(last.Note, "urgent") {
				t.Errorf("last history entry %q does not say the check became urgent", last.Note)
			}
			if cs := checkOf(t, r, checks.TypeChildSafeguarding); cs.RequestBy.String() != tt.wantRequestBy || cs.Overdue(f.svc.Today()) {
				t.Errorf("CS check: request by %s overdue %v, want %s and not overdue", cs.RequestBy, cs.Overdue(f.svc.Today()), tt.wantRequestBy)
			}
			// What the answer showed is what is stored.
			stored, err := f.svc.Check(ctx, f.com, da.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.DueDate != da.DueDate || stored.Urgent != da.Urgent {
				t.Errorf("stored DA check: due %s urgent %v, want %s urgent %v", stored.DueDate, stored.Urgent, da.DueDate, da.Urgent)
			}
		})
	}
}

func TestAReleaseRecordedAfterItsRequestByDateIsNotOverdueAtBirth(t *testing.T) {
	tests := []struct {
		name          string
		recorded      string
		release       string
		wantRequestBy string
	}{
		// 30 working days before Monday 14 December 2026 is Monday 2 November.
		{"a release recorded on a Tuesday is to be requested that day",
			"2026-11-24T09:00:00Z", "2026-12-14", "2026-11-24"},
		// 23:30 UTC on Saturday 28 November is still the 28th in London (winter).
		{"a release recorded late on a Saturday is to be requested that Saturday",
			"2026-11-28T23:30:00Z", "2026-12-14", "2026-11-28"},
		// In good time, the usual date: Monday 4 January 2027 for 15 February.
		{"a release recorded in good time keeps the usual request-by date",
			"2026-11-24T09:00:00Z", "2027-02-15", "2027-01-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.clock.Set(mustTime(t, tt.recorded))
			r := f.release(t, func(in *checks.ReleaseInput) { in.ReleaseDate = tt.release })
			for _, c := range r.Checks {
				if c.RequestBy.String() != tt.wantRequestBy || c.Overdue(f.svc.Today()) {
					t.Errorf("%s check: request by %s overdue %v, want %s and not overdue", c.Type, c.RequestBy, c.Overdue(f.svc.Today()), tt.wantRequestBy)
				}
			}
		})
	}
}

func TestAReleaseDateOnAWeekendOrBankHolidayIsAcceptedAndCountedFromTheWorkingDayBefore(t *testing.T) {
	tests := []struct {
		name          string
		release       string
		wantRequestBy string
	}{
		// Both are served by release on Friday 24 December 2027; 30 working days before it
		// is Friday 12 November 2027 (23-20, 17-13, 10-6, 3-1 December, 30, 29 November,
		// 26-22, 19-15, 12).
		{"a Saturday release date is accepted", "2027-12-25", "2027-11-12"},
		{"a bank holiday release date is accepted", "2027-12-28", "2027-11-12"},
		{"a Sunday release date is accepted", "2027-12-26", "2027-11-12"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.release(t, func(in *checks.ReleaseInput) { in.ReleaseDate = tt.release })
			if r.ReleaseDate.String() != tt.release {
				t.Errorf("release date = %s, want %s as given", r.ReleaseDate, tt.release)
			}
			if got := f.svc.Deadlines().ReleaseWorkday(r.ReleaseDate); got.String() != "2027-12-24" {
				t.Errorf("release workday = %s, want 2027-12-24", got)
			}
			for _, c := range r.Checks {
				if c.RequestBy.String() != tt.wantRequestBy {
					t.Errorf("%s check: request by %s, want %s", c.Type, c.RequestBy, tt.wantRequestBy)
				}
			}
		})
	}
}
