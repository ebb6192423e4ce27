package checks

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
)

// agenciesCSV is the agency directory shipped with the service: the 43 territorial police
// forces of England and Wales (ONS police force area codes) and the 175 local authorities
// with children's services (ONS codes), with the public source of each row.
//
//go:embed agencies.csv
var agenciesCSV []byte

// Directory returns the shipped agency directory.
func Directory() ([]Agency, error) { return parseAgencies(bytes.NewReader(agenciesCSV)) }

func parseAgencies(r io.Reader) ([]Agency, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read agency directory: %w", err)
	}
	if len(rows) == 0 || strings.Join(rows[0][:4], ",") != "code,name,kind,nation" {
		return nil, fmt.Errorf("agency directory: the header must start code,name,kind,nation")
	}
	var out []Agency
	for i, row := range rows[1:] {
		kind := AgencyKind(row[2])
		if !slices.Contains(AgencyKinds(), kind) {
			return nil, fmt.Errorf("agency directory line %d: unknown kind %q", i+2, row[2])
		}
		// Agency names are shown wherever a check is, so the shipped file is held to the rule
		// for names like anything typed.
		var f fields
		name(&f, "name", row[1], true, MaxName)
		if err := f.err(); err != nil {
			return nil, fmt.Errorf("agency directory line %d: %w", i+2, err)
		}
		out = append(out, Agency{Code: row[0], Name: displayName(row[1]), Kind: kind, Nation: row[3], Active: true})
	}
	return out, nil
}

// displayName turns the ONS form "Bristol, City of" into "City of Bristol".
func displayName(ons string) string {
	if place, prefix, ok := strings.Cut(ons, ", "); ok && strings.HasSuffix(prefix, " of") {
		return prefix + " " + place
	}
	return ons
}

// AgencyFilter selects agencies for a list, as the caller gave the values.
type AgencyFilter struct {
	Kind   string
	Active string // "true", "false" or empty
	Limit  int
	Cursor string
}

// AgencyPatch holds the fields of an agency an admin may change; nil fields stay.
type AgencyPatch struct {
	ContactEmail    *string
	EscalationEmail *string
	Active          *bool
}

// Agencies lists the agency directory, sorted by name. Every user may read it.
func (s *Service) Agencies(ctx context.Context, in AgencyFilter) (Page[Agency], error) {
	var f fields
	q := AgencyQuery{Kind: AgencyKind(in.Kind), Cursor: in.Cursor}
	if q.Kind != "" && !slices.Contains(AgencyKinds(), q.Kind) {
		f.add("kind", "must be one of %s", joinValues(AgencyKinds()))
	}
	switch in.Active {
	case "":
	case "true", "false":
		active := in.Active == "true"
		q.Active = &active
	default:
		f.add("active", "must be true or false")
	}
	var err error
	if q.Limit, err = limit(in.Limit); err != nil {
		return Page[Agency]{}, err
	}
	if err := f.err(); err != nil {
		return Page[Agency]{}, err
	}
	return s.store.FindAgencies(ctx, q)
}

// Agency returns one agency by code.
func (s *Service) Agency(ctx context.Context, code string) (Agency, error) {
	code = strings.ToUpper(code)
	if !agencyCode(code) {
		return Agency{}, Malformed("code", "is not an agency code (a letter and eight digits, e.g. E23000001)")
	}
	return s.store.Agency(ctx, code)
}

// UpdateAgency sets an agency's contact and escalation mailboxes or its active flag (admin
// only).
func (s *Service) UpdateAgency(ctx context.Context, actor User, code string, ifMatch *int64, p AgencyPatch) (Agency, error) {
	if actor.Role != RoleAdmin {
		return Agency{}, Errorf(EFORBIDDEN, "only admins change agencies")
	}
	if p == (AgencyPatch{}) {
		return Agency{}, &Error{Code: EINVALID, Message: "nothing to change: give at least one of contact_email, escalation_email, active"}
	}
	var f fields
	var contact, escalation string
	if p.ContactEmail != nil {
		contact = email(&f, "contact_email", *p.ContactEmail, false)
	}
	if p.EscalationEmail != nil {
		escalation = email(&f, "escalation_email", *p.EscalationEmail, false)
	}
	if err := f.err(); err != nil {
		return Agency{}, err
	}
	for range retries {
		a, err := s.Agency(ctx, code)
		if err != nil {
			return Agency{}, err
		}
		if err := precondition(ifMatch, a.Version); err != nil {
			return Agency{}, err
		}
		before := a
		if p.ContactEmail != nil {
			a.ContactEmail = contact
		}
		if p.EscalationEmail != nil {
			a.EscalationEmail = escalation
		}
		if p.Active != nil {
			a.Active = *p.Active
		}
		a.UpdatedAt = s.now()
		var d diff
		d.add("contact_email", before.ContactEmail, a.ContactEmail)
		d.add("escalation_email", before.EscalationEmail, a.EscalationEmail)
		d.add("active", before.Active, a.Active)
		updated, err := s.store.UpdateAgency(ctx, a, s.audit(actor, "agency.update", ResourceAgency, a.Code, "", d))
		if stale(err) && ifMatch == nil {
			continue
		}
		if err == nil {
		}
		return updated, err
	}
	return Agency{}, &Error{Code: ECONFLICT, Message: "the agency kept changing; try again"}
}

func agencyCode(s string) bool {
	return len(s) == 9 && (s[0] == 'E' || s[0] == 'W') && strings.Trim(s[1:], "0123456789") == ""
}
