package store

import (
	"context"
	"fmt"
	"time"

	"github.com/probation/safeguarding/checks"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

type auditDoc struct {
	ID         string      `bson:"_id"`
	At         time.Time   `bson:"at"`
	ActorID    string      `bson:"actor_id,omitempty"`
	ActorName  string      `bson:"actor_name"`
	Role       string      `bson:"role,omitempty"`
	Action     string      `bson:"action"`
	Resource   string      `bson:"resource"`
	ResourceID string      `bson:"resource_id"`
	ReleaseID  string      `bson:"release_id,omitempty"`
	Changes    []changeDoc `bson:"changes,omitempty"`
}

type changeDoc struct {
	Field  string `bson:"field"`
	Before string `bson:"before"`
	After  string `bson:"after"`
}

func toAuditDoc(e checks.AuditEntry) auditDoc {
	d := auditDoc{e.ID, e.At, e.ActorID, e.ActorName, string(e.Role), e.Action, e.Resource, e.ResourceID, e.ReleaseID, nil}
	for _, c := range e.Changes {
		d.Changes = append(d.Changes, changeDoc(c))
	}
	return d
}

func (d auditDoc) toEntry() checks.AuditEntry {
	e := checks.AuditEntry{ID: d.ID, At: d.At.UTC(), ActorID: d.ActorID, ActorName: d.ActorName, Role: checks.Role(d.Role),
		Action: d.Action, Resource: d.Resource, ResourceID: d.ResourceID, ReleaseID: d.ReleaseID}
	for _, c := range d.Changes {
		e.Changes = append(e.Changes, checks.Change(c))
	}
	return e
}

func auditDocs(entries []checks.AuditEntry) bson.A {
	out := make(bson.A, 0, len(entries))
	for _, e := range entries {
		out = append(out, toAuditDoc(e))
	}
	return out
}

// An entry about a write is stored on the written document in the same update
// (audit_pending, with audit_dirty set), so the write and its audit entry stand or fall
// together; the store then copies the entries to the audit collection and clears them from
// the document (flush). A crash in between leaves them pending, and the next flush of that
// document, or FlushPendingAudit at start-up and at each maintenance, copies them. Entries
// keep their ids, so a copy made twice is one entry.

// pending returns the audit fields of a new document carrying entries.
func pending(entries []checks.AuditEntry) (docs []auditDoc, seq int64, dirty bool) {
	if len(entries) == 0 {
		return nil, 0, false
	}
	for _, e := range entries {
		docs = append(docs, toAuditDoc(e))
	}
	return docs, 1, true
}

// pendingAudit returns update with the parts that add entries to a document's pending audit.
func pendingAudit(update bson.M, entries []checks.AuditEntry) bson.M {
	if len(entries) == 0 {
		return update
	}
	push, _ := update["$push"].(bson.M)
	if push == nil {
		push = bson.M{}
	}
	push["audit_pending"] = bson.M{"$each": auditDocs(entries)}
	update["$push"] = push
	inc, _ := update["$inc"].(bson.M)
	if inc == nil {
		inc = bson.M{}
	}
	inc["audit_seq"] = 1
	update["$inc"] = inc
	set, _ := update["$set"].(bson.M)
	if set == nil {
		set = bson.M{}
	}
	set["audit_dirty"] = true
	update["$set"] = set
	return update
}

// audited is every collection whose documents carry pending audit entries.
func (s *Store) audited() map[string]*mongo.Collection {
	return map[string]*mongo.Collection{
		checks.ResourceRelease: s.releases, checks.ResourceCheck: s.checks, checks.ResourceUser: s.users,
		checks.ResourceToken: s.tokens, checks.ResourceAgency: s.agencies, checks.ResourceSession: s.sessions,
	}
}

// flushAfter copies the audit entries a write just stored on a document to the audit
// collection. pending and seq are the document's pending entries and audit sequence as the
// write left them (from the document it returned, or the one it inserted), so the copy needs
// no read: insert them, then clear them if nothing was pushed since (else flush reads the
// document and starts again). Without them (nil), flush reads the document first. A failure
// is logged, not returned: the write stands, its entries are safe on the document, and a
// later flush copies them.
func (s *Store) flushAfter(ctx context.Context, resource, id string, entries []checks.AuditEntry, pending []auditDoc, seq int64) {
	if len(entries) == 0 {
		return
	}
	coll := s.audited()[resource]
	err := s.copyPending(ctx, coll, id, pending, seq)
	if err != nil {
		s.log.WarnContext(ctx, "audit entries left pending; a later flush copies them", "resource", resource, "id", id, "error", err)
	}
}

// copyPending copies pending (the document's entries at audit_seq seq) and clears them from
// the document, or flushes it from a fresh read when they are not known or have changed.
func (s *Store) copyPending(ctx context.Context, coll *mongo.Collection, id string, pending []auditDoc, seq int64) error {
	if pending == nil {
		return s.flush(ctx, coll, id)
	}
	if err := insertMany(ctx, s.audit, pending); err != nil {
		return err
	}
	cleared, err := s.clearPending(ctx, coll, id, seq)
	if err != nil {
		return err
	}
	if !cleared {
		return s.flush(ctx, coll, id)
	}
	return nil
}

// clearPending empties the pending audit entries of the document id if nothing was pushed
// since audit sequence seq, and reports whether it did.
func (s *Store) clearPending(ctx context.Context, coll *mongo.Collection, id string, seq int64) (bool, error) {
	return s.updateByID(ctx, coll, id, bson.D{{Key: "audit_seq", Value: seq}},
		bson.M{"$set": bson.M{"audit_pending": bson.A{}}, "$unset": bson.M{"audit_dirty": ""}})
}

// flushRetries bounds how often a flush starts again when the document gained entries while
// it was copied.
const flushRetries = 5

// flush copies the pending audit entries of one document to the audit collection and clears
// them from it.
func (s *Store) flush(ctx context.Context, coll *mongo.Collection, id string) error {
	for range flushRetries {
		var d struct {
			Pending []auditDoc `bson:"audit_pending"`
			Seq     int64      `bson:"audit_seq"`
		}
		err := coll.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"audit_pending": 1, "audit_seq": 1})).Decode(&d)
		if err != nil {
			return dbError(err)
		}
		if len(d.Pending) > 0 {
			if err := insertMany(ctx, s.audit, d.Pending); err != nil {
				return err
			}
		}
		// Cleared only if nothing was pushed meanwhile; otherwise copy again.
		cleared, err := s.clearPending(ctx, coll, id, d.Seq)
		if err != nil {
			return err
		}
		if cleared {
			return nil
		}
	}
	return fmt.Errorf("the audit of %s %s kept changing while it was flushed", coll.Name(), id)
}

// FlushPendingAudit flushes every document with pending audit entries: what a crash left.
// The documents are found by the indexed audit_dirty mark, so the sweep costs nothing when
// nothing is pending, however large the collections.
func (s *Store) FlushPendingAudit(ctx context.Context) (int, error) {
	n := 0
	for _, coll := range s.audited() {
		ids, err := findAll(ctx, coll, bson.M{"audit_dirty": true}, options.Find().SetProjection(bson.M{"_id": 1}),
			func(d struct {
				ID string `bson:"_id"`
			}) string {
				return d.ID
			})
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			if err := s.flush(ctx, coll, id); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// InsertAudit writes entries straight to the audit collection: for reads of summaries,
// which change no document.
func (s *Store) InsertAudit(ctx context.Context, entries ...checks.AuditEntry) error {
	docs := make([]auditDoc, 0, len(entries))
	for _, e := range entries {
		docs = append(docs, toAuditDoc(e))
	}
	return insertMany(ctx, s.audit, docs)
}

// auditList reads audit entries into pages, oldest first.
var auditList = listing[auditDoc, checks.AuditEntry]{
	order: order{field: "at", byTime: true},
	key:   func(d auditDoc) (any, string) { return d.At.UTC(), d.ID },
	conv:  auditDoc.toEntry,
}

// FindAudit lists audit entries, oldest first.
func (s *Store) FindAudit(ctx context.Context, q checks.AuditQuery) (checks.Page[checks.AuditEntry], error) {
	f := bson.M{}
	if q.ActorID != "" {
		f["actor_id"] = q.ActorID
	}
	if q.Resource != "" {
		f["resource"] = q.Resource
	}
	if q.ResourceID != "" {
		f["resource_id"] = q.ResourceID
	}
	if q.ReleaseID != "" {
		f["release_id"] = q.ReleaseID
	}
	at := bson.M{}
	if !q.From.IsZero() {
		at["$gte"] = q.From
	}
	if !q.To.IsZero() {
		at["$lt"] = q.To
	}
	if len(at) > 0 {
		f["at"] = at
	}
	return auditList.page(ctx, []source{{s.audit, f}}, q.Limit, q.Cursor)
}
