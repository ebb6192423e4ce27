package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// CheckFilter selects checks for a list, as the caller gave the values.
type CheckFilter struct {
	Status  string
	Type    string
	Agency  string
	Overdue string // "true", "false" or empty
	// Undeliverable "true" keeps only checks whose request could not be emailed to their
	// agency, for the admins who keep the agency directory.
	Undeliverable string
	ReleaseFrom   string // default: RecentDays ago
	ReleaseBefore string
	Limit         int
	Cursor        string
}

// ResponseInput is an agency's answer to a check.
type ResponseInput struct {
	Outcome string
	Summary string
}

// Check returns one check as the caller may see it. Showing a response summary is audited
// first.
func (s *Service) Check(ctx context.Context, actor User, id string) (Check, error) {
	c, err := s.visibleCheck(ctx, actor, id)
	if err != nil {
		return Check{}, err
	}
	if err := s.auditSummaryReads(ctx, actor, []Check{c}); err != nil {
		return Check{}, err
	}
	return c.visibleTo(actor), nil
}

// ReleaseOfCheck returns the release a check the caller can see belongs to, without showing
// (or auditing a read of) the check itself.
func (s *Service) ReleaseOfCheck(ctx context.Context, actor User, id string) (string, error) {
	c, err := s.visibleCheck(ctx, actor, id)
	return c.ReleaseID, err
}

func (s *Service) visibleCheck(ctx context.Context, actor User, id string) (Check, error) {
	if err := checkID("id", id); err != nil {
		return Check{}, err
	}
	c, err := s.store.Check(ctx, id)
	if err != nil {
		return Check{}, err
	}
	if !ScopeOf(actor).HoldsCheck(c) {
		return Check{}, ErrNotFound
	}
	return c, nil
}

// Checks lists the checks in the caller's scope, soonest release first.
func (s *Service) Checks(ctx context.Context, actor User, in CheckFilter) (Page[Check], error) {
	var f fields
	q := CheckQuery{Scope: ScopeOf(actor), Agency: strings.ToUpper(in.Agency), Cursor: in.Cursor, Today: s.Today()}
	if in.Status != "" {
		if !slices.Contains(Statuses(), Status(in.Status)) {
			f.add("status", "must be one of %s", joinValues(Statuses()))
		}
		q.Status = Status(in.Status)
	}
	if in.Type != "" {
		if !slices.Contains(CheckTypes(), CheckType(in.Type)) {
			f.add("type", "must be one of %s", joinValues(CheckTypes()))
		}
		q.Type = CheckType(in.Type)
	}
	switch in.Overdue {
	case "":
	case "true", "false":
		overdue := in.Overdue == "true"
		q.Overdue = &overdue
	default:
		f.add("overdue", "must be true or false")
	}
	switch in.Undeliverable {
	case "", "false":
	case "true":
		// The requests still waiting for an answer, unless another status is asked for: an
		// answered request reached its agency somehow.
		q.Undeliverable = true
		if q.Status == "" {
			q.Status = StatusRequested
		}
	default:
		f.add("undeliverable", "must be true or false")
	}
	q.ReleaseFrom = optionalDate(&f, "release_from", in.ReleaseFrom)
	if in.ReleaseFrom == "" {
		q.ReleaseFrom = q.Today.AddDays(-RecentDays)
	}
	q.ReleaseBefore = optionalDate(&f, "release_before", in.ReleaseBefore)
	var err error
	if q.Limit, err = limit(in.Limit); err != nil {
		return Page[Check]{}, err
	}
	if err := f.err(); err != nil {
		return Page[Check]{}, err
	}
	page, err := s.store.FindChecks(ctx, q)
	if err != nil {
		return page, err
	}
	if err := s.auditSummaryReads(ctx, actor, page.Items); err != nil {
		return Page[Check]{}, err
	}
	for i := range page.Items {
		page.Items[i] = page.Items[i].visibleTo(actor)
	}
	return page, nil
}

func joinValues[T ~string](values []T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}

// RequestCheck records that the check was sent to its agency, and sets the day the answer
// is due. The note, if any, goes into the check's history. When the agency directory gives
// the agency no contact mailbox, the check is requested all the same (the COM can phone the
// agency) and says why it could not be emailed, so that nobody believes it was.
func (s *Service) RequestCheck(ctx context.Context, actor User, id string, ifMatch *int64, note string) (Check, error) {
	var f fields
	note = text(&f, "note", note, false, MaxNote)
	if err := f.err(); err != nil {
		return Check{}, err
	}
	return s.change(ctx, actor, id, ifMatch, ActionRequest, func(c *Check, now time.Time) (string, error) {
		c.RequestedAt, c.RequestedBy = now, actor.ID
		c.DueDate, c.Urgent = s.deadlines.ResponseDeadline(now, c.ReleaseDate)
		why, err := s.undeliverable(ctx, c.Agency)
		c.Undeliverable = why
		return note, err
	})
}

// NoContactMailbox is why a request to an agency without a contact mailbox in the directory
// cannot be emailed.
const NoContactMailbox = "the agency has no contact mailbox in the directory"

// undeliverable says why a request to agency cannot be emailed, or "" when it can.
func (s *Service) undeliverable(ctx context.Context, agency string) (string, error) {
	a, err := s.store.Agency(ctx, agency)
	switch {
	case errors.Is(err, ErrNotFound):
		return "the agency is not in the directory", nil
	case err != nil:
		return "", err
	case a.ContactEmail == "":
		return NoContactMailbox, nil
	}
	return "", nil
}

// RespondToCheck records an agency's answer. Only a liaison of the check's agency may.
func (s *Service) RespondToCheck(ctx context.Context, actor User, id string, ifMatch *int64, in ResponseInput) (Check, error) {
	var f fields
	outcome := Outcome(in.Outcome)
	if !slices.Contains(Outcomes(), outcome) {
		if in.Outcome == "" {
			f.add("outcome", "is required: one of %s", joinValues(Outcomes()))
		} else {
			f.add("outcome", "must be one of %s", joinValues(Outcomes()))
		}
	}
	// "No information" can stand alone; information held or a refusal must say what or why.
	summary := text(&f, "summary", in.Summary, outcome != OutcomeNoInformation, MaxSummary)
	if err := f.err(); err != nil {
		return Check{}, err
	}
	return s.transition(ctx, actor, id, ifMatch, ActionRespond, "", func(c *Check, now time.Time) {
		c.Response = &Response{Outcome: outcome, Summary: summary, RespondedAt: now, RespondedBy: actor.ID, RespondedByName: actor.Name}
	})
}

// CompleteCheck records that the COM read the answer and what it changes.
func (s *Service) CompleteCheck(ctx context.Context, actor User, id string, ifMatch *int64, note string) (Check, error) {
	var f fields
	note = text(&f, "note", note, true, MaxNote)
	if err := f.err(); err != nil {
		return Check{}, err
	}
	return s.transition(ctx, actor, id, ifMatch, ActionComplete, "", func(c *Check, now time.Time) {
		c.CompletedAt, c.CompletedBy, c.CompletionNote = now, actor.ID, note
	})
}

// MarkNotRequired records that the check is not needed, and why. Reports count it apart,
// never as done.
func (s *Service) MarkNotRequired(ctx context.Context, actor User, id string, ifMatch *int64, reason string) (Check, error) {
	var f fields
	reason = text(&f, "reason", reason, true, MaxNote)
	if err := f.err(); err != nil {
		return Check{}, err
	}
	return s.transition(ctx, actor, id, ifMatch, ActionNotRequired, "", func(c *Check, _ time.Time) {
		c.NotRequiredReason = reason
	})
}

// AddNote adds a note to the check's history without changing its status: a liaison asking
// for more time, a COM recording a phone call.
func (s *Service) AddNote(ctx context.Context, actor User, id string, ifMatch *int64, note string) (Check, error) {
	var f fields
	note = text(&f, "note", note, true, MaxNote)
	if err := f.err(); err != nil {
		return Check{}, err
	}
	return s.transition(ctx, actor, id, ifMatch, ActionNote, note, func(*Check, time.Time) {})
}

// transition takes action on a check in one conditional update: it reads the check, checks
// scope, role, If-Match and the lifecycle, applies the change, appends the history entry and
// bumps the version. When another change wins the race for the document, it starts again
// from the new state, so the loser gets the answer that state deserves (409); if the caller
// named a version, the loser gets 412.
func (s *Service) transition(ctx context.Context, actor User, id string, ifMatch *int64, action Action, note string, apply func(*Check, time.Time)) (Check, error) {
	return s.change(ctx, actor, id, ifMatch, action, func(c *Check, now time.Time) (string, error) {
		apply(c, now)
		return note, nil
	})
}

// change is transition for a change that depends on the check's current state: apply may
// refuse it (its error is answered as it is), and returns the history entry's note.
func (s *Service) change(ctx context.Context, actor User, id string, ifMatch *int64, action Action, apply func(*Check, time.Time) (string, error)) (Check, error) {
	for range retries {
		c, err := s.visibleCheck(ctx, actor, id)
		if err != nil {
			return Check{}, err
		}
		if !action.mayTake(actor) {
			return Check{}, forbidden(actor, action)
		}
		if err := precondition(ifMatch, c.Version); err != nil {
			return Check{}, err
		}
		to, ok := action.next(c.Status)
		if !ok {
			return Check{}, &Error{Code: ECONFLICT, Status: c.Status,
				Message: fmt.Sprintf("cannot %s a check that is %s", action.verb(), c.Status)}
		}
		now := s.now()
		next := c
		next.Status = to
		note, err := apply(&next, now)
		if err != nil {
			return Check{}, err
		}
		entry := actorEntry(actor, now, action)
		entry.From, entry.To, entry.Note = c.Status, to, note
		changes := checkChanges(c, next)
		if note != "" {
			changes = append(changes, Change{Field: "history.note", After: noteLength(note)})
		}
		audit := s.audit(actor, "check."+string(action), ResourceCheck, c.ID, c.ReleaseID, changes)
		updated, err := s.store.UpdateCheck(ctx, next, &entry, now, audit)
		if stale(err) && ifMatch == nil {
			continue
		}
		if err != nil {
			return Check{}, err
		}
		// The answer shows the summary again: a read like any other, but for its author's.
		if action != ActionRespond {
			if err := s.auditSummaryReads(ctx, actor, []Check{updated}); err != nil {
				return Check{}, err
			}
		}
		return updated.visibleTo(actor), nil
	}
	return Check{}, &Error{Code: ECONFLICT, Message: "the check kept changing while this change was made; read it again"}
}

func forbidden(actor User, action Action) error {
	who := map[Action]string{
		ActionRequest:     "only the COM's team can request a check",
		ActionRespond:     "only a liaison of the check's agency can answer it",
		ActionComplete:    "only the COM's team can complete a check",
		ActionNotRequired: "only the COM's team can mark a check not required",
		ActionNote:        "admins cannot add notes to checks",
		ActionStandDown:   "only the COM's team can stand down a request",
		ActionAskForTime:  "only a liaison of the check's agency can ask for more time",
		ActionAgreeTime:   "only the COM's team can agree to more time",
		ActionRefuseTime:  "only the COM's team can refuse more time",
	}[action]
	return &Error{Code: EFORBIDDEN, Message: fmt.Sprintf("a %s cannot do this: %s", actor.Role, who)}
}

// verb is the action as the refusal of a transition says it: "cannot stand down a check
// that is required".
func (a Action) verb() string {
	switch a {
	case ActionStandDown:
		return "stand down"
	case ActionAskForTime:
		return "ask for more time on"
	case ActionAgreeTime:
		return "agree more time on"
	case ActionRefuseTime:
		return "refuse more time on"
	}
	return strings.ReplaceAll(string(a), "_", "-")
}
