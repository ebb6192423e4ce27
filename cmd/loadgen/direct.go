package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/embedded"
)

// directDB is the service's database reached through the driver alone: the baseline each
// operation of the service is compared with. For each operation it issues the queries the
// service's store issues for it, in the same order, with documents of the same shape
// (docs.go), and nothing else: no HTTP, no JSON, no authentication, no domain rules.
//
// Reads go to the service's own collections, and read the very checks the service's reads
// do. Where writes go depends on the database:
//   - on MongoDB (or FerretDB v2), to the service's own releases, checks and audit trail: a
//     release the direct side creates is one more release of the load's COM, which the
//     service may list and read, so that both sides work on the same, growing collections;
//   - on the embedded database, to scratch copies of releases and checks (and an empty
//     scratch audit collection) made at the start and dropped at the end, so the service's
//     data is not touched; there a conditional update scans its collection, and the copies
//     make the direct writes scan as many documents as the service's.
type directDB struct {
	client *mongo.Client
	server *embedded.Server // nil on MongoDB
	// The service's collections, read by both sides.
	checks, users, agencies *mongo.Collection
	// Where the direct writes go.
	wReleases, wChecks, wAudit *mongo.Collection
	scratch                    bool
	describe                   string
}

const (
	scratchReleases = "loadgen_releases"
	scratchChecks   = "loadgen_checks"
	scratchAudit    = "loadgen_audit"
)

// openDirect connects to the service's database: through the socket of the embedded
// database that the running service started in the data directory, or to --mongodb-uri.
// The client is set up as the service sets up its own.
func openDirect(ctx context.Context, o settings) (*directDB, error) {
	d := &directDB{}
	uri := o.mongoURI
	if uri == "" {
		if _, err := os.Stat(o.dataDir); err != nil {
			return nil, fmt.Errorf("the service's data directory: %w (give --data-dir, or --mongodb-uri when it uses MongoDB)", err)
		}
		srv, err := embedded.Open(ctx, o.dataDir, slog.New(slog.DiscardHandler))
		if err != nil {
			return nil, fmt.Errorf("join the embedded database in %s: %w", o.dataDir, err)
		}
		if srv.Owned {
			// Nobody ran it: Open started one here, which is not the service's.
			_ = srv.Close()
			return nil, fmt.Errorf("no service runs on the data directory %s: give the --data-dir that serve uses", o.dataDir)
		}
		d.server, uri, d.scratch = srv, srv.URI, true
		d.describe = fmt.Sprintf("embedded database in %s, joined through its socket (one connection, as the service has); direct writes to scratch copies", srv.Dir)
	} else {
		d.describe = "MongoDB at " + redact(uri) + "; direct writes to the service's own collections"
	}
	d.describe += ", database " + o.database
	client, err := mongo.Connect(options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(5 * time.Second).
		SetWriteConcern(writeconcern.Majority()).
		SetTimeout(10 * time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	d.client = client
	if err := client.Ping(ctx, nil); err != nil {
		d.close()
		return nil, fmt.Errorf("the database does not answer: %w", err)
	}
	db := client.Database(o.database)
	d.checks, d.users, d.agencies = db.Collection("checks"), db.Collection("users"), db.Collection("agencies")
	if d.scratch {
		d.wReleases, d.wChecks, d.wAudit = db.Collection(scratchReleases), db.Collection(scratchChecks), db.Collection(scratchAudit)
	} else {
		d.wReleases, d.wChecks, d.wAudit = db.Collection("releases"), d.checks, db.Collection("audit")
	}
	return d, nil
}

func (d *directDB) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.client.Disconnect(ctx)
	if d.server != nil {
		_ = d.server.Close() // joined, not owned: closes nothing of the service's
	}
}

// dropScratch drops the scratch collections the direct writes go to on the embedded
// database; on MongoDB there are none.
func (d *directDB) dropScratch(ctx context.Context) error {
	if !d.scratch {
		return nil
	}
	for _, c := range []*mongo.Collection{d.wReleases, d.wChecks, d.wAudit} {
		if err := c.Drop(ctx); err != nil {
			return fmt.Errorf("drop %s: %w", c.Name(), err)
		}
	}
	return nil
}

// prepareScratch, on the embedded database, makes the scratch collections copies of the
// service's releases and checks with the same indexes, and an empty audit collection with
// the audit trail's indexes. A conditional update there scans its whole collection, so the
// direct writes must find as many documents as the service's do; both then grow at the same
// rate (each side creates as many releases).
func (d *directDB) prepareScratch(ctx context.Context) (int, error) {
	if !d.scratch {
		return 0, nil
	}
	if err := d.dropScratch(ctx); err != nil {
		return 0, err
	}
	db := d.checks.Database()
	copied := 0
	for _, pair := range []struct {
		from, to *mongo.Collection
		docs     bool
	}{
		{db.Collection("releases"), d.wReleases, true},
		{d.checks, d.wChecks, true},
		{db.Collection("audit"), d.wAudit, false},
	} {
		if err := copyIndexes(ctx, pair.from, pair.to); err != nil {
			return copied, err
		}
		if !pair.docs {
			continue
		}
		n, err := copyDocuments(ctx, pair.from, pair.to)
		copied += n
		if err != nil {
			return copied, err
		}
	}
	return copied, nil
}

// copyIndexes creates on to the indexes of from, but _id's.
func copyIndexes(ctx context.Context, from, to *mongo.Collection) error {
	cur, err := from.Indexes().List(ctx)
	if err != nil {
		return fmt.Errorf("list the indexes of %s: %w", from.Name(), err)
	}
	var specs []struct {
		Name   string `bson:"name"`
		Key    bson.D `bson:"key"`
		Unique bool   `bson:"unique"`
	}
	if err := cur.All(ctx, &specs); err != nil {
		return fmt.Errorf("list the indexes of %s: %w", from.Name(), err)
	}
	for _, s := range specs {
		if s.Name == "_id_" {
			continue
		}
		// One at a time: FerretDB v1 drops the connection when createIndexes names several.
		m := mongo.IndexModel{Keys: s.Key, Options: options.Index().SetName(s.Name).SetUnique(s.Unique)}
		if _, err := to.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create index %s on %s: %w", s.Name, to.Name(), err)
		}
	}
	return nil
}

// copyDocuments copies every document of from into to, in batches.
func copyDocuments(ctx context.Context, from, to *mongo.Collection) (int, error) {
	cur, err := from.Find(ctx, bson.M{}, options.Find().SetBatchSize(500))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", from.Name(), err)
	}
	defer cur.Close(ctx)
	n := 0
	var batch []any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := to.InsertMany(ctx, batch); err != nil {
			return fmt.Errorf("copy %s to %s: %w", from.Name(), to.Name(), err)
		}
		n += len(batch)
		batch = batch[:0]
		return nil
	}
	for cur.Next(ctx) {
		batch = append(batch, bson.Raw(slices.Clone(cur.Current)))
		if len(batch) == 500 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := cur.Err(); err != nil {
		return n, fmt.Errorf("read %s: %w", from.Name(), err)
	}
	return n, flush()
}

// redact hides the password of a connection string.
func redact(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return uri
	}
	creds, host, ok := strings.Cut(rest, "@")
	if !ok {
		return uri
	}
	user, _, _ := strings.Cut(creds, ":")
	return scheme + "://" + user + ":***@" + host
}

// directOp does what the service's store does for one operation, with the driver alone.
// It returns how long all of its database calls took, and how long its core took: the
// one query a hand-written client could not do without (a read by id, the list's find, the
// inserts of a release and its checks, the read and the conditional update of a
// transition), without the audit trail's writes and lookups around it.
//
//   - get check: FindOne({_id}) on checks (core); when the check holds a response summary,
//     the insert of the audit entry of that read.
//   - list checks: the COM's list as the store asks it, one query for the COM's one team:
//     find({$and: [{release_date: {$gte: today-90d}}, {team: T}]}) sorted by release_date
//     and _id, limit 51 (core); then one insert of the audit entries of the summaries on
//     the page, when it holds any.
//   - create release: the two agencies and the COM read by _id; the release inserted with
//     its pending audit entry, then that entry copied to the audit trail (the store's
//     flush: read the pending entries by _id, insert them, clear them with a conditional
//     update); for each of its two checks, a read by _id (not found yet), the insert with its
//     pending audit entry, and the flush; last, the release's sync mark cleared with a
//     conditional update. Core: the three inserts.
//   - request, respond, complete: the check read by _id, one conditional
//     findOneAndUpdate({_id, version}) that sets the check's fields as the store's
//     UpdateCheck sets them, increments the version, pushes the history entry and the
//     pending audit entry (core: these two); the flush; and, but for an answer, the audit
//     entry of the summary shown in the answer when the check holds one (a completion).
//
// Authentication is left out: the service answers a token it saw in the last two seconds
// from memory, so under load it costs no query.
func (g *generator) directOp(ctx context.Context, w *worker, o op, l *lifecycle) (total, core time.Duration, err error) {
	d := g.db
	start := time.Now()
	switch o {
	case opGetCheck:
		var c checkDoc
		if err := d.checks.FindOne(ctx, bson.M{"_id": w.com.pool.pick(w.rng)}).Decode(&c); err != nil {
			return 0, 0, err
		}
		core = time.Since(start)
		if err := d.auditReads(ctx, w.com, []checkDoc{c}); err != nil {
			return 0, 0, err
		}
		return time.Since(start), core, nil
	case opListChecks:
		from := checks.DateOf(time.Now()).AddDays(-checks.RecentDays).String()
		filter := bson.M{"$and": bson.A{bson.M{"release_date": bson.M{"$gte": from}}, bson.M{"team": w.com.team}}}
		cur, err := d.checks.Find(ctx, filter,
			options.Find().SetSort(bson.D{{Key: "release_date", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(51))
		if err != nil {
			return 0, 0, err
		}
		var page []checkDoc
		if err := cur.All(ctx, &page); err != nil {
			return 0, 0, err
		}
		core = time.Since(start)
		if len(page) > 50 {
			page = page[:50]
		}
		if err := d.auditReads(ctx, w.com, page); err != nil {
			return 0, 0, err
		}
		return time.Since(start), core, nil
	case opCreateRelease:
		total, core, err := d.createRelease(ctx, w, g.users.policeForce, g.o.localAuth, l)
		if err == nil {
			g.created.add(l.releaseID)
		}
		return total, core, err
	case opRequestCheck, opRespondToCheck, opCompleteCheck:
		return d.transition(ctx, w.com, o, l)
	}
	return 0, 0, fmt.Errorf("unknown operation %v", o)
}

// auditReads inserts the audit entries of the summaries among cs, in one insert, as the
// service does before it shows them.
func (d *directDB) auditReads(ctx context.Context, by *com, cs []checkDoc) error {
	now := time.Now().UTC().Truncate(time.Millisecond)
	var entries []any
	for _, c := range cs {
		if c.Response != nil && c.Response.Summary != "" {
			entries = append(entries, audit(by, now, "check.read_summary", "check", c.ID, c.ReleaseID, nil))
		}
	}
	if len(entries) == 0 {
		return nil
	}
	_, err := d.wAudit.InsertMany(ctx, entries, options.InsertMany().SetOrdered(false))
	return err
}

// audit is an audit entry of something a COM of the load did.
func audit(by *com, at time.Time, action, resource, id, releaseID string, changes []changeDoc) auditDoc {
	return auditDoc{ID: bson.NewObjectID().Hex(), At: at, ActorID: by.id, ActorName: by.name, Role: "com",
		Action: action, Resource: resource, ResourceID: id, ReleaseID: releaseID, Changes: changes}
}

// flush copies the pending audit entries of one document to the audit trail and clears
// them, as the store does after each write: again when the document gained entries
// meanwhile (the service's own repairs may write to the direct side's documents too).
func (d *directDB) flush(ctx context.Context, coll *mongo.Collection, id string) error {
	for range 5 {
		var p struct {
			Pending []auditDoc `bson:"audit_pending"`
			Seq     int64      `bson:"audit_seq"`
		}
		err := coll.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"audit_pending": 1, "audit_seq": 1})).Decode(&p)
		if err != nil {
			return err
		}
		if len(p.Pending) > 0 {
			docs := make([]any, len(p.Pending))
			for i := range p.Pending {
				docs[i] = p.Pending[i]
			}
			_, err := d.wAudit.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
			if err != nil && !mongo.IsDuplicateKeyError(err) {
				return err
			}
		}
		res, err := coll.UpdateOne(ctx, bson.M{"_id": id, "audit_seq": p.Seq},
			bson.M{"$set": bson.M{"audit_pending": bson.A{}}, "$unset": bson.M{"audit_dirty": ""}})
		if err != nil || res.MatchedCount == 1 {
			return err
		}
	}
	return fmt.Errorf("the audit of %s %s kept changing while it was copied", coll.Name(), id)
}

// cleanUp deletes the releases of ids, their checks and the audit entries about them, in
// the collections the service's and the direct writes went to, and returns how many
// releases it deleted.
func (d *directDB) cleanUp(ctx context.Context, ids []string) (int, error) {
	db := d.checks.Database()
	colls := []struct {
		c     *mongo.Collection
		field string
	}{{db.Collection("audit"), "release_id"}, {db.Collection("checks"), "release_id"}, {db.Collection("releases"), "_id"}}
	if d.scratch {
		colls = append(colls, struct {
			c     *mongo.Collection
			field string
		}{d.wAudit, "release_id"})
	}
	deleted := 0
	for i := 0; i < len(ids); i += 500 {
		in := ids[i:min(i+500, len(ids))]
		for _, c := range colls {
			res, err := c.c.DeleteMany(ctx, bson.M{c.field: bson.M{"$in": in}})
			if err != nil {
				return deleted, fmt.Errorf("delete from %s: %w", c.c.Name(), err)
			}
			if c.c.Name() == "releases" {
				deleted += int(res.DeletedCount)
			}
		}
	}
	return deleted, nil
}

// createRelease creates a release and its two checks with the store's queries.
func (d *directDB) createRelease(ctx context.Context, w *worker, policeForce, localAuthority string, l *lifecycle) (total, core time.Duration, err error) {
	rel, cs := releaseDocs(w, policeForce, localAuthority)
	start := time.Now()
	for _, code := range []string{policeForce, localAuthority} {
		var a agencyDoc
		if err := d.agencies.FindOne(ctx, bson.M{"_id": code}).Decode(&a); err != nil {
			return 0, 0, fmt.Errorf("agency %s: %w", code, err)
		}
	}
	var u userDoc
	if err := d.users.FindOne(ctx, bson.M{"_id": w.com.id}).Decode(&u); err != nil {
		return 0, 0, fmt.Errorf("the COM: %w", err)
	}
	t := time.Now()
	if _, err := d.wReleases.InsertOne(ctx, rel); err != nil {
		return 0, 0, err
	}
	core += time.Since(t)
	if err := d.flush(ctx, d.wReleases, rel.ID); err != nil {
		return 0, 0, err
	}
	for _, c := range cs {
		var none checkDoc
		if err := d.wChecks.FindOne(ctx, bson.M{"_id": c.ID}).Decode(&none); !errors.Is(err, mongo.ErrNoDocuments) {
			return 0, 0, fmt.Errorf("check %s should not exist yet: %v", c.ID, err)
		}
		t := time.Now()
		if _, err := d.wChecks.InsertOne(ctx, c); err != nil {
			return 0, 0, err
		}
		core += time.Since(t)
		if err := d.flush(ctx, d.wChecks, c.ID); err != nil {
			return 0, 0, err
		}
	}
	if _, err := d.wReleases.UpdateOne(ctx, bson.M{"_id": rel.ID, "version": rel.Version}, bson.M{"$set": bson.M{"sync_pending": false}}); err != nil {
		return 0, 0, err
	}
	total = time.Since(start)
	l.releaseID, l.checkID, l.version = rel.ID, cs[0].ID, 1
	return total, core, nil
}

// transitions are the status changes of the three lifecycle writes.
var transitions = map[op]struct{ action, from, to string }{
	opRequestCheck:   {"request", "required", "requested"},
	opRespondToCheck: {"respond", "requested", "responded"},
	opCompleteCheck:  {"complete", "responded", "completed"},
}

// transition takes the lifecycle's check one step on with the store's queries.
func (d *directDB) transition(ctx context.Context, by *com, o op, l *lifecycle) (total, core time.Duration, err error) {
	t := transitions[o]
	start := time.Now()
	var c checkDoc
	if err := d.wChecks.FindOne(ctx, bson.M{"_id": l.checkID}).Decode(&c); err != nil {
		return 0, 0, err
	}
	if c.Status != t.from {
		return 0, 0, fmt.Errorf("check %s is %s, not %s", c.ID, c.Status, t.from)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	before := c
	c.Status = t.to
	var changes []changeDoc
	switch o {
	case opRequestCheck:
		c.RequestedAt, c.RequestedBy, c.DueDate = &now, by.id, checks.DateOf(now).AddDays(14).String()
		changes = []changeDoc{{"status", before.Status, c.Status}, {"requested_at", "", now.Format(time.RFC3339Nano)}, {"due_date", "", c.DueDate}}
	case opRespondToCheck:
		c.Response = &responseDoc{Outcome: "information_held", Summary: responseSummary, RespondedAt: now,
			RespondedBy: "loadgen-liaison", RespondedByName: "Load Test Liaison"}
		changes = []changeDoc{{"status", before.Status, c.Status}, {"response.outcome", "", c.Response.Outcome},
			{"response.summary", "", fmt.Sprintf("(%d characters)", len(responseSummary))}}
	case opCompleteCheck:
		c.CompletedAt, c.CompletedBy, c.CompletionNote = &now, by.id, completionNote
		changes = []changeDoc{{"status", before.Status, c.Status}, {"completed_at", "", now.Format(time.RFC3339Nano)},
			{"completion_note", "", fmt.Sprintf("(%d characters)", len(completionNote))}}
	}
	// The fields UpdateCheck sets, all of them, as it does.
	set := bson.M{
		"status": c.Status, "agency": c.Agency, "request_by": c.RequestBy, "due_date": c.DueDate,
		"completed_by": c.CompletedBy, "completion_note": c.CompletionNote,
		"not_required_reason": c.NotRequiredReason, "withdrawn_reason": c.WithdrawnReason,
		"superseded_by": c.SupersededBy, "requested_by": c.RequestedBy,
		"crn": c.CRN, "full_name": c.FullName, "date_of_birth": c.DateOfBirth,
		"release_date": c.ReleaseDate, "team": c.Team, "com_id": c.COMID, "updated_at": now,
		"audit_dirty": true,
	}
	if c.RequestedAt != nil {
		set["requested_at"] = c.RequestedAt
	}
	if c.CompletedAt != nil {
		set["completed_at"] = c.CompletedAt
	}
	if c.Response != nil {
		set["response"] = c.Response
	}
	entry := historyDoc{At: now, ActorID: by.id, ActorName: by.name, Role: "com", Action: t.action, From: t.from, To: t.to}
	pending := audit(by, now, "check."+t.action, "check", c.ID, c.ReleaseID, changes)
	update := bson.M{
		"$set":  set,
		"$inc":  bson.M{"version": 1, "audit_seq": 1},
		"$push": bson.M{"history": entry, "audit_pending": bson.M{"$each": bson.A{pending}}},
	}
	var out checkDoc
	err = d.wChecks.FindOneAndUpdate(ctx, bson.M{"_id": c.ID, "version": c.Version}, update,
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, 0, fmt.Errorf("the conditional update of check %s at version %d matched nothing", c.ID, c.Version)
	}
	if err != nil {
		return 0, 0, err
	}
	core = time.Since(start)
	if err := d.flush(ctx, d.wChecks, c.ID); err != nil {
		return 0, 0, err
	}
	if o != opRespondToCheck {
		if err := d.auditReads(ctx, by, []checkDoc{out}); err != nil {
			return 0, 0, err
		}
	}
	l.version = out.Version
	return time.Since(start), core, nil
}

// releaseDocs makes a release and its two checks as the store writes them when the
// service creates a release: each with its pending audit entry, the release marked pending
// its sync.
func releaseDocs(w *worker, policeForce, localAuthority string) (releaseDoc, []checkDoc) {
	team, comID, comName := w.com.team, w.com.id, w.com.name
	in := newRelease(w.rng, policeForce, localAuthority)
	now := time.Now().UTC().Truncate(time.Millisecond)
	id := bson.NewObjectID().Hex()
	audit := func(action, resource, rid string, changes []changeDoc) []auditDoc {
		return []auditDoc{{ID: bson.NewObjectID().Hex(), At: now, ActorID: comID, ActorName: comName, Role: "com",
			Action: action, Resource: resource, ResourceID: rid, ReleaseID: id, Changes: changes}}
	}
	release, _ := checks.ParseDate(in["release_date"])
	requestBy := release.AddDays(-42).String()
	var cs []checkDoc
	var slots []slotDoc
	for _, t := range []struct{ typ, agency string }{{"domestic_abuse", policeForce}, {"child_safeguarding", localAuthority}} {
		cid := bson.NewObjectID().Hex()
		slots = append(slots, slotDoc{CheckID: cid, Type: t.typ, Agency: t.agency})
		cs = append(cs, checkDoc{
			ID: cid, ReleaseID: id, Type: t.typ, Agency: t.agency, Status: "required", RequestBy: requestBy,
			History:      []historyDoc{{At: now, ActorID: comID, ActorName: comName, Role: "com", Action: "create", To: "required"}},
			AuditPending: audit("check.create", "check", cid, []changeDoc{{"status", "", "required"}, {"agency", "", t.agency}, {"request_by", "", requestBy}}),
			AuditSeq:     1, AuditDirty: true, Escalations: map[string]escalationDoc{}, Version: 1, UpdatedAt: now,
			CRN: in["crn"], FullName: in["full_name"], DateOfBirth: in["date_of_birth"], ReleaseDate: in["release_date"],
			Team: team, COMID: comID,
		})
	}
	var changes []changeDoc
	for _, f := range []string{"crn", "noms_number", "full_name", "date_of_birth", "release_date", "prison_code"} {
		changes = append(changes, changeDoc{f, "", in[f]})
	}
	changes = append(changes, changeDoc{"team", "", team}, changeDoc{"com_id", "", comID},
		changeDoc{"police_force", "", policeForce}, changeDoc{"local_authority", "", localAuthority}, changeDoc{"status", "", "active"})
	rel := releaseDoc{
		ID: id, CRN: in["crn"], NOMSNumber: in["noms_number"], FullName: in["full_name"], DateOfBirth: in["date_of_birth"],
		ReleaseDate: in["release_date"], PrisonCode: in["prison_code"], Team: team, COMID: comID,
		PoliceForce: policeForce, LocalAuthority: localAuthority, Status: "active", Slots: slots,
		DedupeKey: in["crn"] + "|" + in["release_date"], SyncPending: true,
		AuditPending: audit("release.create", "release", id, changes), AuditSeq: 1, AuditDirty: true,
		CreatedAt: now, CreatedBy: comID, UpdatedAt: now, Version: 1,
	}
	return rel, cs
}
