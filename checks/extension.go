package checks

import (
	"context"
	"fmt"
	"time"
)

// Decision is probation's answer to a request for more time.
type Decision string

// The decisions; a request not yet decided has none ("").
const (
	DecisionAgreed  Decision = "agreed"
	DecisionRefused Decision = "refused"
)

// Extension is an agency's request for more time to answer a check, and probation's decision
// on it. A check keeps only the latest; the history keeps every one.
type Extension struct {
	ProposedDate    Date
	Note            string
	RequestedAt     time.Time
	RequestedBy     string // the liaison's user id
	RequestedByName string
	Decision        Decision
	DecidedAt       time.Time
	DecidedBy       string // user id, hidden from the agency like every probation actor
	// Reason is why more time was refused, when the COM said; the agency sees it.
	Reason string
}

// Pending reports whether the request is waiting for probation's decision.
func (e *Extension) Pending() bool { return e != nil && e.Decision == "" }

// ExtensionInput is a liaison's request for more time.
type ExtensionInput struct {
	ProposedDate string
	Note         string
}

// AskForTime records a liaison's request for a later due date. The check must be requested
// of the liaison's agency, with no other request for more time waiting. The date must be a
// working day after the current due date and no later than the hard stop before release:
// beyond it the answer would come too late to change the release plan, and the COM must be
// phoned instead.
func (s *Service) AskForTime(ctx context.Context, actor User, id string, ifMatch *int64, in ExtensionInput) (Check, error) {
	var f fields
	proposed := requiredDate(&f, "proposed_date", in.ProposedDate)
	note := text(&f, "note", in.Note, true, MaxNote)
	if err := f.err(); err != nil {
		return Check{}, err
	}
	return s.change(ctx, actor, id, ifMatch, ActionAskForTime, func(c *Check, now time.Time) (string, error) {
		if c.Extension.Pending() {
			return "", &Error{Code: ECONFLICT, Status: c.Status,
				Message: fmt.Sprintf("more time, until %s, was already asked for and probation has not decided yet", c.Extension.ProposedDate)}
		}
		var f fields
		stop := s.deadlines.HardStop(c.ReleaseDate)
		switch {
		case !proposed.After(c.DueDate):
			f.add("proposed_date", "must be after the current due date (%s)", c.DueDate)
		case proposed.After(stop):
			f.add("proposed_date", "must be no later than %s, %d working days before release: for later, phone the COM", stop, s.deadlines.Policy.HardStopDays)
		case !s.deadlines.Calendar.IsWorkday(proposed):
			f.add("proposed_date", "must be a working day")
		}
		if err := f.err(); err != nil {
			return "", err
		}
		c.Extension = &Extension{ProposedDate: proposed, Note: note, RequestedAt: now, RequestedBy: actor.ID, RequestedByName: actor.Name}
		return fmt.Sprintf("more time asked for, until %s: %s", proposed, note), nil
	})
}

// AgreeTime agrees to the waiting request for more time: the answer is due on the date the
// agency proposed. If the release has moved since, so that the date is no longer after the
// due date or is past the hard stop, the request is refused as it stands (409): refuse it and
// agree another date with the agency.
func (s *Service) AgreeTime(ctx context.Context, actor User, id string, ifMatch *int64) (Check, error) {
	return s.change(ctx, actor, id, ifMatch, ActionAgreeTime, func(c *Check, now time.Time) (string, error) {
		e := c.Extension
		if !e.Pending() {
			return "", &Error{Code: ECONFLICT, Status: c.Status, Message: "no request for more time is waiting for a decision"}
		}
		if stop := s.deadlines.HardStop(c.ReleaseDate); !e.ProposedDate.After(c.DueDate) || e.ProposedDate.After(stop) {
			return "", &Error{Code: ECONFLICT, Status: c.Status,
				Message: fmt.Sprintf("the release changed since more time was asked for: %s is no longer after the due date (%s) and no later than %s; refuse it and agree a date with the agency", e.ProposedDate, c.DueDate, stop)}
		}
		ext := *e
		ext.Decision, ext.DecidedAt, ext.DecidedBy = DecisionAgreed, now, actor.ID
		note := fmt.Sprintf("due date changed from %s to %s (more time agreed)", c.DueDate, ext.ProposedDate)
		c.Extension, c.DueDate = &ext, ext.ProposedDate
		c.Urgent = s.deadlines.Urgent(c.DueDate, c.ReleaseDate)
		return note, nil
	})
}

// RefuseTime refuses the waiting request for more time, with an optional reason the agency
// sees. The due date stays.
func (s *Service) RefuseTime(ctx context.Context, actor User, id string, ifMatch *int64, reason string) (Check, error) {
	var f fields
	reason = text(&f, "reason", reason, false, MaxNote)
	if err := f.err(); err != nil {
		return Check{}, err
	}
	return s.change(ctx, actor, id, ifMatch, ActionRefuseTime, func(c *Check, now time.Time) (string, error) {
		if !c.Extension.Pending() {
			return "", &Error{Code: ECONFLICT, Status: c.Status, Message: "no request for more time is waiting for a decision"}
		}
		ext := *c.Extension
		ext.Decision, ext.DecidedAt, ext.DecidedBy, ext.Reason = DecisionRefused, now, actor.ID, reason
		c.Extension = &ext
		note := fmt.Sprintf("more time until %s refused; the answer is still due %s", ext.ProposedDate, c.DueDate)
		if reason != "" {
			note += ": " + reason
		}
		return note, nil
	})
}

// agreedDue is the due date of a check after its release moved, given the date recomputed
// for it: an agreed extension is kept as far as the new hard stop allows, since probation
// promised the agency that time.
func (d Deadlines) agreedDue(c Check, recomputed Date, release Date) Date {
	e := c.Extension
	if e == nil || e.Decision != DecisionAgreed {
		return recomputed
	}
	kept := e.ProposedDate
	if stop := d.HardStop(release); kept.After(stop) {
		kept = stop
	}
	return notBefore(recomputed, kept)
}
