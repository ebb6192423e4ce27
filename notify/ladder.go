// Package notify chases checks by email before release: the escalation ladder decides which
// rungs are due for each open check as of a time, a run turns them into one digest per
// recipient written to the outbox, and a sender drains the outbox through a mailer (SMTP, or
// .eml files when no SMTP host is configured). A scheduler wakes both.
//
// No email ever carries a response summary, a name or a date of birth: only the CRN, the check
// type, the agency, dates and a link.
package notify

import (
	"slices"

	"github.com/probation/safeguarding/checks"
)

// Rule is a rung of the escalation ladder.
type Rule string

// The rungs, from the routine to the most urgent.
const (
	RequestNotice      Rule = "request_notice"
	ResponseNotice     Rule = "response_notice"
	RequestReminder    Rule = "request_reminder"
	ResponseReminder   Rule = "response_reminder"
	RequestOverdue     Rule = "request_overdue"
	ResponseOverdue    Rule = "response_overdue"
	ResponseEscalated  Rule = "response_escalated"
	ReleaseImminent    Rule = "release_imminent"
	ReleasedIncomplete Rule = "released_incomplete"
)

// Thresholds are the ladder's figures, in working days. Every one is configurable.
type Thresholds struct {
	// RequestOverdueDays after the request-by date, a check never requested is overdue.
	RequestOverdueDays int
	// ResponseReminderDays before the due date, the agency is reminded.
	ResponseReminderDays int
	// ResponseEscalationDays after the due date, an unanswered request goes to the agency's
	// manager and the team's managers.
	ResponseEscalationDays int
	// ReleaseImminentDays before release, any open check goes to the managers.
	ReleaseImminentDays int
}

// DefaultThresholds returns the design's defaults.
func DefaultThresholds() Thresholds {
	return Thresholds{RequestOverdueDays: 5, ResponseReminderDays: 2, ResponseEscalationDays: 3, ReleaseImminentDays: 5}
}

// recipient is someone a rung is sent to.
type recipient string

const (
	toCOM              recipient = "com"
	toManagers         recipient = "managers"
	toAgencyContact    recipient = "agency_contact"
	toAgencyEscalation recipient = "agency_escalation"
)

// rung describes one rule: who gets it and how urgent it is (higher first in a digest).
type rung struct {
	rule    Rule
	to      []recipient
	urgency int
}

// rungs returns the ladder, most urgent last.
func rungs() []rung {
	return []rung{
		{RequestNotice, []recipient{toAgencyContact}, 1},
		{ResponseNotice, []recipient{toCOM}, 2},
		{RequestReminder, []recipient{toCOM}, 3},
		{ResponseReminder, []recipient{toAgencyContact}, 4},
		{RequestOverdue, []recipient{toCOM, toManagers}, 5},
		{ResponseOverdue, []recipient{toAgencyContact, toCOM}, 6},
		{ResponseEscalated, []recipient{toAgencyEscalation, toManagers}, 7},
		{ReleaseImminent, []recipient{toManagers, toAgencyEscalation}, 8},
		{ReleasedIncomplete, []recipient{toManagers}, 9},
	}
}

// Rules lists every rule in ladder order.
func Rules() []Rule {
	var out []Rule
	for _, r := range rungs() {
		out = append(out, r.rule)
	}
	return out
}

func rungOf(r Rule) rung {
	for _, g := range rungs() {
		if g.rule == r {
			return g
		}
	}
	return rung{rule: r}
}

// Ladder decides which rungs are due.
type Ladder struct {
	Thresholds Thresholds
	Deadlines  checks.Deadlines
}

// Due returns the rules due for check c on day today that have not fired yet. A closed
// check (completed, not required, withdrawn) is never due anything.
func (l Ladder) Due(c checks.Check, today checks.Date, only map[Rule]bool) []Rule {
	if !c.Status.Open() {
		return nil
	}
	cal := l.Deadlines.Calendar
	t := l.Thresholds
	// reached reports whether today is on or after n working days from d (no date: never).
	reached := func(d checks.Date, n int) bool {
		return !d.IsZero() && !today.Before(cal.AddWorkdays(d, n))
	}
	due := map[Rule]bool{
		RequestNotice:      c.Status == checks.StatusRequested,
		ResponseNotice:     c.Status == checks.StatusResponded,
		RequestReminder:    c.Status == checks.StatusRequired && reached(c.RequestBy, 0),
		RequestOverdue:     c.Status == checks.StatusRequired && reached(c.RequestBy, t.RequestOverdueDays),
		ResponseReminder:   c.Status == checks.StatusRequested && reached(c.DueDate, -t.ResponseReminderDays),
		ResponseOverdue:    c.Status == checks.StatusRequested && !c.DueDate.IsZero() && today.After(c.DueDate),
		ResponseEscalated:  c.Status == checks.StatusRequested && reached(c.DueDate, t.ResponseEscalationDays),
		ReleaseImminent:    !today.After(c.ReleaseDate) && cal.WorkdaysBetween(today, c.ReleaseDate) <= t.ReleaseImminentDays,
		ReleasedIncomplete: today.After(c.ReleaseDate),
	}
	var out []Rule
	for _, r := range Rules() {
		if !due[r] {
			continue
		}
		if only != nil && !only[r] {
			continue
		}
		if _, fired := c.Escalations[string(r)]; fired {
			continue
		}
		out = append(out, r)
	}
	return out
}

// statusesFor lists the statuses a check may be in for one of the rules to be due.
func statusesFor(rules map[Rule]bool) []checks.Status {
	only := map[Rule][]checks.Status{
		RequestNotice: {checks.StatusRequested}, ResponseNotice: {checks.StatusResponded},
		RequestReminder: {checks.StatusRequired}, RequestOverdue: {checks.StatusRequired},
		ResponseReminder: {checks.StatusRequested}, ResponseOverdue: {checks.StatusRequested},
		ResponseEscalated: {checks.StatusRequested},
	}
	var out []checks.Status
	for _, st := range []checks.Status{checks.StatusRequired, checks.StatusRequested, checks.StatusResponded} {
		for r := range rules {
			ss, ok := only[r]
			if rules[r] && (!ok || slices.Contains(ss, st)) {
				out = append(out, st)
				break
			}
		}
	}
	return out
}

// NoticeRules are the rungs sent within a minute of an event, not at the daily run.
func NoticeRules() map[Rule]bool {
	return map[Rule]bool{RequestNotice: true, ResponseNotice: true}
}
