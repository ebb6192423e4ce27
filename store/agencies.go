package store

import (
	"context"
	_ "embed"
	"time"

	"github.com/probation/safeguarding/checks"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

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
	AuditDirty   bool       `bson:"audit_dirty,omitempty"`
}

func (d agencyDoc) toAgency() checks.Agency {
	return checks.Agency{Code: d.Code, Name: d.Name, Kind: checks.AgencyKind(d.Kind), Nation: d.Nation, ContactEmail: d.ContactEmail,
		EscalationEmail: d.EscalationEmail, Active: d.Active, UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version}
}

// SeedAgencies adds the agencies of the directory that the database lacks. Agencies already
// there are left as they are, with the contact addresses admins gave them.
func (s *Store) SeedAgencies(ctx context.Context, agencies []checks.Agency, now time.Time) (added int, err error) {
	// A find of the ids, not distinct: FerretDB v1 answers distinct in a form driver v2
	// cannot decode.
	codes, err := findAll(ctx, s.agencies, bson.M{}, options.Find().SetProjection(bson.M{"_id": 1}),
		func(d agencyDoc) string { return d.Code })
	if err != nil {
		return 0, err
	}
	have := map[string]bool{}
	for _, c := range codes {
		have[c] = true
	}
	var docs []agencyDoc
	for _, a := range agencies {
		if !have[a.Code] {
			docs = append(docs, agencyDoc{Code: a.Code, Name: a.Name, Kind: string(a.Kind), Nation: a.Nation, Active: a.Active, UpdatedAt: now, Version: 1})
		}
	}
	// Unordered: if another process seeded some of them meanwhile, insert the rest.
	return len(docs), insertMany(ctx, s.agencies, docs)
}

// Agency reads one agency by code.
func (s *Store) Agency(ctx context.Context, code string) (checks.Agency, error) {
	return findOne(ctx, s.agencies, bson.M{"_id": code}, agencyDoc.toAgency)
}

// agencyList reads agencies into pages, by name.
var agencyList = listing[agencyDoc, checks.Agency]{
	order: order{field: "name"},
	key:   func(d agencyDoc) (any, string) { return d.Name, d.Code },
	conv:  agencyDoc.toAgency,
}

// FindAgencies lists agencies sorted by name.
func (s *Store) FindAgencies(ctx context.Context, q checks.AgencyQuery) (checks.Page[checks.Agency], error) {
	f := bson.M{}
	if q.Kind != "" {
		f["kind"] = string(q.Kind)
	}
	if q.Active != nil {
		f["active"] = *q.Active
	}
	return agencyList.page(ctx, []source{{s.agencies, f}}, q.Limit, q.Cursor)
}

// UpdateAgency writes the contact addresses and active flag of a, if the stored version is
// still a.Version. ErrStale otherwise.
func (s *Store) UpdateAgency(ctx context.Context, a checks.Agency, audit ...checks.AuditEntry) (checks.Agency, error) {
	var d agencyDoc
	err := s.findAndUpdateByID(ctx, s.agencies, a.Code, bson.D{{Key: "version", Value: a.Version}},
		pendingAudit(bson.M{
			"$set": bson.M{"contact_email": a.ContactEmail, "escalation_email": a.EscalationEmail, "active": a.Active, "updated_at": a.UpdatedAt},
			"$inc": bson.M{"version": 1},
		}, audit), &d)
	if err != nil {
		return checks.Agency{}, stale(err)
	}
	s.flushAfter(ctx, checks.ResourceAgency, a.Code, audit, d.AuditPending, d.AuditSeq)
	return d.toAgency(), nil
}

// AllAgencies reads the whole agency directory in one query.
func (s *Store) AllAgencies(ctx context.Context) ([]checks.Agency, error) {
	return findAll(ctx, s.agencies, bson.M{}, nil, agencyDoc.toAgency)
}
