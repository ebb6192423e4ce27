package checks

import "time"

// Policy is the set of deadline rules. Every figure is configurable; DefaultPolicy gives the
// service's defaults.
type Policy struct {
	// RequestLeadDays: a check should be requested this many working days before release,
	// time for an answer and for the COM to act on it.
	RequestLeadDays int
	// ResponseDays: an agency should answer this many working days after the request.
	ResponseDays int
	// UrgentResponseDays replaces ResponseDays when the release is at most UrgentWithinDays
	// calendar days after the request.
	UrgentResponseDays int
	UrgentWithinDays   int
	// RequestCutoff is a time of day in London (a duration since midnight): a request made
	// after it counts from the next working day.
	RequestCutoff time.Duration
	// HardStopDays: an answer is never due later than this many working days before release.
	HardStopDays int
}

// DefaultPolicy returns the deadlines of the design: request 30 working days before release,
// answer in 10 working days (5 when release is within 28 days), requests after 15:00 count
// from the next working day, and every answer is due 2 working days before release at the
// latest.
func DefaultPolicy() Policy {
	return Policy{
		RequestLeadDays:    30,
		ResponseDays:       10,
		UrgentResponseDays: 5,
		UrgentWithinDays:   28,
		RequestCutoff:      15 * time.Hour,
		HardStopDays:       2,
	}
}

// Deadlines computes a check's dates from the policy and the working-day calendar.
type Deadlines struct {
	Policy   Policy
	Calendar *Calendar
}

// RequestBy returns the last day on which a check for a release on release should be
// requested.
func (d Deadlines) RequestBy(release Date) Date {
	return d.Calendar.AddWorkdays(release, -d.Policy.RequestLeadDays)
}

// ResponseDue returns the day by which an agency should answer a request made at requested
// for a release on release.
func (d Deadlines) ResponseDue(requested time.Time, release Date) Date {
	local := requested.In(london)
	day := DateOf(local)
	// Read the wall clock, not the time since midnight, which is an hour off on the days the
	// clocks change.
	h, m, s := local.Clock()
	clock := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(local.Nanosecond())
	start := day
	if !d.Calendar.IsWorkday(day) || clock > d.Policy.RequestCutoff {
		start = d.Calendar.NextWorkday(day)
	}
	n := d.Policy.ResponseDays
	if day.DaysUntil(release) <= d.Policy.UrgentWithinDays {
		n = d.Policy.UrgentResponseDays
	}
	due := d.Calendar.AddWorkdays(start, n)
	if stop := d.HardStop(release); stop.Before(due) {
		due = stop
	}
	return due
}

// HardStop returns the last day any answer may be due for a release on release.
func (d Deadlines) HardStop(release Date) Date {
	return d.Calendar.AddWorkdays(release, -d.Policy.HardStopDays)
}

// WorkdaysToRelease returns the working days from today up to and including the release
// date: 0 on the day of release, negative once it has passed.
func (d Deadlines) WorkdaysToRelease(today, release Date) int {
	return d.Calendar.WorkdaysBetween(today, release)
}
