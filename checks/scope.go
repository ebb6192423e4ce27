package checks

// Scope rules. Something out of a user's scope is answered exactly like something that does
// not exist (ErrNotFound), so that scope never tells a user what exists elsewhere.

// canSeeRelease reports whether u may see release r. Liaisons never see releases: they see
// the checks addressed to their agency, with the release fields those checks need.
func canSeeRelease(u User, r Release) bool {
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleCOM, RoleManager:
		return u.InTeam(r.Team)
	}
	return false
}

// canSeeCheck reports whether u may see check c. A liaison sees a check only once it has
// been requested from its agency: until then probation has shared nothing with the agency.
func canSeeCheck(u User, c Check) bool {
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleCOM, RoleManager:
		return u.InTeam(c.Team)
	case RoleLiaison:
		return c.Agency == u.Agency && !c.RequestedAt.IsZero()
	}
	return false
}

// probationName stands for probation's staff in what a liaison sees.
const probationName = "Probation"

// visibleTo returns c as u may see it. A liaison gets the check, its history and the release
// fields needed to run it (CRN, name, date of birth, release date), but not probation's own
// notes, the team, who in probation acted, or the escalations sent inside probation.
func (c Check) visibleTo(u User) Check {
	if u.Role != RoleLiaison {
		return c
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
		if h.Action == ActionComplete || h.Action == ActionNotRequired || h.Action == ActionReleaseChanged {
			h.Note = ""
		}
		history = append(history, h)
	}
	c.History = history
	return c
}
