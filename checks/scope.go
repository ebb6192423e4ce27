package checks

import "slices"

// Scope rules. Something out of a user's scope is answered exactly like something that does
// not exist (ErrNotFound), so that scope never tells a user what exists elsewhere.

// HoldsRelease reports whether the scope holds release r. A liaison's scope holds no release:
// a liaison sees the checks addressed to its agency, with the release fields those checks
// need.
func (s Scope) HoldsRelease(r Release) bool {
	return s.all || slices.Contains(s.teams, r.Team)
}

// HoldsCheck reports whether the scope holds check c. A liaison's holds a check only once it
// has been requested of its agency: until then probation has shared nothing with the agency.
func (s Scope) HoldsCheck(c Check) bool {
	switch {
	case s.all:
		return true
	case s.agency != "":
		return c.Agency == s.agency && !c.RequestedAt.IsZero()
	}
	return slices.Contains(s.teams, c.Team)
}

// probationName stands for probation's staff in what a liaison sees.
const probationName = "Probation"

// visibleTo returns c as u may see it. A liaison gets the check, its history and the release
// fields needed to run it (CRN, name, date of birth, release date), but not probation's own
// notes, the team, who in probation acted, or the escalations sent inside probation. Once the
// check has left the agency (withdrawn or superseded), the liaison sees it as it was then,
// and never why it was withdrawn nor which agency replaced it.
func (c Check) visibleTo(u User) Check {
	if u.Role != RoleLiaison {
		return c
	}
	c = c.asFrozen()
	c.forAgency = true
	c.WithdrawnReason, c.WithdrawnBecause, c.SupersededBy = "", "", ""
	if c.Extension != nil {
		e := *c.Extension
		e.DecidedBy = ""
		c.Extension = &e
	}
	c.Team = ""
	c.COMID = ""
	c.RequestedBy = ""
	c.CompletedBy = ""
	c.CompletionNote = ""
	c.NotRequiredReason = ""
	c.Escalations = nil
	history := make([]HistoryEntry, 0, len(c.History))
	for _, h := range c.History {
		if h.Role != RoleLiaison {
			h.ActorID, h.ActorName = "", probationName
		}
		switch h.Action {
		case ActionComplete, ActionNotRequired, ActionReleaseChanged, ActionWithdraw, ActionStandDown:
			h.Note = ""
		}
		history = append(history, h)
	}
	c.History = history
	return c
}

// Scope is what a list may show a user, as a value every list query must be given: the
// teams of a COM or a manager, the agency of a liaison (only what was requested of it), or
// everything for an admin and the service itself. The zero Scope shows nothing, so a query
// that forgot its scope answers an empty list, never everyone's data.
type Scope struct {
	all    bool
	teams  []string
	agency string
}

// ScopeOf returns the scope of what u may see.
func ScopeOf(u User) Scope {
	switch u.Role {
	case RoleAdmin:
		return Scope{all: true}
	case RoleCOM, RoleManager:
		return Scope{teams: slices.Clone(u.Teams)}
	case RoleLiaison:
		return Scope{agency: u.Agency}
	}
	return Scope{}
}

// All reports whether the scope holds everything.
func (s Scope) All() bool { return s.all }

// Teams returns the teams of a team scope (none for the others).
func (s Scope) Teams() []string { return slices.Clone(s.teams) }

// Agency returns the agency of a liaison's scope: its checks once requested of it.
func (s Scope) Agency() string { return s.agency }

// Team narrows the scope to one team: that team when the scope holds it, else nothing.
func (s Scope) Team(team string) Scope {
	if s.all || slices.Contains(s.teams, team) {
		return Scope{teams: []string{team}}
	}
	return Scope{}
}
