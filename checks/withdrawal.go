package checks

import (
	"context"
	"time"
)

// WithdrawnBecause is which rule withdrew a check. The reason in words stays probation's;
// this marker is what reports and the escalation ladder read.
type WithdrawnBecause string

// The rules that withdraw a check.
const (
	// WithdrawnReleaseCancelled: the release was cancelled.
	WithdrawnReleaseCancelled WithdrawnBecause = "release_cancelled"
	// WithdrawnAddressMoved: the release address moved to another agency before this one
	// answered.
	WithdrawnAddressMoved WithdrawnBecause = "address_moved"
	// WithdrawnStoodDown: the COM found the request unnecessary and stood it down.
	WithdrawnStoodDown WithdrawnBecause = "stood_down"
)

// AgencyCopy is what a liaison sees of a check's release once the check has left the agency:
// the release fields copied onto the check, and how many history entries it had, as they
// were at that moment. Whatever happens to the release afterwards (a new date, team or COM,
// the agency it moved to) is no longer the old agency's business.
type AgencyCopy struct {
	CRN         string
	FullName    string
	DateOfBirth Date
	ReleaseDate Date
	DueDate     Date
	// History is how many entries of the check's history the agency sees: those up to and
	// including the one that took the check away from it.
	History int
}

// freeze records on next what the agency sees of c from now on: c's release fields as they
// were before this change, and its history up to the entry this change appends. A check
// frozen already stays as it was first frozen.
func freeze(c Check, next *Check) {
	if next.Frozen != nil {
		return
	}
	next.Frozen = &AgencyCopy{CRN: c.CRN, FullName: c.FullName, DateOfBirth: c.DateOfBirth,
		ReleaseDate: c.ReleaseDate, DueDate: c.DueDate, History: len(c.History) + 1}
}

// withdrawn marks next withdrawn from c by rule because, at now, and freezes what the agency
// sees of it.
func withdrawn(c Check, next *Check, because WithdrawnBecause, reason string, now time.Time) {
	next.Status, next.WithdrawnReason, next.WithdrawnBecause, next.WithdrawnAt = StatusWithdrawn, reason, because, now
	freeze(c, next)
}

// asFrozen returns c as its agency sees it once it has left the agency: the release fields
// and history as they were then. A check still the agency's is returned as it is.
func (c Check) asFrozen() Check {
	f := c.Frozen
	if f == nil {
		return c
	}
	c.CRN, c.FullName, c.DateOfBirth, c.ReleaseDate, c.DueDate = f.CRN, f.FullName, f.DateOfBirth, f.ReleaseDate, f.DueDate
	if len(c.History) > f.History {
		c.History = c.History[:f.History]
	}
	return c
}

// StandDown withdraws a requested check that the COM found unnecessary, with the reason. A
// check not yet requested is marked not required instead: nothing was asked of the agency.
// The agency still sees its request, withdrawn, without the reason.
func (s *Service) StandDown(ctx context.Context, actor User, id string, ifMatch *int64, reason string) (Check, error) {
	var f fields
	reason = text(&f, "reason", reason, true, MaxNote)
	if err := f.err(); err != nil {
		return Check{}, err
	}
	return s.change(ctx, actor, id, ifMatch, ActionStandDown, func(c *Check, now time.Time) (string, error) {
		withdrawn(*c, c, WithdrawnStoodDown, reason, now)
		return reason, nil
	})
}
