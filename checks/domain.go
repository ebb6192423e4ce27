// Package checks is the heart of the service: releases, the safeguarding checks each release
// needs, their lifecycle and deadlines, who may see and change them, and the interfaces of
// the store that keeps them (Store; package store implements it on MongoDB).
//
// It imports neither the HTTP API, nor the notifications, nor the store, nor a database
// driver: they all use it.
package checks

import (
	"slices"
	"time"
)

// Role is what a user does, and so what the user may see and change.
type Role string

// The roles.
const (
	// RoleAdmin runs the service: users, agencies, escalations. Sees everything.
	RoleAdmin Role = "admin"
	// RoleCOM is a Community Offender Manager in one probation team.
	RoleCOM Role = "com"
	// RoleManager manages one or more probation teams.
	RoleManager Role = "manager"
	// RoleLiaison answers checks for one police force or children's services authority.
	RoleLiaison Role = "liaison"
)

// Roles lists every role, for validation and help texts.
func Roles() []Role { return []Role{RoleAdmin, RoleCOM, RoleManager, RoleLiaison} }

// User is a person who uses the service.
type User struct {
	ID    string
	Name  string
	Email string
	// Phone is a work telephone number, optional; a liaison sees the COM's.
	Phone string
	Role  Role
	// Teams holds a COM's one team or a manager's teams.
	Teams []string
	// Agency is a liaison's agency code.
	Agency    string
	Active    bool
	CreatedAt time.Time
}

// InTeam reports whether team is one of the user's teams.
func (u User) InTeam(team string) bool { return slices.Contains(u.Teams, team) }

// AgencyKind says which kind of check an agency answers.
type AgencyKind string

// The kinds of agency.
const (
	KindPolice            AgencyKind = "police"
	KindChildrensServices AgencyKind = "childrens_services"
)

// Agency is a police force or a local authority's children's services.
type Agency struct {
	Code   string // ONS code, e.g. E23000001
	Name   string
	Kind   AgencyKind
	Nation string // England or Wales
	// ContactEmail is the team mailbox that receives requests.
	ContactEmail string
	// EscalationEmail is the mailbox of the team's manager, for escalations.
	EscalationEmail string
	Active          bool
	UpdatedAt       time.Time
	Version         int64
}

// CheckType is the kind of information a check asks for.
type CheckType string

// The check types.
const (
	TypeDomesticAbuse     CheckType = "domestic_abuse"
	TypeChildSafeguarding CheckType = "child_safeguarding"
)

// TypeInfo is what one type of check is: which kind of agency answers it, which field of a
// release names that agency, and how people call it.
type TypeInfo struct {
	Type CheckType
	// AgencyKind is the kind of agency that answers the check: only a liaison of an agency of
	// that kind can, and a release's agency for it must be of that kind.
	AgencyKind AgencyKind
	// Field is the name of the release field (in the API and the forms) holding the agency.
	Field string
	// Name is the type as a heading says it ("Domestic abuse"), AgencyLabel the agency's kind
	// ("Police force").
	Name        string
	AgencyLabel string
	// Short is the check as a sentence or an email's subject says it ("DA check"), in lower
	// case but for an initialism.
	Short string
	// agency is the release's field holding the agency's code; given and changed are the
	// same field of a new release and of a change to one.
	agency  func(*Release) *string
	given   func(ReleaseInput) string
	changed func(ReleasePatch) *string
}

// checkTypes is every type of check, in the order a release shows them. A new type of check
// is one more entry here, with the fields of Release, ReleaseInput and ReleasePatch for its
// agency.
var checkTypes = []TypeInfo{
	{Type: TypeDomesticAbuse, AgencyKind: KindPolice, Field: "police_force",
		Name: "Domestic abuse", AgencyLabel: "Police force", Short: "DA check",
		agency:  func(r *Release) *string { return &r.PoliceForce },
		given:   func(in ReleaseInput) string { return in.PoliceForce },
		changed: func(p ReleasePatch) *string { return p.PoliceForce }},
	{Type: TypeChildSafeguarding, AgencyKind: KindChildrensServices, Field: "local_authority",
		Name: "Child safeguarding", AgencyLabel: "Local authority (children's services)", Short: "child safeguarding check",
		agency:  func(r *Release) *string { return &r.LocalAuthority },
		given:   func(in ReleaseInput) string { return in.LocalAuthority },
		changed: func(p ReleasePatch) *string { return p.LocalAuthority }},
}

// CheckTypes lists every check type in the order a release shows them.
func CheckTypes() []CheckType {
	out := make([]CheckType, len(checkTypes))
	for i, ti := range checkTypes {
		out[i] = ti.Type
	}
	return out
}

// TypeInfos lists what every check type is, in the order a release shows them.
func TypeInfos() []TypeInfo { return slices.Clone(checkTypes) }

// Info returns what the check type is; the zero TypeInfo for an unknown one.
func (t CheckType) Info() TypeInfo {
	for _, ti := range checkTypes {
		if ti.Type == t {
			return ti
		}
	}
	return TypeInfo{}
}

// AgencyKind returns the kind of agency that answers checks of type t.
func (t CheckType) AgencyKind() AgencyKind { return t.Info().AgencyKind }

// AgencyKinds lists the kinds of agency, one for each check type.
func AgencyKinds() []AgencyKind {
	var out []AgencyKind
	for _, ti := range checkTypes {
		out = append(out, ti.AgencyKind)
	}
	return out
}

// Status is where a check is in its lifecycle.
type Status string

// The statuses of a check.
const (
	StatusRequired    Status = "required"
	StatusRequested   Status = "requested"
	StatusResponded   Status = "responded"
	StatusCompleted   Status = "completed"
	StatusNotRequired Status = "not_required"
	StatusWithdrawn   Status = "withdrawn"
)

// Statuses lists every status in lifecycle order.
func Statuses() []Status {
	return []Status{StatusRequired, StatusRequested, StatusResponded, StatusCompleted, StatusNotRequired, StatusWithdrawn}
}

// Open reports whether a check in status s still needs something done before release.
func (s Status) Open() bool {
	return s == StatusRequired || s == StatusRequested || s == StatusResponded
}

// Outcome is an agency's answer to a check.
type Outcome string

// The outcomes.
const (
	OutcomeInformationHeld Outcome = "information_held"
	OutcomeNoInformation   Outcome = "no_information"
	OutcomeDeclined        Outcome = "declined"
)

// Outcomes lists every outcome.
func Outcomes() []Outcome {
	return []Outcome{OutcomeInformationHeld, OutcomeNoInformation, OutcomeDeclined}
}

// Response is an agency's answer.
type Response struct {
	Outcome Outcome
	// Summary is special category data: it never leaves the API, never goes into an email
	// or a log.
	Summary         string
	RespondedAt     time.Time
	RespondedBy     string // user id
	RespondedByName string
}

// HistoryEntry is one thing that happened to a check.
type HistoryEntry struct {
	At        time.Time
	ActorID   string // empty for the service itself
	ActorName string
	Role      Role
	Action    Action
	From      Status
	To        Status
	Note      string
}

// ReleaseStatus is whether a release is still expected.
type ReleaseStatus string

// The statuses of a release.
const (
	ReleaseActive    ReleaseStatus = "active"
	ReleaseCancelled ReleaseStatus = "cancelled"
)

// Release is one person's expected release from prison, with the checks it needs.
type Release struct {
	ID             string
	CRN            string // probation case reference: a letter and six digits
	NOMSNumber     string // prison number: a letter, four digits, two letters
	FullName       string
	DateOfBirth    Date
	ReleaseDate    Date
	PrisonCode     string
	Team           string
	COMID          string
	PoliceForce    string // agency code of the police force for the release address
	LocalAuthority string // agency code of the children's services for the release address
	Status         ReleaseStatus
	CancelReason   string
	CreatedAt      time.Time
	CreatedBy      string
	UpdatedAt      time.Time
	Version        int64

	// Address is where the person will live; People are those connected to it. Both are
	// what a request carries to the agency (see address.go).
	Address Address
	People  []Person

	// Slots are the checks the release owns, current and superseded; see slot.
	Slots []Slot
	// Checks are the release's checks, filled in when a release is read with them.
	Checks []Check

	// SyncPending is set while the checks may not match the release yet: the release is
	// written first and its checks brought in line after, and a crash in between is repaired
	// on the next read or maintenance.
	SyncPending bool
}

// Slot is a release's record of one of its checks. A release owns one current check of each
// type; when the address changes to another agency, the check for the old agency is
// superseded (withdrawn if still open, kept with its answer if not) and a new one is created.
// The release document is written first and the checks are brought in line with it
// afterwards, so a crash in between is repaired by running the same sync again.
type Slot struct {
	CheckID    string
	Type       CheckType
	Agency     string
	Superseded bool
}

// Agency returns the code of the agency that answers checks of type t for the release.
func (r Release) Agency(t CheckType) string {
	if f := t.Info().agency; f != nil {
		return *f(&r)
	}
	return ""
}

// Check is one piece of information a release needs from one agency.
type Check struct {
	ID        string
	ReleaseID string
	Type      CheckType
	Agency    string
	Status    Status

	RequestBy   Date
	RequestedAt time.Time
	RequestedBy string
	DueDate     Date
	// Urgent is set when the answer is due after the hard stop before release: the check was
	// requested (or the release brought forward) too late for the usual time, so the due date
	// is the first working day after the request or the change instead.
	Urgent            bool
	Response          *Response
	CompletedAt       time.Time
	CompletedBy       string
	CompletionNote    string
	NotRequiredReason string
	WithdrawnReason   string
	SupersededBy      string

	History []HistoryEntry
	Version int64
	// Escalations records, per rule of the escalation ladder, when it fired and to whom.
	Escalations map[string]Escalation

	// WithdrawnBecause says which of the service's rules withdrew the check, and WithdrawnAt
	// when: the ladder tells the agency of a withdrawn request from these, without the reason.
	WithdrawnBecause WithdrawnBecause
	WithdrawnAt      time.Time
	// Frozen is what the agency's liaison sees of a check that left the agency (withdrawn, or
	// superseded by another agency's check): the release as it was then. Nil while the check
	// is the agency's.
	Frozen *AgencyCopy
	// Extension is the agency's latest request for more time, and probation's decision on it.
	Extension *Extension
	// Undeliverable says why the request could not be emailed to the agency when it was made
	// (e.g. no contact mailbox in the directory); "" when it could.
	Undeliverable string
	// forAgency marks the check as a liaison sees it (see visibleTo).
	forAgency bool

	// Copied from the release, so that lists and scope need no join.
	CRN         string
	FullName    string
	DateOfBirth Date
	ReleaseDate Date
	Team        string
	COMID       string
}

// Escalation records that one rung of the escalation ladder fired for a check: when, as of
// which time, against which date, to which addresses, and who could not be reached for want
// of an address.
type Escalation struct {
	At   time.Time
	AsOf time.Time
	// Basis is the date the rung was computed from (the request-by date, the due date, the
	// release date, or the day of the request or answer a notice announces). A rung fires
	// once per basis: when the date moves, it is due again against the new one. Zero on a
	// record written before bases were kept, which counts as fired for the basis of now.
	Basis Date
	// Due is the date the email gave its reader to act by: the request-by date of a check
	// not yet requested, else the due date (zero when none was set, or on an old record).
	Due           Date
	To            []string
	Undeliverable []string
	// Earlier are the rung's firings against earlier bases, oldest first; none of them has
	// an Earlier of its own.
	Earlier []Escalation
}

// Overdue reports whether the check is late on today: not requested after its request-by
// date, or not answered after its due date.
func (c Check) Overdue(today Date) bool {
	switch c.Status {
	case StatusRequired:
		return today.After(c.RequestBy)
	case StatusRequested:
		return today.After(c.DueDate)
	}
	return false
}

// Superseded reports whether the check was replaced by another after an address change.
func (c Check) Superseded() bool { return c.SupersededBy != "" }
