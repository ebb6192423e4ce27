package checks

import (
	"context"
	"errors"
	"slices"
	"time"
)

// What an agency sees. A police force or children's services is told what it needs to run
// the check it was asked for, and nothing else: who the person is (name, date of birth, NOMS
// number, CRN), when and where they will be released, the people connected to that address,
// whom in probation to contact, and what the COM wrote with the request. Not the other
// agency's check or answer, not the prison, not probation's own notes, reasons or history.
// AgencyView holds exactly that, so that the API and the pages, which show a liaison only
// an AgencyView, cannot show more by mistake.

// AgencyView is a check as the liaison of the agency it was requested of sees it.
type AgencyView struct {
	// The check itself: what was asked of the agency, when it is due, and its own answer.
	ID          string
	Type        CheckType
	Agency      string
	Status      Status
	RequestedAt time.Time
	DueDate     Date
	// Urgent: the answer is due after the hard stop (see Deadlines.ResponseDeadline).
	Urgent   bool
	Response *Response
	Version  int64

	// The person, as every list of checks shows them.
	CRN         string
	FullName    string
	DateOfBirth Date
	ReleaseDate Date

	// Filled in by ForAgency; a list of checks leaves them out, as it would otherwise read a
	// release and a user for every check it lists.
	NOMSNumber  string
	Address     Address
	People      []Person
	COM         Contact
	RequestNote string
	// Extension is the agency's latest request for more time and probation's decision.
	Extension *Extension
	// Notes are the notes the agency's own liaisons added (e.g. asking for more time).
	Notes []AgencyNote
}

// Contact is whom in probation an agency talks to about a check: the case's COM.
type Contact struct {
	Name, Team, Email, Phone string
}

// AgencyNote is a note a liaison of the agency added to the check.
type AgencyNote struct {
	At   time.Time
	By   string
	Note string
}

// Overdue reports whether the agency's answer is late on today.
func (v AgencyView) Overdue(today Date) bool {
	return Check{Status: v.Status, DueDate: v.DueDate}.Overdue(today)
}

// Listed returns check c as a list of checks shows it to a liaison. c must be in the
// liaison's scope (the service's lists are).
func (c Check) Listed() AgencyView {
	v := AgencyView{
		ID: c.ID, Type: c.Type, Agency: c.Agency, Status: c.Status, RequestedAt: c.RequestedAt,
		DueDate: c.DueDate, Urgent: c.Urgent, Version: c.Version,
		CRN: c.CRN, FullName: c.FullName, DateOfBirth: c.DateOfBirth, ReleaseDate: c.ReleaseDate,
	}
	if c.Response != nil {
		r := *c.Response
		v.Response = &r
	}
	return v
}

// ForAgency returns check c, which the service gave the liaison actor, as that liaison sees
// it: with the release's details, the COM to contact and the request's note. A check out of
// the liaison's scope is not found, whoever handed it over.
func (s *Service) ForAgency(ctx context.Context, actor User, c Check) (AgencyView, error) {
	if actor.Role != RoleLiaison || !ScopeOf(actor).HoldsCheck(c) {
		return AgencyView{}, ErrNotFound
	}
	v := c.Listed()
	if c.Extension != nil {
		e := *c.Extension
		e.DecidedBy = "" // probation's actors are not the agency's business
		v.Extension = &e
	}
	// A check that has left the agency (withdrawn, or superseded after an address move) is
	// shown as it was then (visibleTo froze the listed fields): nothing is read from the
	// release now, whose address, people, team or COM may since have changed, or moved to
	// another agency's area.
	if c.Frozen == nil {
		r, err := s.store.Release(ctx, c.ReleaseID)
		if err != nil {
			return AgencyView{}, err
		}
		v.NOMSNumber, v.Address, v.People = r.NOMSNumber, r.Address, slices.Clone(r.People)
		v.COM.Team = r.Team
		com, err := s.store.User(ctx, r.COMID)
		switch {
		case errors.Is(err, ErrNotFound):
			// Users are deactivated, never deleted: a missing one leaves only the team to call.
		case err != nil:
			return AgencyView{}, err
		default:
			v.COM.Name, v.COM.Email, v.COM.Phone = com.Name, com.Email, com.Phone
		}
	}
	for _, h := range c.History {
		switch {
		case h.Action == ActionRequest:
			v.RequestNote = h.Note
		case h.Action == ActionNote && h.Role == RoleLiaison:
			v.Notes = append(v.Notes, AgencyNote{At: h.At, By: h.ActorName, Note: h.Note})
		}
	}
	return v, nil
}
