package store

import (
	"context"
	"time"

	"github.com/probation/safeguarding/checks"
	"go.mongodb.org/mongo-driver/v2/bson"
)

type releaseDoc struct {
	ID             string    `bson:"_id"`
	CRN            string    `bson:"crn"`
	NOMSNumber     string    `bson:"noms_number"`
	FullName       string    `bson:"full_name"`
	DateOfBirth    string    `bson:"date_of_birth"`
	ReleaseDate    string    `bson:"release_date"`
	PrisonCode     string    `bson:"prison_code"`
	Team           string    `bson:"team"`
	COMID          string    `bson:"com_id"`
	PoliceForce    string    `bson:"police_force"`
	LocalAuthority string    `bson:"local_authority"`
	Status         string    `bson:"status"`
	CancelReason   string    `bson:"cancel_reason,omitempty"`
	Slots          []slotDoc `bson:"slots"`
	// DedupeKey is "CRN|release date" while the release is active and unique across the
	// collection, so the same release cannot be recorded twice.
	DedupeKey string `bson:"dedupe_key"`
	// SyncPending is set with every change to the release and cleared once its checks
	// match it; a release left pending by a crash is repaired by the next sync.
	SyncPending bool `bson:"sync_pending"`
	// AuditPending holds the audit entries of the last writes until they are copied to the
	// audit collection; AuditSeq counts the writes that added some.
	AuditPending []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq     int64      `bson:"audit_seq"`
	AuditDirty   bool       `bson:"audit_dirty,omitempty"`
	CreatedAt    time.Time  `bson:"created_at"`
	CreatedBy    string     `bson:"created_by"`
	UpdatedAt    time.Time  `bson:"updated_at"`
	Version      int64      `bson:"version"`

	// Address is absent on releases recorded before the address was asked for.
	Address *addressDoc `bson:"address,omitempty"`
	People  []personDoc `bson:"people,omitempty"`
}

type slotDoc struct {
	CheckID    string `bson:"check_id"`
	Type       string `bson:"type"`
	Agency     string `bson:"agency"`
	Superseded bool   `bson:"superseded"`
}

func toReleaseDoc(r checks.Release) releaseDoc {
	d := releaseDoc{
		ID: r.ID, CRN: r.CRN, NOMSNumber: r.NOMSNumber, FullName: r.FullName,
		DateOfBirth: r.DateOfBirth.String(), ReleaseDate: r.ReleaseDate.String(),
		PrisonCode: r.PrisonCode, Team: r.Team, COMID: r.COMID,
		PoliceForce: r.PoliceForce, LocalAuthority: r.LocalAuthority,
		Address: toAddressDoc(r.Address), People: toPeopleDocs(r.People),
		Status: string(r.Status), CancelReason: r.CancelReason,
		DedupeKey:   r.CRN + "|" + r.ReleaseDate.String(),
		SyncPending: true,
		CreatedAt:   r.CreatedAt, CreatedBy: r.CreatedBy, UpdatedAt: r.UpdatedAt, Version: r.Version,
	}
	if r.Status == checks.ReleaseCancelled {
		d.DedupeKey = "cancelled|" + r.ID
	}
	for _, s := range r.Slots {
		d.Slots = append(d.Slots, slotDoc{s.CheckID, string(s.Type), s.Agency, s.Superseded})
	}
	return d
}

func (d releaseDoc) toRelease() checks.Release {
	r := checks.Release{
		ID: d.ID, CRN: d.CRN, NOMSNumber: d.NOMSNumber, FullName: d.FullName,
		DateOfBirth: parseStoredDate(d.DateOfBirth), ReleaseDate: parseStoredDate(d.ReleaseDate),
		PrisonCode: d.PrisonCode, Team: d.Team, COMID: d.COMID,
		PoliceForce: d.PoliceForce, LocalAuthority: d.LocalAuthority,
		Address: d.Address.toAddress(), People: toPeople(d.People),
		Status: checks.ReleaseStatus(d.Status), CancelReason: d.CancelReason,
		CreatedAt: d.CreatedAt.UTC(), CreatedBy: d.CreatedBy, UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version,
		SyncPending: d.SyncPending,
	}
	for _, s := range d.Slots {
		r.Slots = append(r.Slots, checks.Slot{CheckID: s.CheckID, Type: checks.CheckType(s.Type), Agency: s.Agency, Superseded: s.Superseded})
	}
	return r
}

// parseStoredDate reads a date the store wrote; an empty or damaged one reads as no date.
func parseStoredDate(s string) checks.Date {
	d, err := checks.ParseDate(s)
	if err != nil {
		return checks.Date{}
	}
	return d
}

// InsertRelease writes a new release, marked as waiting for its checks to be synced, with
// the audit entries of its creation.
func (s *Store) InsertRelease(ctx context.Context, r checks.Release, audit ...checks.AuditEntry) error {
	d := toReleaseDoc(r)
	d.AuditPending, d.AuditSeq, d.AuditDirty = pending(audit)
	if _, err := s.releases.InsertOne(ctx, d); err != nil {
		return dbError(err)
	}
	s.flushAfter(ctx, checks.ResourceRelease, r.ID, audit, d.AuditPending, d.AuditSeq)
	return nil
}

// Release reads one release by id, without its checks.
func (s *Store) Release(ctx context.Context, id string) (checks.Release, error) {
	return findOne(ctx, s.releases, bson.M{"_id": id}, releaseDoc.toRelease)
}

// ReleaseByKey finds the active release of a person on a date, for a helpful conflict answer.
func (s *Store) ReleaseByKey(ctx context.Context, crn string, date checks.Date) (checks.Release, error) {
	return findOne(ctx, s.releases, bson.M{"dedupe_key": crn + "|" + date.String()}, releaseDoc.toRelease)
}

// UpdateRelease writes r over the stored release if the stored version is still r.Version,
// and returns it with the version incremented. ErrStale when another change came first.
func (s *Store) UpdateRelease(ctx context.Context, r checks.Release, audit ...checks.AuditEntry) (checks.Release, error) {
	d := toReleaseDoc(r)
	set := bson.M{
		"release_date": d.ReleaseDate, "prison_code": d.PrisonCode, "team": d.Team, "com_id": d.COMID,
		"police_force": d.PoliceForce, "local_authority": d.LocalAuthority, "status": d.Status,
		"cancel_reason": d.CancelReason, "slots": d.Slots, "dedupe_key": d.DedupeKey,
		"address": d.Address, "people": d.People,
		"sync_pending": true, "updated_at": d.UpdatedAt,
	}
	var out releaseDoc
	err := s.findAndUpdateByID(ctx, s.releases, r.ID, bson.D{{Key: "version", Value: r.Version}},
		pendingAudit(bson.M{"$set": set, "$inc": bson.M{"version": 1}}, audit), &out)
	if err != nil {
		return checks.Release{}, stale(err)
	}
	s.flushAfter(ctx, checks.ResourceRelease, r.ID, audit, out.AuditPending, out.AuditSeq)
	return out.toRelease(), nil
}

// MarkReleaseSynced clears the pending flag if the release is still at version: a change
// made meanwhile stays pending for its own sync.
func (s *Store) MarkReleaseSynced(ctx context.Context, id string, version int64) error {
	_, err := s.updateByID(ctx, s.releases, id, bson.D{{Key: "version", Value: version}}, bson.M{"$set": bson.M{"sync_pending": false}})
	return err
}

// ReleasesPendingSync lists the releases whose checks may not match them yet.
func (s *Store) ReleasesPendingSync(ctx context.Context) ([]checks.Release, error) {
	return findAll(ctx, s.releases, bson.M{"sync_pending": true}, nil, releaseDoc.toRelease)
}

// releaseList reads releases into pages, soonest first.
var releaseList = listing[releaseDoc, checks.Release]{
	order: order{field: "release_date"},
	key:   func(d releaseDoc) (any, string) { return d.ReleaseDate, d.ID },
	conv:  releaseDoc.toRelease,
}

// FindReleases lists releases sorted by release date, one query per team of the scope.
func (s *Store) FindReleases(ctx context.Context, q checks.ReleaseQuery) (checks.Page[checks.Release], error) {
	scope := q.Scope
	if q.Team != "" {
		scope = scope.Team(q.Team)
	}
	f := bson.M{}
	if q.COMID != "" {
		f["com_id"] = q.COMID
	}
	if q.Status != "" {
		f["status"] = string(q.Status)
	}
	if r := between(q.From, q.To); r != nil {
		f["release_date"] = r
	}
	var sources []source
	switch {
	case scope.All():
		sources = []source{{s.releases, f}}
	default:
		for _, team := range scope.Teams() {
			sources = append(sources, source{s.releases, and(f, bson.M{"team": team})})
		}
	}
	return releaseList.page(ctx, sources, q.Limit, q.Cursor)
}
