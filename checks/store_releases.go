package checks

import (
	"context"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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
	CreatedAt    time.Time  `bson:"created_at"`
	CreatedBy    string     `bson:"created_by"`
	UpdatedAt    time.Time  `bson:"updated_at"`
	Version      int64      `bson:"version"`
}

type slotDoc struct {
	CheckID    string `bson:"check_id"`
	Type       string `bson:"type"`
	Agency     string `bson:"agency"`
	Superseded bool   `bson:"superseded"`
}

func toReleaseDoc(r Release) releaseDoc {
	d := releaseDoc{
		ID: r.ID, CRN: r.CRN, NOMSNumber: r.NOMSNumber, FullName: r.FullName,
		DateOfBirth: r.DateOfBirth.String(), ReleaseDate: r.ReleaseDate.String(),
		PrisonCode: r.PrisonCode, Team: r.Team, COMID: r.COMID,
		PoliceForce: r.PoliceForce, LocalAuthority: r.LocalAuthority,
		Status: string(r.Status), CancelReason: r.CancelReason,
		DedupeKey:   r.CRN + "|" + r.ReleaseDate.String(),
		SyncPending: true,
		CreatedAt:   r.CreatedAt, CreatedBy: r.CreatedBy, UpdatedAt: r.UpdatedAt, Version: r.Version,
	}
	if r.Status == ReleaseCancelled {
		d.DedupeKey = "cancelled|" + r.ID
	}
	for _, s := range r.Slots {
		d.Slots = append(d.Slots, slotDoc{s.CheckID, string(s.Type), s.Agency, s.Superseded})
	}
	return d
}

func (d releaseDoc) toRelease() Release {
	r := Release{
		ID: d.ID, CRN: d.CRN, NOMSNumber: d.NOMSNumber, FullName: d.FullName,
		DateOfBirth: parseStoredDate(d.DateOfBirth), ReleaseDate: parseStoredDate(d.ReleaseDate),
		PrisonCode: d.PrisonCode, Team: d.Team, COMID: d.COMID,
		PoliceForce: d.PoliceForce, LocalAuthority: d.LocalAuthority,
		Status: ReleaseStatus(d.Status), CancelReason: d.CancelReason,
		CreatedAt: d.CreatedAt.UTC(), CreatedBy: d.CreatedBy, UpdatedAt: d.UpdatedAt.UTC(), Version: d.Version,
		pending: d.SyncPending,
	}
	for _, s := range d.Slots {
		r.Slots = append(r.Slots, Slot{s.CheckID, CheckType(s.Type), s.Agency, s.Superseded})
	}
	return r
}

// parseStoredDate reads a date the store wrote; an empty or damaged one reads as no date.
func parseStoredDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		return Date{}
	}
	return d
}

// InsertRelease writes a new release, marked as waiting for its checks to be synced, with
// the audit entries of its creation.
func (s *Store) InsertRelease(ctx context.Context, r Release, audit ...AuditEntry) error {
	d := toReleaseDoc(r)
	for _, e := range audit {
		d.AuditPending, d.AuditSeq = append(d.AuditPending, toAuditDoc(e)), 1
	}
	_, err := s.releases.InsertOne(ctx, d)
	return storeError(err)
}

// Release reads one release by id, without its checks.
func (s *Store) Release(ctx context.Context, id string) (Release, error) {
	var d releaseDoc
	if err := s.releases.FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return Release{}, storeError(err)
	}
	return d.toRelease(), nil
}

// ReleaseByKey finds the active release of a person on a date, for a helpful conflict answer.
func (s *Store) ReleaseByKey(ctx context.Context, crn string, date Date) (Release, error) {
	var d releaseDoc
	if err := s.releases.FindOne(ctx, bson.M{"dedupe_key": crn + "|" + date.String()}).Decode(&d); err != nil {
		return Release{}, storeError(err)
	}
	return d.toRelease(), nil
}

// UpdateRelease writes r over the stored release if the stored version is still r.Version,
// and returns it with the version incremented. ErrStale when another change came first.
func (s *Store) UpdateRelease(ctx context.Context, r Release, audit ...AuditEntry) (Release, error) {
	d := toReleaseDoc(r)
	set := bson.M{
		"release_date": d.ReleaseDate, "prison_code": d.PrisonCode, "team": d.Team, "com_id": d.COMID,
		"police_force": d.PoliceForce, "local_authority": d.LocalAuthority, "status": d.Status,
		"cancel_reason": d.CancelReason, "slots": d.Slots, "dedupe_key": d.DedupeKey,
		"sync_pending": true, "updated_at": d.UpdatedAt,
	}
	var out releaseDoc
	err := s.releases.FindOneAndUpdate(ctx,
		bson.M{"_id": r.ID, "version": r.Version},
		pendingAudit(bson.M{"$set": set, "$inc": bson.M{"version": 1}}, audit),
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&out)
	if err != nil {
		err = storeError(err)
		if err == ErrNotFound {
			return Release{}, ErrStale
		}
		return Release{}, err
	}
	return out.toRelease(), nil
}

// MarkReleaseSynced clears the pending flag if the release is still at version: a change
// made meanwhile stays pending for its own sync.
func (s *Store) MarkReleaseSynced(ctx context.Context, id string, version int64) error {
	_, err := s.releases.UpdateOne(ctx, bson.M{"_id": id, "version": version}, bson.M{"$set": bson.M{"sync_pending": false}})
	return storeError(err)
}

// ReleasesPendingSync lists the releases whose checks may not match them yet.
func (s *Store) ReleasesPendingSync(ctx context.Context) ([]Release, error) {
	cur, err := s.releases.Find(ctx, bson.M{"sync_pending": true})
	if err != nil {
		return nil, storeError(err)
	}
	var docs []releaseDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError(err)
	}
	out := make([]Release, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.toRelease())
	}
	return out, nil
}

// ReleaseQuery selects releases for a list.
type ReleaseQuery struct {
	// Teams limits the list to these teams (scope); nil means every team.
	Teams  []string
	Team   string
	COMID  string
	From   Date
	To     Date
	Status ReleaseStatus
	Limit  int
	Cursor string
}

// FindReleases lists releases sorted by release date.
func (s *Store) FindReleases(ctx context.Context, q ReleaseQuery) (Page[Release], error) {
	f := bson.M{}
	if q.Teams != nil {
		f["team"] = bson.M{"$in": q.Teams}
	}
	if q.Team != "" {
		f["team"] = q.Team
		if q.Teams != nil && !slices.Contains(q.Teams, q.Team) {
			return Page[Release]{Items: []Release{}}, nil
		}
	}
	if q.COMID != "" {
		f["com_id"] = q.COMID
	}
	if q.Status != "" {
		f["status"] = string(q.Status)
	}
	dates := bson.M{}
	if !q.From.IsZero() {
		dates["$gte"] = q.From.String()
	}
	if !q.To.IsZero() {
		dates["$lte"] = q.To.String()
	}
	if len(dates) > 0 {
		f["release_date"] = dates
	}
	filter := f
	if q.Cursor != "" {
		after, err := afterCursor("release_date", q.Cursor)
		if err != nil {
			return Page[Release]{}, err
		}
		filter = and(f, after)
	}
	return findPage(ctx, s.releases, filter, "release_date", q.Limit,
		func(d releaseDoc) (string, string) { return d.ReleaseDate, d.ID },
		releaseDoc.toRelease)
}
