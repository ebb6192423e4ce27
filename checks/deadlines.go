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

// ReleaseWorkday returns the day the person actually leaves prison: the release date itself
// when it is a working day, else the last working day before it. Prisons do not release at
// weekends or on bank holidays, so a sentence ending on one is served by release on the
// working day before, and every deadline counts from that day.
func (d Deadlines) ReleaseWorkday(release Date) Date {
	if release.IsZero() {
		return release
	}
	for !d.Calendar.IsWorkday(release) {
		release = release.AddDays(-1)
	}
	return release
}

// RequestBy returns the last day on which a check for a release on release should be
// requested.
func (d Deadlines) RequestBy(release Date) Date {
	return d.Calendar.AddWorkdays(d.ReleaseWorkday(release), -d.Policy.RequestLeadDays)
}

// RequestByAsOf returns the request-by date of a check for a release on release, as the
// release is recorded or changed on today. A release recorded, or brought forward, too late
// for RequestBy gets today instead: the COM is reminded to request it now, and it is not
// overdue the moment it exists. previous is the date the check had before the change (zero
// for a new check): one already past stays where it was when the change would move it
// earlier still, so that a change never clears a lateness that had already begun.
func (d Deadlines) RequestByAsOf(release, today, previous Date) Date {
	return notBefore(d.RequestBy(release), floor(today, previous))
}

// ResponseDue returns the day by which an agency should answer a request made at requested
// for a release on release. See ResponseDeadline.
func (d Deadlines) ResponseDue(requested time.Time, release Date) Date {
	due, _ := d.ResponseDeadline(requested, release)
	return due
}

// ResponseDeadline returns the day by which an agency should answer a request made at
// requested for a release on release, and whether it is urgent.
//
// The answer is due ResponseDays working days after the day the request counts from (5 when
// the release is near), but no later than the hard stop before release. When the hard stop
// would put it before the first working day after the request, the agency could never meet
// it: the answer is then due on that first working day instead, and urgent.
func (d Deadlines) ResponseDeadline(requested time.Time, release Date) (Date, bool) {
	start := d.CountsFrom(requested)
	n := d.Policy.ResponseDays
	if DateOf(requested).DaysUntil(d.ReleaseWorkday(release)) <= d.Policy.UrgentWithinDays {
		n = d.Policy.UrgentResponseDays
	}
	due := d.Calendar.AddWorkdays(start, n)
	if stop := d.HardStop(release); stop.Before(due) {
		due = stop
	}
	due = notBefore(due, d.FirstWorkdayAfter(requested))
	return due, d.Urgent(due, release)
}

// RedueAfterChange returns the due date and urgency of a check requested at requested, after
// its release moved to release at changed. The date is as ResponseDeadline computes it, but a
// change never moves it into the past: it is at least the first working day after the
// change, unless it was already earlier than that (previous, the due date before the
// change), in which case it stays where it was and the answer stays as late as it was.
func (d Deadlines) RedueAfterChange(requested time.Time, release Date, previous Date, changed time.Time) (Date, bool) {
	due, _ := d.ResponseDeadline(requested, release)
	due = notBefore(due, floor(d.FirstWorkdayAfter(changed), previous))
	return due, d.Urgent(due, release)
}

// Urgent reports whether an answer due on due comes after the hard stop of a release on
// release: there was not time to ask for it sooner, and the agency should answer at once.
func (d Deadlines) Urgent(due, release Date) bool {
	return !due.IsZero() && due.After(d.HardStop(release))
}

// CountsFrom returns the day a request made at t counts from: that day when it is a working
// day and t is no later than the cut-off, else the next working day.
func (d Deadlines) CountsFrom(t time.Time) Date {
	local := t.In(london)
	day := DateOf(local)
	// Read the wall clock, not the time since midnight, which is an hour off on the days the
	// clocks change.
	h, m, s := local.Clock()
	clock := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute +
		time.Duration(s)*time.Second + time.Duration(local.Nanosecond())
	if !d.Calendar.IsWorkday(day) || clock > d.Policy.RequestCutoff {
		return d.Calendar.NextWorkday(day)
	}
	return day
}

// FirstWorkdayAfter returns the earliest day an answer to something asked at t can be due:
// the working day after the day t counts from (so a request after the cut-off, or on a
// non-working day, gives the agency the whole of the next working day too).
func (d Deadlines) FirstWorkdayAfter(t time.Time) Date {
	return d.Calendar.NextWorkday(d.CountsFrom(t))
}

// HardStop returns the last day any answer may be due for a release on release.
func (d Deadlines) HardStop(release Date) Date {
	return d.Calendar.AddWorkdays(d.ReleaseWorkday(release), -d.Policy.HardStopDays)
}

// WorkdaysToRelease returns the working days from today up to and including the release
// date: 0 on the day of release, negative once it has passed. A release date that is not a
// working day counts the same as the working day before it.
func (d Deadlines) WorkdaysToRelease(today, release Date) int {
	return d.Calendar.WorkdaysBetween(today, release)
}

// floor is the lowest date a change may move a deadline to: bound, unless the deadline was
// already before it (previous), in which case previous. A zero previous is no deadline yet.
func floor(bound, previous Date) Date {
	if !previous.IsZero() && previous.Before(bound) {
		return previous
	}
	return bound
}

// notBefore returns d, or least when d is earlier.
func notBefore(d, least Date) Date {
	if d.Before(least) {
		return least
	}
	return d
}
