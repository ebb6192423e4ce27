package checks

import "slices"

// Action is something done to a check. Each is recorded in the check's history.
type Action string

// The actions.
const (
	ActionCreate      Action = "create"
	ActionRequest     Action = "request"
	ActionRespond     Action = "respond"
	ActionComplete    Action = "complete"
	ActionNotRequired Action = "not_required"
	ActionWithdraw    Action = "withdraw"
	// ActionNote adds a note without changing the status, e.g. a liaison asking for more time.
	ActionNote Action = "note"
	// ActionReleaseChanged records that the release's date, team or COM changed the check's
	// dates or owner.
	ActionReleaseChanged Action = "release_changed"
	// ActionStandDown withdraws a requested check the COM found unnecessary, with a reason.
	ActionStandDown Action = "stand_down"
	// ActionAskForTime is a liaison asking for a later due date; ActionAgreeTime and
	// ActionRefuseTime are probation's decision on it. None changes the status.
	ActionAskForTime Action = "extension_request"
	ActionAgreeTime  Action = "extension_agree"
	ActionRefuseTime Action = "extension_refuse"
)

//	required ──request──> requested ──respond──> responded ──complete──> completed
//	   │                     │
//	   └─not-required (reason)    any open status ──withdraw──> withdrawn
//	                         requested ──stand-down (reason)──> withdrawn
//
// A note keeps the status and is refused only on a withdrawn check. Asking for more time,
// and agreeing or refusing it, keep the status too, and only a requested check takes them:
// only then is an answer due.

// next returns the status a check in status from moves to by action a, and whether the
// lifecycle allows it.
func (a Action) next(from Status) (Status, bool) {
	switch a {
	case ActionRequest:
		return StatusRequested, from == StatusRequired
	case ActionRespond:
		return StatusResponded, from == StatusRequested
	case ActionComplete:
		return StatusCompleted, from == StatusResponded
	case ActionNotRequired:
		return StatusNotRequired, from == StatusRequired
	case ActionWithdraw:
		return StatusWithdrawn, from.Open()
	case ActionStandDown:
		return StatusWithdrawn, from == StatusRequested
	case ActionNote:
		return from, from != StatusWithdrawn
	case ActionAskForTime, ActionAgreeTime, ActionRefuseTime:
		return from, from == StatusRequested
	}
	return from, false
}

// roles returns the roles that may take action a on a check they can see. Withdrawal is the
// service's own doing when a release is cancelled or moves to another agency.
func (a Action) roles() []Role {
	switch a {
	case ActionRequest, ActionComplete, ActionNotRequired, ActionStandDown, ActionAgreeTime, ActionRefuseTime:
		return []Role{RoleCOM, RoleManager}
	case ActionRespond, ActionAskForTime:
		return []Role{RoleLiaison}
	case ActionNote:
		return []Role{RoleCOM, RoleManager, RoleLiaison}
	}
	return nil
}

// mayTake reports whether u may take action a on a check that u can see.
func (a Action) mayTake(u User) bool { return slices.Contains(a.roles(), u.Role) }
