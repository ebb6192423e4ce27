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

type checkDoc struct {
	ID        string `bson:"_id"`
	ReleaseID string `bson:"release_id"`
	Type      string `bson:"type"`
	Agency    string `bson:"agency"`
	Status    string `bson:"status"`

	RequestBy         string        `bson:"request_by"`
	RequestedAt       *time.Time    `bson:"requested_at,omitempty"`
	RequestedBy       string        `bson:"requested_by,omitempty"`
	DueDate           string        `bson:"due_date,omitempty"`
	Urgent            bool          `bson:"urgent,omitempty"`
	Response          *responseDoc  `bson:"response,omitempty"`
	CompletedAt       *time.Time    `bson:"completed_at,omitempty"`
	CompletedBy       string        `bson:"completed_by,omitempty"`
	CompletionNote    string        `bson:"completion_note,omitempty"`
	NotRequiredReason string        `bson:"not_required_reason,omitempty"`
	WithdrawnReason   string        `bson:"withdrawn_reason,omitempty"`
	SupersededBy      string        `bson:"superseded_by,omitempty"`
	WithdrawnBecause  string        `bson:"withdrawn_because,omitempty"`
	WithdrawnAt       *time.Time    `bson:"withdrawn_at,omitempty"`
	Frozen            *frozenDoc    `bson:"frozen,omitempty"`
	Extension         *extensionDoc `bson:"extension,omitempty"`
	// Undeliverable is a flag of its own, beside the reason, so that the list of checks that
	// could not be emailed is an equality filter.
	Undeliverable       bool   `bson:"undeliverable,omitempty"`
	UndeliverableReason string `bson:"undeliverable_reason,omitempty"`

	History      []historyDoc             `bson:"history"`
	AuditPending []auditDoc               `bson:"audit_pending,omitempty"`
	AuditSeq     int64                    `bson:"audit_seq"`
	AuditDirty   bool                     `bson:"audit_dirty,omitempty"`
	Escalations  map[string]escalationDoc `bson:"escalations"`
	Version      int64                    `bson:"version"`
	UpdatedAt    time.Time                `bson:"updated_at"`

	CRN         string `bson:"crn"`
	FullName    string `bson:"full_name"`
	DateOfBirth string `bson:"date_of_birth"`
	ReleaseDate string `bson:"release_date"`
	Team        string `bson:"team"`
	COMID       string `bson:"com_id"`
}

type responseDoc struct {
	Outcome         string    `bson:"outcome"`
	Summary         string    `bson:"summary"`
	RespondedAt     time.Time `bson:"responded_at"`
	RespondedBy     string    `bson:"responded_by"`
	RespondedByName string    `bson:"responded_by_name"`
}

// frozenDoc is checks.AgencyCopy: what a liaison sees of a check that left its agency.
type frozenDoc struct {
	CRN         string `bson:"crn"`
	FullName    string `bson:"full_name"`
	DateOfBirth string `bson:"date_of_birth"`
	ReleaseDate string `bson:"release_date"`
	DueDate     string `bson:"due_date,omitempty"`
	History     int    `bson:"history"`
}

type extensionDoc struct {
	ProposedDate    string     `bson:"proposed_date"`
	Note            string     `bson:"note"`
	RequestedAt     time.Time  `bson:"requested_at"`
	RequestedBy     string     `bson:"requested_by"`
	RequestedByName string     `bson:"requested_by_name"`
	Decision        string     `bson:"decision,omitempty"`
	DecidedAt       *time.Time `bson:"decided_at,omitempty"`
	DecidedBy       string     `bson:"decided_by,omitempty"`
	Reason          string     `bson:"reason,omitempty"`
}

func toFrozenDoc(f *checks.AgencyCopy) *frozenDoc {
	if f == nil {
		return nil
	}
	return &frozenDoc{f.CRN, f.FullName, f.DateOfBirth.String(), f.ReleaseDate.String(), f.DueDate.String(), f.History}
}

func (d *frozenDoc) toAgencyCopy() *checks.AgencyCopy {
	if d == nil {
		return nil
	}
	return &checks.AgencyCopy{CRN: d.CRN, FullName: d.FullName, DateOfBirth: parseStoredDate(d.DateOfBirth),
		ReleaseDate: parseStoredDate(d.ReleaseDate), DueDate: parseStoredDate(d.DueDate), History: d.History}
}

func toExtensionDoc(e *checks.Extension) *extensionDoc {
	if e == nil {
		return nil
	}
	return &extensionDoc{e.ProposedDate.String(), e.Note, e.RequestedAt, e.RequestedBy, e.RequestedByName,
		string(e.Decision), timePtr(e.DecidedAt), e.DecidedBy, e.Reason}
}

func (d *extensionDoc) toExtension() *checks.Extension {
	if d == nil {
		return nil
	}
	return &checks.Extension{ProposedDate: parseStoredDate(d.ProposedDate), Note: d.Note, RequestedAt: d.RequestedAt.UTC(),
		RequestedBy: d.RequestedBy, RequestedByName: d.RequestedByName, Decision: checks.Decision(d.Decision),
		DecidedAt: timeVal(d.DecidedAt), DecidedBy: d.DecidedBy, Reason: d.Reason}
}

type historyDoc struct {
	At        time.Time `bson:"at"`
	ActorID   string    `bson:"actor_id,omitempty"`
	ActorName string    `bson:"actor_name"`
	Role      string    `bson:"role,omitempty"`
	Action    string    `bson:"action"`
	From      string    `bson:"from,omitempty"`
	To        string    `bson:"to,omitempty"`
	Note      string    `bson:"note,omitempty"`
}

// escalationDoc is one rung's record on a check. Records written before bases were kept
// have no basis, no due and no earlier: they read as checks.Escalation with a zero Basis.
type escalationDoc struct {
	At            time.Time       `bson:"at"`
	AsOf          time.Time       `bson:"as_of"`
	Basis         string          `bson:"basis,omitempty"`
	Due           string          `bson:"due,omitempty"`
	To            []string        `bson:"to"`
	Undeliverable []string        `bson:"undeliverable,omitempty"`
	Earlier       []escalationDoc `bson:"earlier,omitempty"`
}

func toEscalationDoc(e checks.Escalation) escalationDoc {
	d := escalationDoc{At: e.At, AsOf: e.AsOf, Basis: e.Basis.String(), Due: e.Due.String(), To: e.To, Undeliverable: e.Undeliverable}
	for _, x := range e.Earlier {
		d.Earlier = append(d.Earlier, toEscalationDoc(x))
	}
	return d
}

func (d escalationDoc) toEscalation() checks.Escalation {
	e := checks.Escalation{At: d.At.UTC(), AsOf: d.AsOf.UTC(), Basis: parseStoredDate(d.Basis), Due: parseStoredDate(d.Due),
		To: d.To, Undeliverable: d.Undeliverable}
	for _, x := range d.Earlier {
		e.Earlier = append(e.Earlier, x.toEscalation())
	}
	return e
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeVal(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func toHistoryDoc(h checks.HistoryEntry) historyDoc {
	return historyDoc{h.At, h.ActorID, h.ActorName, string(h.Role), string(h.Action), string(h.From), string(h.To), h.Note}
}

func toCheckDoc(c checks.Check) checkDoc {
	d := checkDoc{
		ID: c.ID, ReleaseID: c.ReleaseID, Type: string(c.Type), Agency: c.Agency, Status: string(c.Status),
		RequestBy: c.RequestBy.String(), RequestedAt: timePtr(c.RequestedAt), RequestedBy: c.RequestedBy,
		DueDate: c.DueDate.String(), Urgent: c.Urgent, CompletedAt: timePtr(c.CompletedAt), CompletedBy: c.CompletedBy,
		CompletionNote: c.CompletionNote, NotRequiredReason: c.NotRequiredReason,
		WithdrawnReason: c.WithdrawnReason, SupersededBy: c.SupersededBy,
		WithdrawnBecause: string(c.WithdrawnBecause), WithdrawnAt: timePtr(c.WithdrawnAt),
		Frozen: toFrozenDoc(c.Frozen), Extension: toExtensionDoc(c.Extension),
		Undeliverable: c.Undeliverable != "", UndeliverableReason: c.Undeliverable,
		History: []historyDoc{}, Escalations: map[string]escalationDoc{}, Version: c.Version,
		CRN: c.CRN, FullName: c.FullName, DateOfBirth: c.DateOfBirth.String(),
		ReleaseDate: c.ReleaseDate.String(), Team: c.Team, COMID: c.COMID,
	}
	if r := c.Response; r != nil {
		d.Response = &responseDoc{string(r.Outcome), r.Summary, r.RespondedAt, r.RespondedBy, r.RespondedByName}
	}
	for _, h := range c.History {
		d.History = append(d.History, toHistoryDoc(h))
	}
	for rule, e := range c.Escalations {
		d.Escalations[rule] = toEscalationDoc(e)
	}
	return d
}

func (d checkDoc) toCheck() checks.Check {
	c := checks.Check{
		ID: d.ID, ReleaseID: d.ReleaseID, Type: checks.CheckType(d.Type), Agency: d.Agency, Status: checks.Status(d.Status),
		RequestBy: parseStoredDate(d.RequestBy), RequestedAt: timeVal(d.RequestedAt), RequestedBy: d.RequestedBy,
		DueDate: parseStoredDate(d.DueDate), Urgent: d.Urgent, CompletedAt: timeVal(d.CompletedAt), CompletedBy: d.CompletedBy,
		CompletionNote: d.CompletionNote, NotRequiredReason: d.NotRequiredReason,
		WithdrawnReason: d.WithdrawnReason, SupersededBy: d.SupersededBy,
		WithdrawnBecause: checks.WithdrawnBecause(d.WithdrawnBecause), WithdrawnAt: timeVal(d.WithdrawnAt),
		Frozen: d.Frozen.toAgencyCopy(), Extension: d.Extension.toExtension(), Undeliverable: d.UndeliverableReason,
		Version: d.Version,
		CRN:     d.CRN, FullName: d.FullName, DateOfBirth: parseStoredDate(d.DateOfBirth),
		ReleaseDate: parseStoredDate(d.ReleaseDate), Team: d.Team, COMID: d.COMID,
	}
	if r := d.Response; r != nil {
		c.Response = &checks.Response{Outcome: checks.Outcome(r.Outcome), Summary: r.Summary, RespondedAt: r.RespondedAt.UTC(),
			RespondedBy: r.RespondedBy, RespondedByName: r.RespondedByName}
	}
	c.History = make([]checks.HistoryEntry, 0, len(d.History))
	for _, h := range d.History {
		c.History = append(c.History, checks.HistoryEntry{At: h.At.UTC(), ActorID: h.ActorID, ActorName: h.ActorName,
			Role: checks.Role(h.Role), Action: checks.Action(h.Action), From: checks.Status(h.From), To: checks.Status(h.To), Note: h.Note})
	}
	if len(d.Escalations) > 0 {
		c.Escalations = make(map[string]checks.Escalation, len(d.Escalations))
		for rule, e := range d.Escalations {
			c.Escalations[rule] = e.toEscalation()
		}
	}
	return c
}

// InsertCheck writes a new check with the audit entries of its creation. ECONFLICT if a
// check with its id exists.
func (s *Store) InsertCheck(ctx context.Context, c checks.Check, audit ...checks.AuditEntry) error {
	d := toCheckDoc(c)
	d.AuditPending, d.AuditSeq, d.AuditDirty = pending(audit)
	if _, err := s.checks.InsertOne(ctx, d); err != nil {
		return dbError(err)
	}
	s.flushAfter(ctx, checks.ResourceCheck, c.ID, audit, d.AuditPending, d.AuditSeq)
	return nil
}

// Check reads one check by id.
func (s *Store) Check(ctx context.Context, id string) (checks.Check, error) {
	return findOne(ctx, s.checks, bson.M{"_id": id}, checkDoc.toCheck)
}

// UpdateCheck writes the state of c over the stored check if the stored version is still
// c.Version, appends entry (if any) to its history and increments its version, in one
// conditional update. It returns the check as stored, or ErrStale when another change came
// first. Escalation records are left alone: they are written by their own updates.
func (s *Store) UpdateCheck(ctx context.Context, c checks.Check, entry *checks.HistoryEntry, now time.Time, audit ...checks.AuditEntry) (checks.Check, error) {
	d := toCheckDoc(c)
	set := bson.M{
		"status": d.Status, "agency": d.Agency, "request_by": d.RequestBy, "due_date": d.DueDate, "urgent": d.Urgent,
		"completed_by": d.CompletedBy, "completion_note": d.CompletionNote,
		"not_required_reason": d.NotRequiredReason, "withdrawn_reason": d.WithdrawnReason,
		"superseded_by": d.SupersededBy, "requested_by": d.RequestedBy,
		"withdrawn_because": d.WithdrawnBecause,
		"undeliverable":     d.Undeliverable, "undeliverable_reason": d.UndeliverableReason,
		"crn": d.CRN, "full_name": d.FullName, "date_of_birth": d.DateOfBirth,
		"release_date": d.ReleaseDate, "team": d.Team, "com_id": d.COMID, "updated_at": now,
	}
	// Times and the response are only ever set, never cleared: no transition takes them back.
	if d.RequestedAt != nil {
		set["requested_at"] = d.RequestedAt
	}
	if d.CompletedAt != nil {
		set["completed_at"] = d.CompletedAt
	}
	if d.Response != nil {
		set["response"] = d.Response
	}
	if d.WithdrawnAt != nil {
		set["withdrawn_at"] = d.WithdrawnAt
	}
	// The snapshot is taken once, when the check leaves its agency; the extension is only
	// ever replaced by a newer request or its decision.
	if d.Frozen != nil {
		set["frozen"] = d.Frozen
	}
	if d.Extension != nil {
		set["extension"] = d.Extension
	}
	update := bson.M{"$set": set, "$inc": bson.M{"version": 1}}
	if entry != nil {
		update["$push"] = bson.M{"history": toHistoryDoc(*entry)}
	}
	var out checkDoc
	err := s.findAndUpdateByID(ctx, s.checks, c.ID, bson.D{{Key: "version", Value: c.Version}}, pendingAudit(update, audit), &out)
	if err != nil {
		return checks.Check{}, stale(err)
	}
	s.flushAfter(ctx, checks.ResourceCheck, c.ID, audit, out.AuditPending, out.AuditSeq)
	return out.toCheck(), nil
}

// checkList reads checks into pages, soonest release first.
var checkList = listing[checkDoc, checks.Check]{
	order: order{field: "release_date"},
	key:   func(d checkDoc) (any, string) { return d.ReleaseDate, d.ID },
	conv:  checkDoc.toCheck,
}

// FindChecks lists checks sorted by release date, soonest first.
func (s *Store) FindChecks(ctx context.Context, q checks.CheckQuery) (checks.Page[checks.Check], error) {
	f := bson.M{}
	var parts []bson.M
	if q.Agency != "" {
		f["agency"] = q.Agency
	}
	if q.Status != "" {
		f["status"] = string(q.Status)
	}
	if q.Type != "" {
		f["type"] = string(q.Type)
	}
	if q.Undeliverable {
		f["undeliverable"] = true
	}
	if !q.AnsweredFrom.IsZero() {
		f["response.responded_at"] = bson.M{"$gte": q.AnsweredFrom}
	}
	dates := bson.M{}
	if !q.ReleaseFrom.IsZero() {
		dates["$gte"] = q.ReleaseFrom.String()
	}
	if !q.ReleaseBefore.IsZero() {
		dates["$lt"] = q.ReleaseBefore.String()
	}
	if len(dates) > 0 {
		f["release_date"] = dates
	}
	if q.Overdue != nil {
		today := q.Today.String()
		if *q.Overdue {
			parts = append(parts, overdueFilter(q.Today))
		} else {
			parts = append(parts, bson.M{"$or": bson.A{
				bson.M{"status": bson.M{"$in": bson.A{string(checks.StatusResponded), string(checks.StatusCompleted), string(checks.StatusNotRequired), string(checks.StatusWithdrawn)}}},
				bson.M{"status": string(checks.StatusRequired), "request_by": bson.M{"$gte": today}},
				bson.M{"status": string(checks.StatusRequested), "due_date": bson.M{"$gte": today}},
			}})
		}
	}
	return checkList.page(ctx, checkSources(s.checks, q.Scope, and(append([]bson.M{f}, parts...)...)), q.Limit, q.Cursor)
}

// checkSources are the queries of a list of checks in scope: one per team (each served by
// the index on team, release date and id), the agency's requested checks, or all of them.
// A filter on another agency than a liaison's own finds nothing.
func checkSources(coll *mongo.Collection, scope checks.Scope, filter bson.M) []source {
	switch {
	case scope.All():
		return []source{{coll, filter}}
	case scope.Agency() != "":
		if a, ok := filter["agency"]; ok && a != scope.Agency() {
			return nil
		}
		return []source{{coll, and(filter, bson.M{"agency": scope.Agency(), "requested_at": bson.M{"$exists": true}})}}
	}
	var out []source
	for _, team := range scope.Teams() {
		out = append(out, source{coll, and(filter, bson.M{"team": team})})
	}
	return out
}

// ChecksOfReleases reads the checks of several releases in one query, in each release's slot
// order.
func (s *Store) ChecksOfReleases(ctx context.Context, releases []checks.Release) (map[string][]checks.Check, error) {
	ids := make(bson.A, 0, 2*len(releases))
	for _, r := range releases {
		for _, slot := range r.Slots {
			ids = append(ids, slot.CheckID)
		}
	}
	out := make(map[string][]checks.Check, len(releases))
	if len(ids) == 0 {
		return out, nil
	}
	found, err := findAll(ctx, s.checks, bson.M{"_id": bson.M{"$in": ids}}, nil, checkDoc.toCheck)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]checks.Check, len(found))
	for _, c := range found {
		byID[c.ID] = c
	}
	for _, r := range releases {
		list := make([]checks.Check, 0, len(r.Slots))
		for _, slot := range r.Slots {
			if c, ok := byID[slot.CheckID]; ok {
				list = append(list, c)
			}
		}
		out[r.ID] = list
	}
	return out, nil
}

// OpenChecks streams every check in one of the statuses to fn, without loading them all at
// once. It stops at the first error fn returns.
// When changedSince is not zero, only checks changed since then are streamed (the index on
// updated_at selects them).
func (s *Store) OpenChecks(ctx context.Context, statuses []checks.Status, changedSince time.Time, fn func(checks.Check) error) error {
	f := bson.M{"status": bson.M{"$in": statusList(statuses)}}
	if !changedSince.IsZero() {
		f["updated_at"] = bson.M{"$gte": changedSince}
	}
	return s.streamChecks(ctx, f, fn)
}

func statusList(statuses []checks.Status) bson.A {
	in := make(bson.A, 0, len(statuses))
	for _, st := range statuses {
		in = append(in, string(st))
	}
	return in
}

// streamChecks passes the checks a find returns to fn one by one, in batches of 500, so that
// a run over every open check never holds them all.
func (s *Store) streamChecks(ctx context.Context, filter bson.M, fn func(checks.Check) error) error {
	cur, err := s.checks.Find(ctx, filter, options.Find().SetBatchSize(500))
	if err != nil {
		return dbError(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d checkDoc
		if err := cur.Decode(&d); err != nil {
			return dbError(err)
		}
		if err := fn(d.toCheck()); err != nil {
			return err
		}
	}
	return dbError(cur.Err())
}

// MarkEscalation records that rule fired for a check against e.Basis, unless it already had
// for that basis: one conditional update, so of several schedulers recording the same rung
// exactly one does. It reports whether this call recorded it. The version is not bumped: an
// escalation is a record about the check, not a change a client's If-Match should trip over.
//
// A first firing (e.Earlier empty) is recorded only where the rule has no record yet. A
// firing against a new basis carries the record it replaces as the last of e.Earlier, and is
// recorded only where that record still stands (same basis, same time): a record for
// another basis than e's, so the rung has not fired for e's. Whoever replaced it first wins,
// and no earlier firing is ever lost from the list.
func (s *Store) MarkEscalation(ctx context.Context, checkID, rule string, e checks.Escalation) (bool, error) {
	if e.Basis.IsZero() {
		return false, &checks.Error{Code: checks.EINTERNAL, Message: "an escalation needs its basis", Err: fmt.Errorf("escalation %s of %s without a basis", rule, checkID)}
	}
	field := "escalations." + rule
	cond := bson.D{{Key: field, Value: absent}}
	if n := len(e.Earlier); n > 0 {
		prev := e.Earlier[n-1]
		if prev.Basis.IsZero() || prev.Basis == e.Basis {
			return false, &checks.Error{Code: checks.EINTERNAL, Message: "an escalation replaces a record of another basis",
				Err: fmt.Errorf("escalation %s of %s against %s replaces one against %q", rule, checkID, e.Basis, prev.Basis)}
		}
		cond = bson.D{{Key: field + ".basis", Value: prev.Basis.String()}, {Key: field + ".at", Value: prev.At}}
	}
	return s.updateByID(ctx, s.checks, checkID, cond, bson.M{"$set": bson.M{field: toEscalationDoc(e)}})
}

// AdoptEscalation writes basis and due on a record of rule written before bases were kept,
// so that it counts as fired for that basis from now on and fires again when the date
// moves. One conditional update: only a record still without a basis is changed. It reports
// whether this call changed it.
func (s *Store) AdoptEscalation(ctx context.Context, checkID, rule string, basis, due checks.Date) (bool, error) {
	field := "escalations." + rule
	set := bson.M{field + ".basis": basis.String()}
	if !due.IsZero() {
		set[field+".due"] = due.String()
	}
	return s.updateByID(ctx, s.checks, checkID, bson.D{{Key: field, Value: present}, {Key: field + ".basis", Value: absent}},
		bson.M{"$set": set})
}

// InsertChecks writes many new checks at once, for seeding demo and benchmark data. Checks
// already there (same id) are left as they are.
func (s *Store) InsertChecks(ctx context.Context, cs []checks.Check) error {
	docs := make([]checkDoc, len(cs))
	for i, c := range cs {
		docs[i] = toCheckDoc(c)
	}
	return insertMany(ctx, s.checks, docs)
}

// ReportChecks streams the checks a report reads to fn, in no particular order: a report
// tallies, so no query sorts.
func (s *Store) ReportChecks(ctx context.Context, q checks.ReportQuery, fn func(checks.Check) error) error {
	f, ok := scopeFilter(q.Scope)
	if !ok {
		return nil
	}
	if r := between(q.ReleaseFrom, q.ReleaseTo); r != nil {
		f["release_date"] = r
	}
	if !q.RequestedFrom.IsZero() || !q.RequestedTo.IsZero() {
		at := bson.M{"$exists": true}
		if !q.RequestedFrom.IsZero() {
			at["$gte"] = q.RequestedFrom
		}
		if !q.RequestedTo.IsZero() {
			at["$lt"] = q.RequestedTo
		}
		f["requested_at"] = at
	}
	if len(q.Statuses) > 0 {
		f["status"] = bson.M{"$in": statusList(q.Statuses)}
	}
	return s.streamChecks(ctx, f, fn)
}

// scopeFilter is the filter of a scope as one query, for streams that need no order; false
// when the scope holds nothing.
func scopeFilter(scope checks.Scope) (bson.M, bool) {
	switch {
	case scope.All():
		return bson.M{}, true
	case scope.Agency() != "":
		return bson.M{"agency": scope.Agency(), "requested_at": bson.M{"$exists": true}}, true
	case len(scope.Teams()) > 0:
		return bson.M{"team": bson.M{"$in": scope.Teams()}}, true
	}
	return nil, false
}

// between is the filter of dates from..to, both included, either open when zero.
func between(from, to checks.Date) bson.M {
	r := bson.M{}
	if !from.IsZero() {
		r["$gte"] = from.String()
	}
	if !to.IsZero() {
		r["$lte"] = to.String()
	}
	if len(r) == 0 {
		return nil
	}
	return r
}

// CountChecks counts the open checks by status and type, and the checks overdue on today,
// for metrics. Closed checks are not counted: they are most of the collection and only grow,
// and counting them every minute would read them all.
func (s *Store) CountChecks(ctx context.Context, today checks.Date) ([]checks.CheckCount, int, error) {
	open := []checks.Status{checks.StatusRequired, checks.StatusRequested, checks.StatusResponded}
	cur, err := s.checks.Aggregate(ctx, bson.A{
		bson.M{"$match": bson.M{"status": bson.M{"$in": statusList(open)}}},
		bson.M{"$group": bson.M{"_id": bson.M{"status": "$status", "type": "$type"}, "n": bson.M{"$sum": 1}}},
	})
	if err != nil {
		return nil, 0, dbError(err)
	}
	var rows []struct {
		ID struct {
			Status string `bson:"status"`
			Type   string `bson:"type"`
		} `bson:"_id"`
		N int `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, 0, dbError(err)
	}
	out := make([]checks.CheckCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, checks.CheckCount{Status: checks.Status(r.ID.Status), Type: checks.CheckType(r.ID.Type), Count: r.N})
	}
	n, err := s.checks.CountDocuments(ctx, overdueFilter(today))
	return out, int(n), dbError(err)
}

// overdueFilter selects the checks overdue on today: not requested after their request-by
// date, or not answered after their due date. It is Check.Overdue as a query.
func overdueFilter(today checks.Date) bson.M {
	return bson.M{"$or": bson.A{
		bson.M{"status": string(checks.StatusRequired), "request_by": bson.M{"$lt": today.String()}},
		bson.M{"status": string(checks.StatusRequested), "due_date": bson.M{"$lt": today.String()}},
	}}
}
