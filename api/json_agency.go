package api

import (
	"time"

	"github.com/probation/safeguarding/checks"
)

// The JSON of the release address, the people connected to it, and what a liaison sees of
// a check (checks.AgencyView).

type addressBody struct {
	Line1    string `json:"line_1"`
	Line2    string `json:"line_2"`
	Line3    string `json:"line_3"`
	Town     string `json:"town"`
	Postcode string `json:"postcode"`
}

type personBody struct {
	Name         string `json:"name"`
	DateOfBirth  string `json:"date_of_birth"`
	Relationship string `json:"relationship"`
	LivesThere   *bool  `json:"lives_there"`
}

func addressInput(b *addressBody) *checks.AddressInput {
	if b == nil {
		return nil
	}
	in := checks.AddressInput(*b)
	return &in
}

func peopleInput(bs []personBody) []checks.PersonInput {
	out := make([]checks.PersonInput, 0, len(bs))
	for _, b := range bs {
		out = append(out, checks.PersonInput(b))
	}
	return out
}

func (b createReleaseBody) input() checks.ReleaseInput {
	return checks.ReleaseInput{
		CRN: b.CRN, NOMSNumber: b.NOMSNumber, FullName: b.FullName, DateOfBirth: b.DateOfBirth,
		ReleaseDate: b.ReleaseDate, PrisonCode: b.PrisonCode, Team: b.Team, COMID: b.COMID,
		PoliceForce: b.PoliceForce, LocalAuthority: b.LocalAuthority,
		Address: addressInput(b.Address), People: peopleInput(b.People),
	}
}

func (b patchReleaseBody) patch() checks.ReleasePatch {
	p := checks.ReleasePatch{
		ReleaseDate: b.ReleaseDate, PrisonCode: b.PrisonCode, Team: b.Team, COMID: b.COMID,
		PoliceForce: b.PoliceForce, LocalAuthority: b.LocalAuthority, Address: addressInput(b.Address),
	}
	if b.People != nil {
		ps := peopleInput(*b.People)
		p.People = &ps
	}
	return p
}

type addressJSON struct {
	Line1    string `json:"line_1"`
	Line2    string `json:"line_2"`
	Line3    string `json:"line_3"`
	Town     string `json:"town"`
	Postcode string `json:"postcode"`
}

type personJSON struct {
	Name string `json:"name"`
	// DateOfBirth is null when not known.
	DateOfBirth  *checks.Date `json:"date_of_birth"`
	Relationship string       `json:"relationship"`
	LivesThere   bool         `json:"lives_there"`
}

// address is a release's address, or null when none was recorded.
func address(a checks.Address) *addressJSON {
	if !a.Recorded() {
		return nil
	}
	return &addressJSON{a.Line1, a.Line2, a.Line3, a.Town, a.Postcode}
}

func people(ps []checks.Person) []personJSON {
	out := make([]personJSON, 0, len(ps))
	for _, p := range ps {
		j := personJSON{Name: p.Name, Relationship: string(p.Relationship), LivesThere: p.LivesThere}
		if !p.DateOfBirth.IsZero() {
			d := p.DateOfBirth
			j.DateOfBirth = &d
		}
		out = append(out, j)
	}
	return out
}

// listedAgencyCheckJSON is a check in a liaison's list of checks: the check and who it is
// about, not the details (open the check for those).
type listedAgencyCheckJSON struct {
	ID                   string           `json:"id"`
	Type                 string           `json:"type"`
	Agency               string           `json:"agency"`
	Status               string           `json:"status"`
	RequestedAt          *time.Time       `json:"requested_at"`
	DueDate              checks.Date      `json:"due_date"`
	Urgent               bool             `json:"urgent"`
	Overdue              bool             `json:"overdue"`
	WorkingDaysToRelease int              `json:"working_days_to_release"`
	Response             *responseJSON    `json:"response"`
	Release              checkReleaseJSON `json:"release"`
	Version              int64            `json:"version"`
}

// agencyCheckJSON is one check as its agency's liaison reads it: exactly what the agency
// needs to run the check (checks.AgencyView). Its fields are a listed check's, with the
// release's details, the COM and the request's note.
type agencyCheckJSON struct {
	ID                   string            `json:"id"`
	Type                 string            `json:"type"`
	Agency               string            `json:"agency"`
	Status               string            `json:"status"`
	RequestedAt          *time.Time        `json:"requested_at"`
	DueDate              checks.Date       `json:"due_date"`
	Urgent               bool              `json:"urgent"`
	Overdue              bool              `json:"overdue"`
	WorkingDaysToRelease int               `json:"working_days_to_release"`
	Response             *responseJSON     `json:"response"`
	Release              agencyReleaseJSON `json:"release"`
	Version              int64             `json:"version"`
	COM                  comJSON           `json:"com"`
	RequestNote          string            `json:"request_note"`
	Extension            *extensionJSON    `json:"extension"`
	Notes                []agencyNoteJSON  `json:"notes"`
}

type agencyReleaseJSON struct {
	CRN         string      `json:"crn"`
	FullName    string      `json:"full_name"`
	DateOfBirth checks.Date `json:"date_of_birth"`
	ReleaseDate checks.Date `json:"release_date"`
	// ReleaseWorkday is the working day deadlines count from (see Deadlines.ReleaseWorkday).
	ReleaseWorkday checks.Date  `json:"release_workday"`
	NOMSNumber     string       `json:"noms_number"`
	Address        *addressJSON `json:"address"`
	People         []personJSON `json:"people"`
}

type comJSON struct {
	Name  string `json:"name"`
	Team  string `json:"team"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

type agencyNoteJSON struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Note string    `json:"note"`
}

func (v view) listedForAgency(c checks.Check) listedAgencyCheckJSON {
	return v.listedAgency(c.Listed())
}

func (v view) listedAgency(a checks.AgencyView) listedAgencyCheckJSON {
	out := listedAgencyCheckJSON{
		ID: a.ID, Type: string(a.Type), Agency: a.Agency, Status: string(a.Status),
		RequestedAt: optionalTime(a.RequestedAt), DueDate: a.DueDate, Urgent: a.Urgent, Overdue: a.Overdue(v.today),
		WorkingDaysToRelease: v.deadlines.WorkdaysToRelease(v.today, a.ReleaseDate),
		Release:              checkReleaseJSON{a.CRN, a.FullName, a.DateOfBirth, a.ReleaseDate, v.deadlines.ReleaseWorkday(a.ReleaseDate)},
		Version:              a.Version,
	}
	if r := a.Response; r != nil {
		out.Response = &responseJSON{string(r.Outcome), &r.Summary, r.RespondedAt, r.RespondedBy, r.RespondedByName}
	}
	return out
}

func (v view) agencyCheck(a checks.AgencyView) agencyCheckJSON {
	l := v.listedAgency(a)
	out := agencyCheckJSON{
		ID: l.ID, Type: l.Type, Agency: l.Agency, Status: l.Status, RequestedAt: l.RequestedAt, DueDate: l.DueDate,
		Urgent: l.Urgent, Overdue: l.Overdue, WorkingDaysToRelease: l.WorkingDaysToRelease, Response: l.Response, Version: l.Version,
		Release: agencyReleaseJSON{CRN: a.CRN, FullName: a.FullName, DateOfBirth: a.DateOfBirth, ReleaseDate: a.ReleaseDate,
			ReleaseWorkday: l.Release.ReleaseWorkday, NOMSNumber: a.NOMSNumber, Address: address(a.Address), People: people(a.People)},
		COM:         comJSON{a.COM.Name, a.COM.Team, a.COM.Email, a.COM.Phone},
		RequestNote: a.RequestNote,
		Extension:   checkLifecycle(checks.Check{Extension: a.Extension}).Extension,
		Notes:       make([]agencyNoteJSON, 0, len(a.Notes)),
	}
	for _, n := range a.Notes {
		out.Notes = append(out.Notes, agencyNoteJSON(n))
	}
	return out
}
