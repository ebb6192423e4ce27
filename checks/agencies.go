package checks

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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
		if kind != KindPolice && kind != KindChildrensServices {
			return nil, fmt.Errorf("agency directory line %d: unknown kind %q", i+2, row[2])
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

type agencyDoc struct {
	Code            string    `bson:"_id"`
	Name            string    `bson:"name"`
	Kind            string    `bson:"kind"`
	Nation          string    `bson:"nation"`
	ContactEmail    string    `bson:"contact_email"`
	EscalationEmail string    `bson:"escalation_email"`
	Active          bool      `bson:"active"`
	UpdatedAt       time.Time `bson:"updated_at"`
	Version         int64     `bson:"version"`

	AuditPending []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq     int64      `bson:"audit_seq"`
}

func (d agencyDoc) toAgency() Agency {
	return Agency{Code: d.Code, Name: d.Name, Kind: AgencyKind(d.Kind), Nation: d.Nation, ContactEmail: d.ContactEmail,
		EscalationEmail: d.EscalationEmail, Active: d.Active, UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version}
}

// SeedAgencies adds the agencies of the directory that the database lacks. Agencies already
// there are left as they are, with the contact addresses admins gave them.
func (s *Store) SeedAgencies(ctx context.Context, agencies []Agency, now time.Time) (added int, err error) {
	// A find of the ids, not distinct: FerretDB v1 answers distinct in a form driver v2
	// cannot decode.
	cur, err := s.agencies.Find(ctx, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return 0, storeError(err)
	}
	var ids []struct {
		Code string `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		return 0, storeError(err)
	}
	have := map[string]bool{}
	for _, id := range ids {
		have[id.Code] = true
	}
	var docs []any
	for _, a := range agencies {
		if !have[a.Code] {
			docs = append(docs, agencyDoc{Code: a.Code, Name: a.Name, Kind: string(a.Kind), Nation: a.Nation, Active: a.Active, UpdatedAt: now, Version: 1})
		}
	}
	if len(docs) == 0 {
		return 0, nil
	}
	// Unordered: if another process seeded some of them meanwhile, insert the rest.
	_, err = s.agencies.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err != nil && ErrorCode(storeError(err)) != ECONFLICT {
		return 0, storeError(err)
	}
	return len(docs), nil
}

// Agency reads one agency by code.
func (s *Store) Agency(ctx context.Context, code string) (Agency, error) {
	var d agencyDoc
	if err := s.agencies.FindOne(ctx, bson.M{"_id": code}).Decode(&d); err != nil {
		return Agency{}, storeError(err)
	}
	return d.toAgency(), nil
}

// AgencyQuery selects agencies for a list.
type AgencyQuery struct {
	Kind   AgencyKind
	Active *bool
	Limit  int
	Cursor string
}

// FindAgencies lists agencies sorted by name.
func (s *Store) FindAgencies(ctx context.Context, q AgencyQuery) (Page[Agency], error) {
	f := bson.M{}
	if q.Kind != "" {
		f["kind"] = string(q.Kind)
	}
	if q.Active != nil {
		f["active"] = *q.Active
	}
	filter := f
	if q.Cursor != "" {
		after, err := afterCursor("name", q.Cursor)
		if err != nil {
			return Page[Agency]{}, err
		}
		filter = and(f, after)
	}
	return findPage(ctx, s.agencies, filter, "name", q.Limit,
		func(d agencyDoc) (string, string) { return d.Name, d.Code }, agencyDoc.toAgency)
}

// UpdateAgency writes the contact addresses and active flag of a, if the stored version is
// still a.Version. ErrStale otherwise.
func (s *Store) UpdateAgency(ctx context.Context, a Agency, audit ...AuditEntry) (Agency, error) {
	var d agencyDoc
	err := s.agencies.FindOneAndUpdate(ctx, bson.M{"_id": a.Code, "version": a.Version},
		pendingAudit(bson.M{
			"$set": bson.M{"contact_email": a.ContactEmail, "escalation_email": a.EscalationEmail, "active": a.Active, "updated_at": a.UpdatedAt},
			"$inc": bson.M{"version": 1},
		}, audit),
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		err = storeError(err)
		if err == ErrNotFound {
			return Agency{}, ErrStale
		}
		return Agency{}, err
	}
	return d.toAgency(), nil
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
	if q.Kind != "" && q.Kind != KindPolice && q.Kind != KindChildrensServices {
		f.add("kind", "must be police or childrens_services")
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
		return Agency{}, malformed("code", "is not an agency code (a letter and eight digits, e.g. E23000001)")
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
			s.flush(ctx, ResourceAgency, a.Code)
		}
		return updated, err
	}
	return Agency{}, &Error{Code: ECONFLICT, Message: "the agency kept changing; try again"}
}

func agencyCode(s string) bool {
	return len(s) == 9 && (s[0] == 'E' || s[0] == 'W') && strings.Trim(s[1:], "0123456789") == ""
}

// AllAgencies reads the whole agency directory in one query.
func (s *Store) AllAgencies(ctx context.Context) ([]Agency, error) {
	cur, err := s.agencies.Find(ctx, bson.M{})
	if err != nil {
		return nil, storeError(err)
	}
	var docs []agencyDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError(err)
	}
	out := make([]Agency, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.toAgency())
	}
	return out, nil
}
