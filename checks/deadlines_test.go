package checks

import (
	"testing"
	"time"
)

// The expected dates below were counted by hand against the GOV.UK list of bank holidays in
// England and Wales (2026: 25 and 28 December; 2027: 1 January, 26 and 29 March, 3 and 31 May,
// 27 and 28 December; 2022: 29 August and the one-off 19 September).

func TestRequestByCountsThirtyWorkingDaysBackSkippingHolidays(t *testing.T) {
	d := Deadlines{Policy: DefaultPolicy(), Calendar: NewCalendar(nil)}
	tests := []struct {
		name    string
		release string
		want    string
	}{
		{"a release just after New Year skips Christmas, the Boxing Day substitute and New Year's Day", "2027-01-04", "2026-11-18"},
		{"a release on Christmas Eve counts only ordinary weeks", "2026-12-24", "2026-11-12"},
		{"a release after Easter skips Good Friday and Easter Monday", "2027-04-12", "2027-02-25"},
		{"a release in June skips the early and late May bank holidays", "2027-06-15", "2027-04-30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.RequestBy(MustDate(tt.release)); got.String() != tt.want {
				t.Errorf("RequestBy(%s) = %s, want %s", tt.release, got, tt.want)
			}
		})
	}
}

func TestExtraClosureDaysFromConfigurationAreNotWorkingDays(t *testing.T) {
	// gb lacks the one-off holiday for the State Funeral on 19 September 2022.
	without := Deadlines{Policy: DefaultPolicy(), Calendar: NewCalendar(nil)}
	with := Deadlines{Policy: DefaultPolicy(), Calendar: NewCalendar([]Date{MustDate("2022-09-19")})}
	if got := without.RequestBy(MustDate("2022-10-03")); got.String() != "2022-08-19" {
		t.Errorf("without the closure: RequestBy = %s, want 2022-08-19", got)
	}
	if got := with.RequestBy(MustDate("2022-10-03")); got.String() != "2022-08-18" {
		t.Errorf("with the closure: RequestBy = %s, want 2022-08-18", got)
	}
	if with.Calendar.IsWorkday(MustDate("2022-09-19")) {
		t.Error("19 September 2022 is a working day, want a closure")
	}
}

func TestResponseDue(t *testing.T) {
	d := Deadlines{Policy: DefaultPolicy(), Calendar: NewCalendar(nil)}
	tests := []struct {
		name      string
		requested string // RFC 3339, any zone
		release   string
		want      string
	}{
		{"a morning request counts ten working days from the same day, skipping Christmas",
			"2026-12-14T10:00:00Z", "2027-03-01", "2026-12-30"},
		{"a request after 15:00 counts from the next working day",
			"2026-12-14T15:30:00Z", "2027-03-01", "2026-12-31"},
		{"a request at exactly 15:00 is still on time",
			"2026-12-14T15:00:00Z", "2027-03-01", "2026-12-30"},
		{"a request on a Saturday counts from Monday",
			"2026-12-12T09:00:00Z", "2027-03-01", "2026-12-30"},
		{"a request on a bank holiday counts from the next working day",
			"2026-12-28T09:00:00Z", "2027-03-01", "2027-01-13"},
		{"a request before Easter skips Good Friday and Easter Monday",
			"2027-03-25T14:30:00Z", "2027-06-01", "2027-04-12"},
		{"a request at 14:30 UTC in summer time is 15:30 in London, so it counts from the next day",
			"2027-10-25T14:30:00Z", "2028-03-01", "2027-11-09"},
		{"a request at 14:30 UTC after the clocks go back is 14:30 in London, on time",
			"2027-11-01T14:30:00Z", "2028-03-01", "2027-11-15"},
		{"a request at 14:30 UTC on the day before the clocks go forward is on time",
			"2027-03-27T14:30:00Z", "2027-09-01", "2027-04-13"},
		{"a request across the late May bank holiday skips it",
			"2027-05-25T09:00:00Z", "2027-09-01", "2027-06-09"},
		{"a release within 28 days gets an answer in five working days",
			"2026-11-30T10:00:00Z", "2026-12-21", "2026-12-07"},
		// Tuesday 1 December + 28 days is Tuesday 29 December, a working day: five working
		// days from the 1st are 2, 3, 4, 7, 8 December.
		{"a release exactly 28 days away gets the shorter time",
			"2026-12-01T10:00:00Z", "2026-12-29", "2026-12-08"},
		{"a release 29 days away gets the usual ten working days",
			"2026-11-30T10:00:00Z", "2026-12-29", "2026-12-14"},
		// Monday 28 December 2026 is the Boxing Day bank holiday: the person leaves on
		// Thursday 24 December, 24 days after the request, so the answer is due in five
		// working days (1, 2, 3, 4, 7 December).
		{"a release date on a bank holiday 28 days away counts its window to the working day before",
			"2026-11-30T10:00:00Z", "2026-12-28", "2026-12-07"},
		{"an answer is never due later than two working days before release",
			"2026-12-21T10:00:00Z", "2026-12-29", "2026-12-23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requested, err := time.Parse(time.RFC3339, tt.requested)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.ResponseDue(requested, MustDate(tt.release)); got.String() != tt.want {
				t.Errorf("ResponseDue(%s, %s) = %s, want %s", tt.requested, tt.release, got, tt.want)
			}
		})
	}
}

func TestEveryDeadlineFigureIsConfigurable(t *testing.T) {
	p := Policy{RequestLeadDays: 10, ResponseDays: 3, UrgentResponseDays: 1, UrgentWithinDays: 7, RequestCutoff: 12 * time.Hour, HardStopDays: 1}
	d := Deadlines{Policy: p, Calendar: NewCalendar(nil)}
	// Release Monday 11 January 2027: 10 working days back is Monday 28 December... a bank
	// holiday, so the count goes on: 8,7,6,5,4 January, 31,30,29 December, 24,23 → 23 Dec.
	if got := d.RequestBy(MustDate("2027-01-11")); got.String() != "2026-12-23" {
		t.Errorf("RequestBy with 10 days = %s, want 2026-12-23", got)
	}
	// 12:30 is after a 12:00 cut-off: count 3 working days from Tuesday 2 Feb.
	requested := time.Date(2027, 2, 1, 12, 30, 0, 0, time.UTC)
	if got := d.ResponseDue(requested, MustDate("2027-06-01")); got.String() != "2027-02-05" {
		t.Errorf("ResponseDue with 3 days and a noon cut-off = %s, want 2027-02-05", got)
	}
	// Release within 7 days: 1 working day, capped at 1 working day before release.
	if got := d.ResponseDue(time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC), MustDate("2027-02-05")); got.String() != "2027-02-02" {
		t.Errorf("urgent ResponseDue = %s, want 2027-02-02", got)
	}
}

func TestWorkdaysBetween(t *testing.T) {
	c := NewCalendar(nil)
	tests := []struct {
		name     string
		from, to string
		want     int
	}{
		{"Thursday to Friday is one working day", "2026-11-26", "2026-11-27", 1},
		{"Friday to Sunday is none", "2026-11-27", "2026-11-29", 0},
		{"a day to itself is none", "2026-11-27", "2026-11-27", 0},
		{"Christmas Eve to New Year's Eve skips three holidays and a weekend", "2026-12-24", "2026-12-31", 3},
		{"backwards counts negative", "2026-11-27", "2026-11-26", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.WorkdaysBetween(MustDate(tt.from), MustDate(tt.to)); got != tt.want {
				t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tt.from, tt.to, got, tt.want)
			}
		})
	}
}

// The bank holidays these tests count against (GOV.UK, England and Wales): 2026: Good Friday
// 3 April, Easter Monday 6 April, 25 December (Friday) and 28 December (Monday, for Boxing
// Day on the Saturday); 2027: 1 January (Friday), Good Friday 26 March, Easter Monday 29
// March, 27 and 28 December (Monday and Tuesday, for Christmas Day and Boxing Day on the
// weekend); 2028: 3 January (Monday, for New Year's Day on the Saturday). Weekdays: Tuesday
// 1 December 2026, Monday 1 February 2027, Monday 1 March 2027, Monday 25 October 2027 and
// Friday 24 December 2027.

func TestTheReleaseWorkdayIsTheLastWorkingDayOnOrBeforeTheReleaseDate(t *testing.T) {
	d := Deadlines{Policy: DefaultPolicy(), Calendar: NewCalendar(nil)}
	tests := []struct {
		name    string
		release string
		want    string
	}{
		{"a Monday release date is the day itself", "2027-02-15", "2027-02-15"},
		{"a Sunday release date is served by release on the Friday", "2027-02-14", "2027-02-12"},
		// Saturday 25 December 2027 → Friday 24th.
		{"Christmas Day on a Saturday goes back to Christmas Eve", "2027-12-25", "2027-12-24"},
		// Tuesday 28 December 2027 (holiday) → 27th (holiday) → 26th, 25th (weekend) → 24th.
		{"the Boxing Day substitute goes back over the whole Christmas break", "2027-12-28", "2027-12-24"},
		// Monday 3 January 2028 (holiday) → 2nd, 1st (weekend) → Friday 31 December 2027.
		{"the New Year substitute goes back into the old year", "2028-01-03", "2027-12-31"},
		// Easter Monday 29 March 2027 → 28th, 27th (weekend) → Good Friday 26th → Thursday 25th.
		{"Easter Monday goes back over Good Friday to the Thursday", "2027-03-29", "2027-03-25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := d.ReleaseWorkday(MustDate(tt.release)); got.String() != tt.want {
				t.Errorf("ReleaseWorkday(%s) = %s, want %s", tt.release, got, tt.want)
			}
		})
	}
}

func TestEveryDeadlineOfAReleaseOnANonWorkingDayCountsFromTheWorkingDayBefore(t *testing.T) {
	d := Deadlines{Policy: DefaultPolicy(), Calendar: NewCalendar(nil)}
	tests := []struct {
		name              string
		release           string
		requestBy, hardOf string
	}{
		// From Friday 24 December 2027, 30 working days back (no holiday between): 23, 22,
		// 21, 20 (4), 17-13 (9), 10-6 (14), 3-1 December and 30, 29 November (19), 26-22
		// (24), 19-15 (29), Friday 12 November (30). The hard stop: 23 (1), 22 (2).
		// Counted from the Saturday itself, both would be a working day later (15 November
		// and 23 December), as if the person left on the Saturday.
		{"a Saturday release counts from the Friday", "2027-12-25", "2027-11-12", "2027-12-22"},
		{"a release on the Boxing Day substitute counts from the same Friday", "2027-12-28", "2027-11-12", "2027-12-22"},
		{"a Friday release is counted as before", "2027-12-24", "2027-11-12", "2027-12-22"},
		// Easter Monday 29 March 2027 → Thursday 25 March. The hard stop: 24 (1), 23 (2).
		// Request by: 24-22 (3), 19-15 (8), 12-8 (13), 5-1 (18), 26-22 February (23),
		// 19-15 (28), 12, 11 (30) → Thursday 11 February.
		{"an Easter Monday release counts from the Thursday before Good Friday", "2027-03-29", "2027-02-11", "2027-03-23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := MustDate(tt.release)
			if got := d.RequestBy(release); got.String() != tt.requestBy {
				t.Errorf("RequestBy(%s) = %s, want %s", tt.release, got, tt.requestBy)
			}
			if got := d.HardStop(release); got.String() != tt.hardOf {
				t.Errorf("HardStop(%s) = %s, want %s", tt.release, got, tt.hardOf)
			}
		})
	}
}

func TestAnAnswerIsNeverDueBeforeTheFirstWorkingDayAfterTheRequest(t *testing.T) {
	d := Deadlines{Policy: DefaultPolicy(), Calendar: NewCalendar(nil)}
	tests := []struct {
		name       string
		requested  string // RFC 3339; London is UTC in winter, UTC+1 in summer
		release    string
		want       string
		wantUrgent bool
	}{
		// Release Thursday 24 December 2026: the hard stop is Tuesday 22nd (23 is 1, 22 is 2).
		// A request on Monday 21st counts from the 21st; the first working day after is the
		// 22nd, which the hard stop allows.
		{"a request whose hard stop is the first working day after it is due then, not urgent",
			"2026-12-21T10:00:00Z", "2026-12-24", "2026-12-22", false},
		// On Tuesday 22nd the hard stop is that very day: the agency gets Wednesday 23rd.
		{"a request on the day of the hard stop is due the next working day, urgent",
			"2026-12-22T10:00:00Z", "2026-12-24", "2026-12-23", true},
		// After 15:00 the request counts from Wednesday 23rd, so it is due Thursday 24th.
		{"a request after 15:00 on the day of the hard stop is due a working day later, urgent",
			"2026-12-22T16:00:00Z", "2026-12-24", "2026-12-24", true},
		// Release Tuesday 29 December 2026: the hard stop is Wednesday 23rd (24 is 1, 23 is 2).
		// A request on Wednesday 23rd after 15:00 counts from Thursday 24th; the next working
		// day is Tuesday 29th (25 and 28 are bank holidays, 26 and 27 the weekend).
		{"a late request before Christmas is due after the holidays, on release day, urgent",
			"2026-12-23T16:00:00Z", "2026-12-29", "2026-12-29", true},
		// Release Tuesday 22 December 2026, hard stop Friday 18th. A Saturday request counts
		// from Monday 21st: due Tuesday 22nd.
		{"a Saturday request counts from Monday and is due on Tuesday, urgent",
			"2026-12-19T09:00:00Z", "2026-12-22", "2026-12-22", true},
		// Requested on the release day itself: the agency still gets the next working day.
		{"a request on the day of release is due the working day after it, urgent",
			"2026-12-24T10:00:00Z", "2026-12-24", "2026-12-29", true},
		// Release Saturday 26 December 2026: the person leaves on Thursday 24th (25th is a
		// bank holiday), so the hard stop is Tuesday 22nd, not Wednesday 23rd.
		{"a Saturday release brings the hard stop back to the working day before",
			"2026-12-22T10:00:00Z", "2026-12-26", "2026-12-23", true},
		// Release Wednesday 27 October 2027, hard stop Monday 25th. 13:30 UTC is 14:30 in
		// London (summer time): the request counts from Monday and is due Tuesday 26th.
		{"a request at 14:30 London summer time counts from the same day",
			"2027-10-25T13:30:00Z", "2027-10-27", "2027-10-26", true},
		// 14:30 UTC is 15:30 in London: it counts from Tuesday and is due Wednesday 27th.
		{"a request at 15:30 London summer time counts from the next day",
			"2027-10-25T14:30:00Z", "2027-10-27", "2027-10-27", true},
		// Time enough: Tuesday 24 November 2026 + 10 working days is Tuesday 8 December.
		{"a request in good time is not urgent",
			"2026-11-24T09:00:00Z", "2027-02-15", "2026-12-08", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requested, err := time.Parse(time.RFC3339, tt.requested)
			if err != nil {
				t.Fatal(err)
			}
			got, urgent := d.ResponseDeadline(requested, MustDate(tt.release))
			if got.String() != tt.want || urgent != tt.wantUrgent {
				t.Errorf("ResponseDeadline(%s, %s) = %s urgent %v, want %s urgent %v", tt.requested, tt.release, got, urgent, tt.want, tt.wantUrgent)
			}
			if due := d.ResponseDue(requested, MustDate(tt.release)); due != got {
				t.Errorf("ResponseDue = %s, ResponseDeadline = %s: they disagree", due, got)
			}
		})
	}
}

func TestAReleaseDateChangeNeverMovesADueDateIntoThePast(t *testing.T) {
	d := Deadlines{Policy: DefaultPolicy(), Calendar: NewCalendar(nil)}
	tests := []struct {
		name       string
		requested  string // RFC 3339 (winter: London is UTC)
		previous   string // the due date before the change
		changed    string
		release    string // the new release date
		want       string
		wantUrgent bool
	}{
		// Requested Tuesday 24 November 2026 for release on 15 February 2027: due Tuesday 8
		// December. On Wednesday 2 December the release moves to Friday 4 December: from the
		// request that would be due 1 December (five working days: 25, 26, 27, 30, 1) and the
		// hard stop is Wednesday 2nd. The first working day after the change is Thursday 3rd.
		{"a release brought forward past the due date makes it the working day after the change, urgent",
			"2026-11-24T09:00:00Z", "2026-12-08", "2026-12-02T10:00:00Z", "2026-12-04", "2026-12-03", true},
		// The same change after 15:00 counts from Thursday: due Friday 4th, the release day.
		{"a change after 15:00 gives the agency the whole next working day",
			"2026-11-24T09:00:00Z", "2026-12-08", "2026-12-02T16:00:00Z", "2026-12-04", "2026-12-04", true},
		// Moving the release to Monday 14 December on the day of the request: five working
		// days (25, 26, 27, 30 November, 1 December), before the hard stop of 10 December.
		{"a release brought forward with time to spare takes the recomputed date",
			"2026-11-24T09:00:00Z", "2026-12-08", "2026-11-24T10:00:00Z", "2026-12-14", "2026-12-01", false},
		// On Thursday 10 December, two days after the answer was due, the release moves to
		// Monday 14th: recomputed, 1 December, earlier still. The due date stays the 8th,
		// overdue as it was, and before the hard stop of the 10th, so not urgent.
		{"a due date already past stays where it was rather than reset",
			"2026-11-24T09:00:00Z", "2026-12-08", "2026-12-10T10:00:00Z", "2026-12-14", "2026-12-08", false},
		// Requested Tuesday 22 December 2026 for release on Thursday 24th: due the 23rd,
		// urgent. The release moves to 15 February 2027, 55 days on: ten working days from
		// the 22nd are 23, 24, 29, 30, 31 December, 4-8 January (1 January is a holiday).
		{"a release put back far enough is no longer urgent",
			"2026-12-22T10:00:00Z", "2026-12-23", "2026-12-22T11:00:00Z", "2027-02-15", "2027-01-08", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requested, err := time.Parse(time.RFC3339, tt.requested)
			if err != nil {
				t.Fatal(err)
			}
			changed, err := time.Parse(time.RFC3339, tt.changed)
			if err != nil {
				t.Fatal(err)
			}
			got, urgent := d.RedueAfterChange(requested, MustDate(tt.release), MustDate(tt.previous), changed)
			if got.String() != tt.want || urgent != tt.wantUrgent {
				t.Errorf("RedueAfterChange = %s urgent %v, want %s urgent %v", got, urgent, tt.want, tt.wantUrgent)
			}
		})
	}
}

func TestARequestByDateIsNeverInThePastWhenTheReleaseIsRecordedOrChangedLate(t *testing.T) {
	d := Deadlines{Policy: DefaultPolicy(), Calendar: NewCalendar(nil)}
	tests := []struct {
		name     string
		release  string
		today    string
		previous string // "" for a new check
		want     string
	}{
		// Monday 15 February 2027 − 30 working days: 12-8 (5), 5-1 (10), January 29-25 (15),
		// 22-18 (20), 15-11 (25), 8-4 (30) → Monday 4 January, still ahead.
		{"a release recorded in good time is requested 30 working days before",
			"2027-02-15", "2026-11-24", "", "2027-01-04"},
		// Monday 14 December 2026 − 30 working days is Monday 2 November, already past on
		// Tuesday 24 November: the COM is asked to request it today.
		{"a release recorded after its request-by date is to be requested the day it is recorded",
			"2026-12-14", "2026-11-24", "", "2026-11-24"},
		{"a late release recorded on a Saturday is to be requested that Saturday",
			"2026-12-14", "2026-11-28", "", "2026-11-28"},
		{"a release brought forward past its request-by date is to be requested the day of the change",
			"2026-12-14", "2026-11-24", "2027-01-04", "2026-11-24"},
		// Request-by was 24 November and is past on Tuesday 1 December; the release moves to
		// Thursday 10 December (− 30 working days: Thursday 29 October). The COM was already
		// late since the 24th and stays so: the date stays.
		{"a request-by date already past stays where it was rather than reset",
			"2026-12-10", "2026-12-01", "2026-11-24", "2026-11-24"},
		{"a release put back moves a past request-by date into the future",
			"2027-02-15", "2026-12-01", "2026-11-24", "2027-01-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var previous Date
			if tt.previous != "" {
				previous = MustDate(tt.previous)
			}
			if got := d.RequestByAsOf(MustDate(tt.release), MustDate(tt.today), previous); got.String() != tt.want {
				t.Errorf("RequestByAsOf(%s, %s, %s) = %s, want %s", tt.release, tt.today, tt.previous, got, tt.want)
			}
		})
	}
}
