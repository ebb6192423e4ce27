package checks

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

type checkDoc struct {
	ID        string `bson:"_id"`
	ReleaseID string `bson:"release_id"`
	Type      string `bson:"type"`
	Agency    string `bson:"agency"`
	Status    string `bson:"status"`

	RequestBy         string       `bson:"request_by"`
	RequestedAt       *time.Time   `bson:"requested_at,omitempty"`
	RequestedBy       string       `bson:"requested_by,omitempty"`
	DueDate           string       `bson:"due_date,omitempty"`
	Response          *responseDoc `bson:"response,omitempty"`
	CompletedAt       *time.Time   `bson:"completed_at,omitempty"`
	CompletedBy       string       `bson:"completed_by,omitempty"`
	CompletionNote    string       `bson:"completion_note,omitempty"`
	NotRequiredReason string       `bson:"not_required_reason,omitempty"`
	WithdrawnReason   string       `bson:"withdrawn_reason,omitempty"`
	SupersededBy      string       `bson:"superseded_by,omitempty"`

	History      []historyDoc             `bson:"history"`
	AuditPending []auditDoc               `bson:"audit_pending,omitempty"`
	AuditSeq     int64                    `bson:"audit_seq"`
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

type escalationDoc struct {
	At            time.Time `bson:"at"`
	AsOf          time.Time `bson:"as_of"`
	To            []string  `bson:"to"`
	Undeliverable []string  `bson:"undeliverable,omitempty"`
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

func toHistoryDoc(h HistoryEntry) historyDoc {
	return historyDoc{h.At, h.ActorID, h.ActorName, string(h.Role), string(h.Action), string(h.From), string(h.To), h.Note}
}

func toCheckDoc(c Check) checkDoc {
	d := checkDoc{
		ID: c.ID, ReleaseID: c.ReleaseID, Type: string(c.Type), Agency: c.Agency, Status: string(c.Status),
		RequestBy: c.RequestBy.String(), RequestedAt: timePtr(c.RequestedAt), RequestedBy: c.RequestedBy,
		DueDate: c.DueDate.String(), CompletedAt: timePtr(c.CompletedAt), CompletedBy: c.CompletedBy,
		CompletionNote: c.CompletionNote, NotRequiredReason: c.NotRequiredReason,
		WithdrawnReason: c.WithdrawnReason, SupersededBy: c.SupersededBy,
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
		d.Escalations[rule] = escalationDoc(e)
	}
	return d
}

func (d checkDoc) toCheck() Check {
	c := Check{
		ID: d.ID, ReleaseID: d.ReleaseID, Type: CheckType(d.Type), Agency: d.Agency, Status: Status(d.Status),
		RequestBy: parseStoredDate(d.RequestBy), RequestedAt: timeVal(d.RequestedAt), RequestedBy: d.RequestedBy,
		DueDate: parseStoredDate(d.DueDate), CompletedAt: timeVal(d.CompletedAt), CompletedBy: d.CompletedBy,
		CompletionNote: d.CompletionNote, NotRequiredReason: d.NotRequiredReason,
		WithdrawnReason: d.WithdrawnReason, SupersededBy: d.SupersededBy,
		Version: d.Version,
		CRN:     d.CRN, FullName: d.FullName, DateOfBirth: parseStoredDate(d.DateOfBirth),
		ReleaseDate: parseStoredDate(d.ReleaseDate), Team: d.Team, COMID: d.COMID,
	}
	if r := d.Response; r != nil {
		c.Response = &Response{Outcome(r.Outcome), r.Summary, r.RespondedAt.UTC(), r.RespondedBy, r.RespondedByName}
	}
	c.History = make([]HistoryEntry, 0, len(d.History))
	for _, h := range d.History {
		c.History = append(c.History, HistoryEntry{h.At.UTC(), h.ActorID, h.ActorName, Role(h.Role), Action(h.Action), Status(h.From), Status(h.To), h.Note})
	}
	if len(d.Escalations) > 0 {
		c.Escalations = make(map[string]Escalation, len(d.Escalations))
		for rule, e := range d.Escalations {
			c.Escalations[rule] = Escalation{e.At.UTC(), e.AsOf.UTC(), e.To, e.Undeliverable}
		}
	}
	return c
}

// InsertCheck writes a new check with the audit entries of its creation. ECONFLICT if a
// check with its id exists.
func (s *Store) InsertCheck(ctx context.Context, c Check, audit ...AuditEntry) error {
	d := toCheckDoc(c)
	for _, e := range audit {
		d.AuditPending, d.AuditSeq = append(d.AuditPending, toAuditDoc(e)), 1
	}
	_, err := s.checks.InsertOne(ctx, d)
	return storeError(err)
}

// Check reads one check by id.
func (s *Store) Check(ctx context.Context, id string) (Check, error) {
	var d checkDoc
	if err := s.checks.FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return Check{}, storeError(err)
	}
	return d.toCheck(), nil
}

// UpdateCheck writes the state of c over the stored check if the stored version is still
// c.Version, appends entry (if any) to its history and increments its version, in one
// conditional update. It returns the check as stored, or ErrStale when another change came
// first. Escalation records are left alone: they are written by their own updates.
func (s *Store) UpdateCheck(ctx context.Context, c Check, entry *HistoryEntry, now time.Time, audit ...AuditEntry) (Check, error) {
	d := toCheckDoc(c)
	set := bson.M{
		"status": d.Status, "agency": d.Agency, "request_by": d.RequestBy, "due_date": d.DueDate,
		"completed_by": d.CompletedBy, "completion_note": d.CompletionNote,
		"not_required_reason": d.NotRequiredReason, "withdrawn_reason": d.WithdrawnReason,
		"superseded_by": d.SupersededBy, "requested_by": d.RequestedBy,
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
	update := bson.M{"$set": set, "$inc": bson.M{"version": 1}}
	if entry != nil {
		update["$push"] = bson.M{"history": toHistoryDoc(*entry)}
	}
	var out checkDoc
	err := s.checks.FindOneAndUpdate(ctx, bson.M{"_id": c.ID, "version": c.Version}, pendingAudit(update, audit),
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
	if err != nil {
		err = storeError(err)
		if err == ErrNotFound {
			return Check{}, ErrStale
		}
		return Check{}, err
	}
	return out.toCheck(), nil
}

// CheckQuery selects checks for a list.
type CheckQuery struct {
	// Scope. Teams nil means every team; ScopeAgency limits to one agency's requested checks.
	Teams       []string
	ScopeAgency string

	Status        Status
	Type          CheckType
	Agency        string
	ReleaseBefore Date
	// Overdue, when set, keeps only checks that are (or are not) overdue on Today.
	Overdue *bool
	Today   Date
	Limit   int
	Cursor  string
}

// FindChecks lists checks sorted by release date, soonest first.
func (s *Store) FindChecks(ctx context.Context, q CheckQuery) (Page[Check], error) {
	f := bson.M{}
	var parts []bson.M
	if q.Teams != nil {
		f["team"] = bson.M{"$in": q.Teams}
	}
	if q.ScopeAgency != "" {
		if q.Agency != "" && q.Agency != q.ScopeAgency {
			return Page[Check]{Items: []Check{}}, nil
		}
		f["agency"] = q.ScopeAgency
		f["requested_at"] = bson.M{"$exists": true}
	}
	if q.Agency != "" {
		f["agency"] = q.Agency
	}
	if q.Status != "" {
		f["status"] = string(q.Status)
	}
	if q.Type != "" {
		f["type"] = string(q.Type)
	}
	if !q.ReleaseBefore.IsZero() {
		f["release_date"] = bson.M{"$lt": q.ReleaseBefore.String()}
	}
	if q.Overdue != nil {
		today := q.Today.String()
		if *q.Overdue {
			parts = append(parts, overdueFilter(q.Today))
		} else {
			parts = append(parts, bson.M{"$or": bson.A{
				bson.M{"status": bson.M{"$in": bson.A{string(StatusResponded), string(StatusCompleted), string(StatusNotRequired), string(StatusWithdrawn)}}},
				bson.M{"status": string(StatusRequired), "request_by": bson.M{"$gte": today}},
				bson.M{"status": string(StatusRequested), "due_date": bson.M{"$gte": today}},
			}})
		}
	}
	if q.Cursor != "" {
		after, err := afterCursor("release_date", q.Cursor)
		if err != nil {
			return Page[Check]{}, err
		}
		parts = append(parts, after)
	}
	return findPage(ctx, s.checks, and(append([]bson.M{f}, parts...)...), "release_date", q.Limit,
		func(d checkDoc) (string, string) { return d.ReleaseDate, d.ID },
		checkDoc.toCheck)
}

// ChecksOfReleases reads the checks of several releases in one query, in each release's slot
// order.
func (s *Store) ChecksOfReleases(ctx context.Context, releases []Release) (map[string][]Check, error) {
	ids := make(bson.A, 0, 2*len(releases))
	for _, r := range releases {
		for _, slot := range r.Slots {
			ids = append(ids, slot.CheckID)
		}
	}
	out := make(map[string][]Check, len(releases))
	if len(ids) == 0 {
		return out, nil
	}
	cur, err := s.checks.Find(ctx, bson.M{"_id": bson.M{"$in": ids}})
	if err != nil {
		return nil, storeError(err)
	}
	var docs []checkDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError(err)
	}
	byID := make(map[string]Check, len(docs))
	for _, d := range docs {
		byID[d.ID] = d.toCheck()
	}
	for _, r := range releases {
		list := make([]Check, 0, len(r.Slots))
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
func (s *Store) OpenChecks(ctx context.Context, statuses []Status, fn func(Check) error) error {
	in := make(bson.A, 0, len(statuses))
	for _, st := range statuses {
		in = append(in, string(st))
	}
	return s.streamChecks(ctx, bson.M{"status": bson.M{"$in": in}}, options.Find(), fn)
}

// streamChecks passes the checks a find returns to fn one by one, in batches of 500, so that
// a run over every open check never holds them all.
func (s *Store) streamChecks(ctx context.Context, filter bson.M, opts *options.FindOptionsBuilder, fn func(Check) error) error {
	cur, err := s.checks.Find(ctx, filter, opts.SetBatchSize(500))
	if err != nil {
		return storeError(err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d checkDoc
		if err := cur.Decode(&d); err != nil {
			return storeError(err)
		}
		if err := fn(d.toCheck()); err != nil {
			return err
		}
	}
	return storeError(cur.Err())
}

// MarkEscalation records that rule fired for a check, unless it already had: one conditional
// update, so of several schedulers recording the same rung exactly one does. It reports
// whether this call recorded it. The version is not bumped: an escalation is a record about
// the check, not a change a client's If-Match should trip over.
func (s *Store) MarkEscalation(ctx context.Context, checkID, rule string, e Escalation) (bool, error) {
	field := "escalations." + rule
	res, err := s.checks.UpdateOne(ctx,
		bson.M{"_id": checkID, field: bson.M{"$exists": false}},
		bson.M{"$set": bson.M{field: escalationDoc(e)}})
	if err != nil {
		return false, storeError(err)
	}
	return res.ModifiedCount == 1, nil
}

// InsertChecks writes many new checks at once, for seeding demo and benchmark data. Checks
// already there (same id) are left as they are.
func (s *Store) InsertChecks(ctx context.Context, cs []Check) error {
	docs := make([]any, len(cs))
	for i, c := range cs {
		docs[i] = toCheckDoc(c)
	}
	_, err := s.checks.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err != nil && ErrorCode(storeError(err)) != ECONFLICT {
		return storeError(err)
	}
	return nil
}

// ReportQuery selects the checks a report reads.
type ReportQuery struct {
	Teams                  []string // nil: every team
	ReleaseFrom, ReleaseTo Date     // both included; zero: unbounded
	RequestedOnly          bool
	OpenOnly               bool
}

// ReportChecks streams the checks a report reads to fn.
func (s *Store) ReportChecks(ctx context.Context, q ReportQuery, fn func(Check) error) error {
	f := bson.M{}
	if q.Teams != nil {
		f["team"] = bson.M{"$in": q.Teams}
	}
	dates := bson.M{}
	if !q.ReleaseFrom.IsZero() {
		dates["$gte"] = q.ReleaseFrom.String()
	}
	if !q.ReleaseTo.IsZero() {
		dates["$lte"] = q.ReleaseTo.String()
	}
	if len(dates) > 0 {
		f["release_date"] = dates
	}
	if q.RequestedOnly {
		f["requested_at"] = bson.M{"$exists": true}
	}
	if q.OpenOnly {
		f["status"] = bson.M{"$in": bson.A{string(StatusRequired), string(StatusRequested), string(StatusResponded)}}
	}
	return s.streamChecks(ctx, f, options.Find().SetSort(keys("release_date", "_id")), fn)
}

// CheckCount is how many checks have one status and type.
type CheckCount struct {
	Status Status
	Type   CheckType
	Count  int
}

// CountChecks counts checks by status and type, and the checks overdue on today, for metrics.
func (s *Store) CountChecks(ctx context.Context, today Date) ([]CheckCount, int, error) {
	cur, err := s.checks.Aggregate(ctx, bson.A{
		bson.M{"$group": bson.M{"_id": bson.M{"status": "$status", "type": "$type"}, "n": bson.M{"$sum": 1}}},
	})
	if err != nil {
		return nil, 0, storeError(err)
	}
	var rows []struct {
		ID struct {
			Status string `bson:"status"`
			Type   string `bson:"type"`
		} `bson:"_id"`
		N int `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, 0, storeError(err)
	}
	out := make([]CheckCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, CheckCount{Status(r.ID.Status), CheckType(r.ID.Type), r.N})
	}
	n, err := s.checks.CountDocuments(ctx, overdueFilter(today))
	return out, int(n), storeError(err)
}

// overdueFilter selects the checks overdue on today: not requested after their request-by
// date, or not answered after their due date. It is Check.Overdue as a query.
func overdueFilter(today Date) bson.M {
	return bson.M{"$or": bson.A{
		bson.M{"status": string(StatusRequired), "request_by": bson.M{"$lt": today.String()}},
		bson.M{"status": string(StatusRequested), "due_date": bson.M{"$lt": today.String()}},
	}}
}
