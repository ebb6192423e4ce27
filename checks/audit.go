package checks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// AuditEntry records one write, or one read of a response summary: who, in which role,
// when, to which resource, and each field's value before and after. The audit collection is
// append-only: nothing in the service changes or deletes an entry.
type AuditEntry struct {
	ID         string
	At         time.Time
	ActorID    string
	ActorName  string
	Role       Role
	Action     string // e.g. "check.request", "release.update", "check.read_summary"
	Resource   string // release, check, user, token or agency
	ResourceID string
	// ReleaseID links entries about a release and its checks to the person, for subject
	// access requests.
	ReleaseID string
	Changes   []Change
}

// Change is one field of a resource before and after a write. A response summary is never
// copied into the audit: its change reads "(N characters)".
type Change struct {
	Field  string
	Before string
	After  string
}

// The resources the audit speaks of.
const (
	ResourceRelease = "release"
	ResourceCheck   = "check"
	ResourceUser    = "user"
	ResourceToken   = "token"
	ResourceAgency  = "agency"
	ResourceSession = "session"
)

// audit starts an entry about something actor did.
func (s *Service) audit(actor User, action, resource, id, releaseID string, changes []Change) AuditEntry {
	return AuditEntry{
		ID: newID(), At: s.now(), ActorID: actor.ID, ActorName: actor.Name, Role: actor.Role,
		Action: action, Resource: resource, ResourceID: id, ReleaseID: releaseID, Changes: changes,
	}
}

// diff lists the fields whose values differ, in the order given.
type diff []Change

func (d *diff) add(field string, before, after any) {
	b, a := auditValue(before), auditValue(after)
	if b != a {
		*d = append(*d, Change{field, b, a})
	}
}

func auditValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format(time.RFC3339Nano)
	case Date:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// checkChanges lists what a write changed in a check. The summary is described, not copied.
func checkChanges(before, after Check) []Change {
	var d diff
	d.add("status", string(before.Status), string(after.Status))
	d.add("agency", before.Agency, after.Agency)
	d.add("request_by", before.RequestBy, after.RequestBy)
	d.add("requested_at", before.RequestedAt, after.RequestedAt)
	d.add("due_date", before.DueDate, after.DueDate)
	d.add("release_date", before.ReleaseDate, after.ReleaseDate)
	d.add("team", before.Team, after.Team)
	d.add("com_id", before.COMID, after.COMID)
	d.add("superseded_by", before.SupersededBy, after.SupersededBy)
	d.add("withdrawn_reason", before.WithdrawnReason, after.WithdrawnReason)
	d.add("not_required_reason", before.NotRequiredReason, after.NotRequiredReason)
	d.add("completed_at", before.CompletedAt, after.CompletedAt)
	d.add("completion_note", noteLength(before.CompletionNote), noteLength(after.CompletionNote))
	if before.Response == nil && after.Response != nil {
		d.add("response.outcome", "", string(after.Response.Outcome))
		d.add("response.summary", "", noteLength(after.Response.Summary))
	}
	return d
}

// noteLength describes free text without copying it: it may hold special category data.
func noteLength(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("(%d characters)", len([]rune(s)))
}

func releaseChanges(before, after Release) []Change {
	var d diff
	d.add("crn", before.CRN, after.CRN)
	d.add("noms_number", before.NOMSNumber, after.NOMSNumber)
	d.add("full_name", before.FullName, after.FullName)
	d.add("date_of_birth", before.DateOfBirth, after.DateOfBirth)
	d.add("release_date", before.ReleaseDate, after.ReleaseDate)
	d.add("prison_code", before.PrisonCode, after.PrisonCode)
	d.add("team", before.Team, after.Team)
	d.add("com_id", before.COMID, after.COMID)
	d.add("police_force", before.PoliceForce, after.PoliceForce)
	d.add("local_authority", before.LocalAuthority, after.LocalAuthority)
	d.add("status", string(before.Status), string(after.Status))
	d.add("cancel_reason", before.CancelReason, after.CancelReason)
	return d
}

// Store side. An entry about a write is pushed onto the written document in the same update
// (audit_pending), so the write and its audit entry stand or fall together; the entries are
// then copied to the audit collection and cleared from the document (Flush). A crash in
// between leaves them pending, and the next flush of that document, or FlushAllAudit at
// start-up and at each escalation run, copies them. Entries keep their ids, so a copy made
// twice is one entry.

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

func toAuditDoc(e AuditEntry) auditDoc {
	d := auditDoc{e.ID, e.At, e.ActorID, e.ActorName, string(e.Role), e.Action, e.Resource, e.ResourceID, e.ReleaseID, nil}
	for _, c := range e.Changes {
		d.Changes = append(d.Changes, changeDoc(c))
	}
	return d
}

func (d auditDoc) toEntry() AuditEntry {
	e := AuditEntry{d.ID, d.At.UTC(), d.ActorID, d.ActorName, Role(d.Role), d.Action, d.Resource, d.ResourceID, d.ReleaseID, nil}
	for _, c := range d.Changes {
		e.Changes = append(e.Changes, Change(c))
	}
	return e
}

func auditDocs(entries []AuditEntry) bson.A {
	out := make(bson.A, 0, len(entries))
	for _, e := range entries {
		out = append(out, toAuditDoc(e))
	}
	return out
}

// pendingAudit returns the update parts that add entries to a document's pending audit.
func pendingAudit(update bson.M, entries []AuditEntry) bson.M {
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
	return update
}

// collection returns the store's collection of a resource.
func (s *Store) collection(resource string) *mongo.Collection {
	switch resource {
	case ResourceRelease:
		return s.releases
	case ResourceCheck:
		return s.checks
	case ResourceUser:
		return s.users
	case ResourceToken:
		return s.tokens
	case ResourceSession:
		return s.sessions
	}
	return s.agencies
}

// FlushAudit copies the pending audit entries of one document to the audit collection and
// clears them from it.
func (s *Store) FlushAudit(ctx context.Context, resource, id string) error {
	coll := s.collection(resource)
	for range retries {
		var d struct {
			Pending []auditDoc `bson:"audit_pending"`
			Seq     int64      `bson:"audit_seq"`
		}
		err := coll.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"audit_pending": 1, "audit_seq": 1})).Decode(&d)
		if err != nil {
			return storeError(err)
		}
		if len(d.Pending) == 0 {
			return nil
		}
		if err := s.insertAudit(ctx, d.Pending); err != nil {
			return err
		}
		// Cleared only if nothing was pushed meanwhile; otherwise copy again.
		res, err := coll.UpdateOne(ctx, bson.M{"_id": id, "audit_seq": d.Seq}, bson.M{"$set": bson.M{"audit_pending": bson.A{}}})
		if err != nil {
			return storeError(err)
		}
		if res.MatchedCount == 1 {
			return nil
		}
	}
	return fmt.Errorf("audit of %s %s kept changing while it was flushed", resource, id)
}

// FlushAllAudit flushes every document with pending audit entries: what a crash left.
func (s *Store) FlushAllAudit(ctx context.Context) (int, error) {
	n := 0
	for _, resource := range []string{ResourceRelease, ResourceCheck, ResourceUser, ResourceToken, ResourceAgency, ResourceSession} {
		cur, err := s.collection(resource).Find(ctx, bson.M{"audit_pending.0": bson.M{"$exists": true}},
			options.Find().SetProjection(bson.M{"_id": 1}))
		if err != nil {
			return n, storeError(err)
		}
		var ids []struct {
			ID string `bson:"_id"`
		}
		if err := cur.All(ctx, &ids); err != nil {
			return n, storeError(err)
		}
		for _, id := range ids {
			if err := s.FlushAudit(ctx, resource, id.ID); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// InsertAudit writes entries straight to the audit collection: for reads of summaries,
// which change no document.
func (s *Store) InsertAudit(ctx context.Context, entries ...AuditEntry) error {
	docs := make([]auditDoc, 0, len(entries))
	for _, e := range entries {
		docs = append(docs, toAuditDoc(e))
	}
	return s.insertAudit(ctx, docs)
}

func (s *Store) insertAudit(ctx context.Context, docs []auditDoc) error {
	if len(docs) == 0 {
		return nil
	}
	many := make([]any, len(docs))
	for i := range docs {
		many[i] = docs[i]
	}
	_, err := s.db.Collection("audit").InsertMany(ctx, many, options.InsertMany().SetOrdered(false))
	if err != nil && ErrorCode(storeError(err)) != ECONFLICT {
		return storeError(err)
	}
	return nil
}

// AuditQuery selects audit entries. From and To bound the time (To excluded).
type AuditQuery struct {
	ActorID    string
	Resource   string
	ResourceID string
	ReleaseID  string
	From, To   time.Time
	Limit      int
	Cursor     string
}

// FindAudit lists audit entries, oldest first.
func (s *Store) FindAudit(ctx context.Context, q AuditQuery) (Page[AuditEntry], error) {
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
	filter := f
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return Page[AuditEntry]{}, err
		}
		t, err := time.Parse(time.RFC3339Nano, c.Key)
		if err != nil {
			return Page[AuditEntry]{}, malformed("cursor", "is not a cursor this service returned")
		}
		filter = and(f, bson.M{"$or": bson.A{
			bson.M{"at": bson.M{"$gt": t}},
			bson.M{"at": t, "_id": bson.M{"$gt": c.ID}},
		}})
	}
	return findPage(ctx, s.db.Collection("audit"), filter, "at", q.Limit,
		func(d auditDoc) (string, string) { return d.At.UTC().Format(time.RFC3339Nano), d.ID }, auditDoc.toEntry)
}

// Audit lists the audit trail (admins only).
func (s *Service) Audit(ctx context.Context, actor User, in AuditFilter) (Page[AuditEntry], error) {
	if actor.Role != RoleAdmin {
		return Page[AuditEntry]{}, Errorf(EFORBIDDEN, "only admins read the audit trail")
	}
	var f fields
	q := AuditQuery{ActorID: in.Actor, ResourceID: in.ResourceID, Cursor: in.Cursor}
	if in.Actor != "" && !ValidID(in.Actor) {
		f.add("actor", "is not a user id")
	}
	switch in.Resource {
	case "":
	case ResourceRelease, ResourceCheck, ResourceUser, ResourceToken, ResourceAgency, ResourceSession:
		q.Resource = in.Resource
	default:
		f.add("resource", "must be one of release, check, user, token, agency, session")
	}
	q.From = optionalTime(&f, "from", in.From, false)
	q.To = optionalTime(&f, "to", in.To, true)
	var err error
	if q.Limit, err = limit(in.Limit); err != nil {
		return Page[AuditEntry]{}, err
	}
	if err := f.err(); err != nil {
		return Page[AuditEntry]{}, err
	}
	return s.store.FindAudit(ctx, q)
}

// AuditFilter selects audit entries, as the caller gave the values.
type AuditFilter struct {
	Actor      string
	Resource   string
	ResourceID string
	From, To   string // RFC 3339 times, or YYYY-MM-DD days in London (To: the whole day)
	Limit      int
	Cursor     string
}

// optionalTime reads an RFC 3339 time or a YYYY-MM-DD day (its start; with endOfDay, the
// start of the next day, so that a "to" day is included).
func optionalTime(f *fields, field, s string, endOfDay bool) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	d, err := ParseDate(s)
	if err != nil {
		f.add(field, "must be a date YYYY-MM-DD or an RFC 3339 time")
		return time.Time{}
	}
	if endOfDay {
		d = d.AddDays(1)
	}
	return d.Start()
}

// flush copies a written document's pending audit entries to the audit collection. A
// failure is logged, not returned: the write stands, its entries are safe in the document,
// and the next flush copies them.
func (s *Service) flush(ctx context.Context, resource, id string) {
	if err := s.store.FlushAudit(ctx, resource, id); err != nil {
		s.log.WarnContext(ctx, "audit entries left pending; a later flush copies them", "resource", resource, "id", id, "error", err)
	}
}

// auditSummaryReads records that actor read the response summaries of these checks, before
// they are shown: if the read cannot be recorded, the summaries are not shown.
func (s *Service) auditSummaryReads(ctx context.Context, actor User, cs []Check) error {
	var entries []AuditEntry
	for _, c := range cs {
		if c.Response != nil && c.Response.Summary != "" {
			entries = append(entries, s.audit(actor, "check.read_summary", ResourceCheck, c.ID, c.ReleaseID, nil))
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return s.store.InsertAudit(ctx, entries...)
}

// Export is everything held about one person's release, for a subject access request.
type Export struct {
	Release Release
	Audit   []AuditEntry
}

// ExportRelease gathers a release, all its checks (superseded ones too) with their history
// and responses, and every audit entry about them (admins only). The export itself is
// audited.
func (s *Service) ExportRelease(ctx context.Context, actor User, id string) (Export, error) {
	if actor.Role != RoleAdmin {
		return Export{}, Errorf(EFORBIDDEN, "only admins export what is held about a person")
	}
	r, err := s.visibleRelease(ctx, actor, id)
	if err != nil {
		return Export{}, err
	}
	if r, err = s.withChecks(ctx, r); err != nil {
		return Export{}, err
	}
	if err := s.store.InsertAudit(ctx, s.audit(actor, "release.export", ResourceRelease, r.ID, r.ID, nil)); err != nil {
		return Export{}, err
	}
	out := Export{Release: r, Audit: []AuditEntry{}}
	q := AuditQuery{ReleaseID: r.ID, Limit: 200}
	for {
		page, err := s.store.FindAudit(ctx, q)
		if err != nil {
			return Export{}, err
		}
		out.Audit = append(out.Audit, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		q.Cursor = page.NextCursor
	}
}
