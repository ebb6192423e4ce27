// Package notify chases checks by email before release: the escalation ladder decides which
// rungs are due for each open check as of a time, a run turns them into one digest per
// recipient written to the outbox, and a sender drains the outbox through a mailer (SMTP, or
// .eml files when no SMTP host is configured). A scheduler wakes both.
//
// No email ever carries a response summary, a name or a date of birth: only the CRN, the check
// type, the agency, dates and a link.
package notify

import (
	"github.com/probation/safeguarding/checks"
)

// Rule is a rung of the escalation ladder.
type Rule string

// The rungs, from the routine to the most urgent.
const (
	RequestNotice Rule = "request_notice"
	// RequestWithdrawn tells the agency a request it was sent is withdrawn (the release
	// cancelled, the address moved to another agency, or the check stood down) and needs no
	// answer. It never says why.
	RequestWithdrawn Rule = "request_withdrawn"
	ResponseNotice   Rule = "response_notice"
	// ResponseDeclined tells the team's managers that an agency declined to answer: the
	// check cannot be completed on its answer, and someone in probation must act.
	ResponseDeclined Rule = "response_declined"
	// TimeAsked tells the COM that the agency asked for more time, for them to agree or not.
	TimeAsked Rule = "time_asked"
	// RequestNotEmailed tells the COM that the request could not be emailed to the agency
	// (no contact mailbox): nobody there knows of it until someone calls.
	RequestNotEmailed Rule = "request_not_emailed"
	RequestReminder   Rule = "request_reminder"
	ResponseReminder  Rule = "response_reminder"
	// DueDateChanged tells the agency a requested check's new due date, when it differs from
	// the one the request notice (or the last due_date_changed) gave it.
	DueDateChanged     Rule = "due_date_changed"
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

// rung describes one rule: how urgent it is (higher first in a digest) and who gets it,
// which depends on the status of the check as well as on the rule. A check still `required`
// was never asked of its agency, so nothing about it goes there: every rung of a required
// check goes to probation only. An answered check's agency has done its part, so when its
// release is close the COM and the managers, who must act, are told, not the agency.
type rung struct {
	rule    Rule
	urgency int
	// Who gets the rung for a check that is required, requested, responded or withdrawn; nil
	// for a status the rung is never due in.
	required, requested, responded, withdrawn []recipient
}

// to lists who gets the rung for a check in status st; nil when the rung is never due for a
// check in that status.
func (g rung) to(st checks.Status) []recipient {
	switch st {
	case checks.StatusRequired:
		return g.required
	case checks.StatusRequested:
		return g.requested
	case checks.StatusResponded:
		return g.responded
	case checks.StatusWithdrawn:
		return g.withdrawn
	}
	return nil
}

// to is shorthand for a list of recipients in the ladder's table.
func to(rs ...recipient) []recipient { return rs }

// rungs returns the ladder, most urgent last: the one table of who gets which rung, by the
// status of the check.
func rungs() []rung {
	return []rung{
		{rule: RequestNotice, urgency: 1, requested: to(toAgencyContact)},
		// A withdrawn check is closed: this is the one rung it can be due, and only to the
		// agency that was asked.
		{rule: RequestWithdrawn, urgency: 1, withdrawn: to(toAgencyContact)},
		{rule: ResponseNotice, urgency: 2, responded: to(toCOM)},
		{rule: ResponseDeclined, urgency: 2, responded: to(toManagers)},
		{rule: TimeAsked, urgency: 2, requested: to(toCOM)},
		{rule: RequestNotEmailed, urgency: 2, requested: to(toCOM)},
		{rule: RequestReminder, urgency: 3, required: to(toCOM)},
		{rule: ResponseReminder, urgency: 4, requested: to(toAgencyContact)},
		// Above the reminder: a date moved closer is news the reminder would not tell.
		{rule: DueDateChanged, urgency: 5, requested: to(toAgencyContact)},
		{rule: RequestOverdue, urgency: 6, required: to(toCOM, toManagers)},
		{rule: ResponseOverdue, urgency: 7, requested: to(toAgencyContact, toCOM)},
		{rule: ResponseEscalated, urgency: 8, requested: to(toAgencyEscalation, toManagers)},
		{rule: ReleaseImminent, urgency: 9,
			required: to(toCOM, toManagers), requested: to(toManagers, toAgencyEscalation), responded: to(toCOM, toManagers)},
		{rule: ReleasedIncomplete, urgency: 10,
			required: to(toManagers), requested: to(toManagers), responded: to(toManagers)},
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

// Due returns the rules due for check c on day today that have not fired yet for the date
// each is based on (see Basis). A closed check is never due anything, but for a withdrawn
// one the notice of its withdrawal to the agency that was asked.
func (l Ladder) Due(c checks.Check, today checks.Date, only map[Rule]bool) []Rule {
	if !c.Status.Open() && c.Status != checks.StatusWithdrawn {
		return nil
	}
	cal := l.Deadlines.Calendar
	t := l.Thresholds
	// reached reports whether today is on or after n working days from d (no date: never).
	reached := func(d checks.Date, n int) bool {
		return !d.IsZero() && !today.Before(cal.AddWorkdays(d, n))
	}
	// when says whether each rule's dates are reached; whether the check's status is one
	// the rule applies to is the table's (rungs) to say.
	told := announced(c)
	_, askedOf := c.Escalations[string(RequestNotice)]
	when := map[Rule]bool{
		RequestNotice: true,
		// Only an agency that was told of the request is told it is withdrawn.
		RequestWithdrawn: askedOf,
		ResponseNotice:   true,
		ResponseDeclined: c.Response != nil && c.Response.Outcome == checks.OutcomeDeclined,
		TimeAsked:        c.Extension.Pending(),
		// Told when the request was made (the agency had no mailbox then), or when its
		// notice found none.
		RequestNotEmailed: c.Undeliverable != "" || len(c.Escalations[string(RequestNotice)].Undeliverable) > 0,
		// Not at the first request (the request notice gives the date), only once the date
		// the agency was given has moved.
		DueDateChanged:     !told.IsZero() && !c.DueDate.IsZero() && told != c.DueDate,
		RequestReminder:    reached(c.RequestBy, 0),
		RequestOverdue:     reached(c.RequestBy, t.RequestOverdueDays),
		ResponseReminder:   reached(c.DueDate, -t.ResponseReminderDays),
		ResponseOverdue:    !c.DueDate.IsZero() && today.After(c.DueDate),
		ResponseEscalated:  reached(c.DueDate, t.ResponseEscalationDays),
		ReleaseImminent:    !today.After(c.ReleaseDate) && cal.WorkdaysBetween(today, c.ReleaseDate) <= t.ReleaseImminentDays,
		ReleasedIncomplete: today.After(c.ReleaseDate),
	}
	var out []Rule
	for _, g := range rungs() {
		r := g.rule
		if g.to(c.Status) == nil || !when[r] {
			continue
		}
		if only != nil && !only[r] {
			continue
		}
		if firedFor(c, r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// Basis is the date rule r is computed from for check c: the request-by date for the
// request rungs, the due date for the response rungs, the release date for the release
// rungs, and for a notice the day of the request or the answer it announces. A rung fires
// once per basis; when a date changes so that the basis differs, the rung is due again
// against the new date. Zero when c has no such date.
func Basis(r Rule, c checks.Check) checks.Date {
	switch r {
	case RequestNotice, RequestWithdrawn, RequestNotEmailed:
		// A check is requested once: its withdrawal is told once.
		if !c.RequestedAt.IsZero() {
			return checks.DateOf(c.RequestedAt)
		}
	case ResponseNotice, ResponseDeclined:
		if c.Response != nil && !c.Response.RespondedAt.IsZero() {
			return checks.DateOf(c.Response.RespondedAt)
		}
	case TimeAsked:
		if c.Extension != nil {
			return checks.DateOf(c.Extension.RequestedAt)
		}
	case RequestReminder, RequestOverdue:
		return c.RequestBy
	case ResponseReminder, ResponseOverdue, ResponseEscalated, DueDateChanged:
		return c.DueDate
	case ReleaseImminent, ReleasedIncomplete:
		return c.ReleaseDate
	}
	return checks.Date{}
}

// announced is the due date c's agency was last given: the one the last due_date_changed
// announced, else the one the request notice gave; zero before the request notice fired. A
// request notice recorded before due dates were kept counts as having given the due date of
// now (no notice storm on upgrade).
func announced(c checks.Check) checks.Date {
	if e, ok := c.Escalations[string(DueDateChanged)]; ok && !e.Basis.IsZero() {
		return e.Basis
	}
	n, ok := c.Escalations[string(RequestNotice)]
	if !ok {
		return checks.Date{}
	}
	if n.Due.IsZero() {
		return c.DueDate
	}
	return n.Due
}

// firedFor reports whether rule r has fired for check c against the basis it has now. A record
// without a basis, written before bases were kept, counts as fired for the basis of now: an
// upgrade re-sends nothing.
func firedFor(c checks.Check, r Rule) bool {
	e, ok := c.Escalations[string(r)]
	return ok && (e.Basis.IsZero() || e.Basis == Basis(r, c))
}

// openStatuses are the statuses a rung can be due in, in the order a run reads them.
func openStatuses() []checks.Status {
	return []checks.Status{checks.StatusRequired, checks.StatusRequested, checks.StatusResponded}
}

// statusesFor lists the statuses a check may be in for one of the rules to be due: those
// the ladder's table gives recipients for.
func statusesFor(rules map[Rule]bool) []checks.Status {
	var out []checks.Status
	for _, st := range openStatuses() {
		for _, g := range rungs() {
			if rules[g.rule] && g.to(st) != nil {
				out = append(out, st)
				break
			}
		}
	}
	return out
}

// NoticeRules are the rungs sent within a minute of an event, not at the daily run: a
// request, its withdrawal or that it could not be emailed, an answer or a refusal to answer,
// a request for more time, and a due date moved by a change of the release date or by more
// time agreed.
func NoticeRules() map[Rule]bool {
	return map[Rule]bool{RequestNotice: true, RequestWithdrawn: true, ResponseNotice: true, ResponseDeclined: true,
		TimeAsked: true, RequestNotEmailed: true, DueDateChanged: true}
}
