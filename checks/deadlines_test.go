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
		{"a release exactly 28 days away is urgent",
			"2026-11-30T10:00:00Z", "2026-12-28", "2026-12-07"},
		{"a release 29 days away is not urgent",
			"2026-11-30T10:00:00Z", "2026-12-29", "2026-12-14"},
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
