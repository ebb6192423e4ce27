package api

import (
	"time"

	"github.com/probation/safeguarding/checks"
)

// The JSON shapes of the API: snake_case, RFC 3339 times, YYYY-MM-DD dates. They are built
// from the domain types here, so the domain carries no JSON tags.

type releaseJSON struct {
	ID                   string      `json:"id"`
	CRN                  string      `json:"crn"`
	NOMSNumber           string      `json:"noms_number"`
	FullName             string      `json:"full_name"`
	DateOfBirth          checks.Date `json:"date_of_birth"`
	ReleaseDate          checks.Date `json:"release_date"`
	ReleaseWorkday       checks.Date `json:"release_workday"`
	PrisonCode           string      `json:"prison_code"`
	Team                 string      `json:"team"`
	COMID                string      `json:"com_id"`
	PoliceForce          string      `json:"police_force"`
	LocalAuthority       string      `json:"local_authority"`
	Status               string      `json:"status"`
	CancelReason         string      `json:"cancel_reason,omitempty"`
	WorkingDaysToRelease int         `json:"working_days_to_release"`
	Checks               []checkJSON `json:"checks"`
	CreatedAt            time.Time   `json:"created_at"`
	UpdatedAt            time.Time   `json:"updated_at"`
	Version              int64       `json:"version"`

	// Address is null for a release recorded before the address was asked for.
	Address *addressJSON `json:"address"`
	People  []personJSON `json:"people"`
}

type checkJSON struct {
	ID                   string                    `json:"id"`
	ReleaseID            string                    `json:"release_id"`
	Type                 string                    `json:"type"`
	Agency               string                    `json:"agency"`
	Status               string                    `json:"status"`
	RequestBy            checks.Date               `json:"request_by"`
	RequestedAt          *time.Time                `json:"requested_at"`
	RequestedBy          string                    `json:"requested_by,omitempty"`
	DueDate              checks.Date               `json:"due_date"`
	Urgent               bool                      `json:"urgent"`
	Response             *responseJSON             `json:"response"`
	CompletedAt          *time.Time                `json:"completed_at"`
	CompletedBy          string                    `json:"completed_by,omitempty"`
	CompletionNote       string                    `json:"completion_note,omitempty"`
	NotRequiredReason    string                    `json:"not_required_reason,omitempty"`
	WithdrawnReason      string                    `json:"withdrawn_reason,omitempty"`
	SupersededBy         string                    `json:"superseded_by,omitempty"`
	Overdue              bool                      `json:"overdue"`
	WorkingDaysToRelease int                       `json:"working_days_to_release"`
	Release              checkReleaseJSON          `json:"release"`
	Team                 string                    `json:"team,omitempty"`
	COMID                string                    `json:"com_id,omitempty"`
	Escalations          map[string]escalationJSON `json:"escalations,omitempty"`
	History              []historyJSON             `json:"history"`
	Version              int64                     `json:"version"`
	checkLifecycleJSON
}

// checkReleaseJSON is what a check carries of its release: what an agency needs to run it.
type checkReleaseJSON struct {
	CRN            string      `json:"crn"`
	FullName       string      `json:"full_name"`
	DateOfBirth    checks.Date `json:"date_of_birth"`
	ReleaseDate    checks.Date `json:"release_date"`
	ReleaseWorkday checks.Date `json:"release_workday"`
}

type responseJSON struct {
	Outcome string `json:"outcome"`
	// Summary is left out by the list of releases, which shows none (see listedRelease).
	Summary         *string   `json:"summary,omitempty"`
	RespondedAt     time.Time `json:"responded_at"`
	RespondedBy     string    `json:"responded_by"`
	RespondedByName string    `json:"responded_by_name"`
}

type historyJSON struct {
	At        time.Time `json:"at"`
	ActorID   string    `json:"actor_id,omitempty"`
	ActorName string    `json:"actor_name"`
	Role      string    `json:"role,omitempty"`
	Action    string    `json:"action"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Note      string    `json:"note,omitempty"`
}

type escalationJSON struct {
	At            time.Time        `json:"at"`
	AsOf          time.Time        `json:"as_of"`
	Basis         checks.Date      `json:"basis"`
	Due           checks.Date      `json:"due"`
	To            []string         `json:"to"`
	Undeliverable []string         `json:"undeliverable,omitempty"`
	Earlier       []escalationJSON `json:"earlier,omitempty"`
}

func escalation(e checks.Escalation) escalationJSON {
	out := escalationJSON{At: e.At, AsOf: e.AsOf, Basis: e.Basis, Due: e.Due, To: e.To, Undeliverable: e.Undeliverable}
	if out.To == nil {
		out.To = []string{}
	}
	for _, x := range e.Earlier {
		out.Earlier = append(out.Earlier, escalation(x))
	}
	return out
}

type agencyJSON struct {
	Code            string    `json:"code"`
	Name            string    `json:"name"`
	Kind            string    `json:"kind"`
	Nation          string    `json:"nation"`
	ContactEmail    string    `json:"contact_email"`
	EscalationEmail string    `json:"escalation_email"`
	Active          bool      `json:"active"`
	UpdatedAt       time.Time `json:"updated_at"`
	Version         int64     `json:"version"`
}

type userJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	Team      string    `json:"team,omitempty"`
	Teams     []string  `json:"teams,omitempty"`
	Agency    string    `json:"agency,omitempty"`
	Phone     string    `json:"phone,omitempty"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	// Token is the secret of a token just issued: shown this once, never again.
	Token string `json:"token,omitempty"`
}

type tokenJSON struct {
	ID        string     `json:"id"`
	UserID    string     `json:"user_id"`
	Label     string     `json:"label,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	// LastUsedAt is null for a token never used.
	LastUsedAt *time.Time `json:"last_used_at"`
	// Token is the secret, present only in the answer that issued it.
	Token string `json:"token,omitempty"`
}

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func pageJSON[D any, T any](p checks.Page[D], conv func(D) T) list[T] {
	out := list[T]{Items: make([]T, 0, len(p.Items)), NextCursor: p.NextCursor}
	for _, d := range p.Items {
		out.Items = append(out.Items, conv(d))
	}
	return out
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// view turns domain values into JSON; it knows "today", which derived fields need.
type view struct {
	today     checks.Date
	deadlines checks.Deadlines
}

func (v view) release(r checks.Release) releaseJSON {
	out := releaseJSON{
		ID: r.ID, CRN: r.CRN, NOMSNumber: r.NOMSNumber, FullName: r.FullName,
		DateOfBirth: r.DateOfBirth, ReleaseDate: r.ReleaseDate, ReleaseWorkday: v.deadlines.ReleaseWorkday(r.ReleaseDate),
		PrisonCode: r.PrisonCode, Team: r.Team, COMID: r.COMID, PoliceForce: r.PoliceForce, LocalAuthority: r.LocalAuthority,
		Status: string(r.Status), CancelReason: r.CancelReason,
		WorkingDaysToRelease: v.deadlines.WorkdaysToRelease(v.today, r.ReleaseDate),
		Checks:               make([]checkJSON, 0, len(r.Checks)),
		CreatedAt:            r.CreatedAt, UpdatedAt: r.UpdatedAt, Version: r.Version,
		Address: address(r.Address), People: people(r.People),
	}
	for _, c := range r.Checks {
		out.Checks = append(out.Checks, v.check(c))
	}
	return out
}

// listedRelease is a release as the list of releases shows it: its checks' answers without
// their summaries (checks.Service.Releases does not give them).
func (v view) listedRelease(r checks.Release) releaseJSON {
	out := v.release(r)
	for i := range out.Checks {
		if out.Checks[i].Response != nil {
			out.Checks[i].Response.Summary = nil
		}
	}
	return out
}

func (v view) check(c checks.Check) checkJSON {
	out := checkJSON{
		ID: c.ID, ReleaseID: c.ReleaseID, Type: string(c.Type), Agency: c.Agency, Status: string(c.Status),
		RequestBy: c.RequestBy, RequestedAt: optionalTime(c.RequestedAt), RequestedBy: c.RequestedBy,
		DueDate: c.DueDate, Urgent: c.Urgent, CompletedAt: optionalTime(c.CompletedAt), CompletedBy: c.CompletedBy,
		CompletionNote: c.CompletionNote, NotRequiredReason: c.NotRequiredReason,
		WithdrawnReason: c.WithdrawnReason, SupersededBy: c.SupersededBy,
		Overdue:              c.Overdue(v.today),
		WorkingDaysToRelease: v.deadlines.WorkdaysToRelease(v.today, c.ReleaseDate),
		Release:              checkReleaseJSON{c.CRN, c.FullName, c.DateOfBirth, c.ReleaseDate, v.deadlines.ReleaseWorkday(c.ReleaseDate)},
		Team:                 c.Team, COMID: c.COMID,
		History: make([]historyJSON, 0, len(c.History)),
		Version: c.Version,

		checkLifecycleJSON: checkLifecycle(c),
	}
	if r := c.Response; r != nil {
		out.Response = &responseJSON{string(r.Outcome), &r.Summary, r.RespondedAt, r.RespondedBy, r.RespondedByName}
	}
	for rule, e := range c.Escalations {
		if out.Escalations == nil {
			out.Escalations = map[string]escalationJSON{}
		}
		out.Escalations[rule] = escalation(e)
	}
	for _, h := range c.History {
		out.History = append(out.History, historyJSON{h.At, h.ActorID, h.ActorName, string(h.Role), string(h.Action), string(h.From), string(h.To), h.Note})
	}
	return out
}

func agency(a checks.Agency) agencyJSON {
	return agencyJSON{a.Code, a.Name, string(a.Kind), a.Nation, a.ContactEmail, a.EscalationEmail, a.Active, a.UpdatedAt, a.Version}
}

func user(u checks.User) userJSON {
	out := userJSON{ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), Agency: u.Agency, Phone: u.Phone, Active: u.Active, CreatedAt: u.CreatedAt}
	switch u.Role {
	case checks.RoleCOM:
		if len(u.Teams) > 0 {
			out.Team = u.Teams[0]
		}
	case checks.RoleManager:
		out.Teams = u.Teams
	}
	return out
}

func token(t checks.Token) tokenJSON {
	return tokenJSON{ID: t.ID, UserID: t.UserID, Label: t.Label, CreatedAt: t.CreatedAt, RevokedAt: optionalTime(t.RevokedAt),
		ExpiresAt: t.ExpiresAt, LastUsedAt: optionalTime(t.LastUsedAt)}
}
