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

	"github.com/probation/safeguarding/internal/embedded"
)

// directDB is the service's database reached through the driver alone: the baseline each
// operation of the service is compared with.
//
// Reads go to the service's own checks collection, and read the very checks the service's
// reads do. Writes go to two scratch collections beside it, copies of the service's releases
// and checks made at the start (and dropped at the end), with documents of the same shape as
// the service's, so the service's data is not touched.
type directDB struct {
	client   *mongo.Client
	server   *embedded.Server // nil on MongoDB
	checks   *mongo.Collection
	releases *mongo.Collection // scratch
	scratch  *mongo.Collection // scratch checks
	team     string
	describe string
}

const (
	scratchReleases = "loadgen_releases"
	scratchChecks   = "loadgen_checks"
)

// openDirect connects to the service's database: through the socket of the embedded
// database that the running service started in the data directory, or to --mongodb-uri.
// The client is set up as the service sets up its own.
func openDirect(ctx context.Context, o settings, team string) (*directDB, error) {
	d := &directDB{team: team}
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
		d.server, uri = srv, srv.URI
		d.describe = fmt.Sprintf("embedded database in %s, joined through its socket (one connection, as the service has)", srv.Dir)
	} else {
		d.describe = "MongoDB at " + redact(uri)
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
	d.checks, d.releases, d.scratch = db.Collection("checks"), db.Collection(scratchReleases), db.Collection(scratchChecks)
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

// dropScratch drops the collections the direct writes go to.
func (d *directDB) dropScratch(ctx context.Context) error {
	for _, c := range []*mongo.Collection{d.releases, d.scratch} {
		if err := c.Drop(ctx); err != nil {
			return fmt.Errorf("drop %s: %w", c.Name(), err)
		}
	}
	return nil
}

// prepareScratch makes the scratch collections copies of the service's releases and
// checks, with the same indexes. On the embedded database a conditional update scans its
// whole collection, so the direct writes must find as many documents as the service's do;
// both then grow at the same rate (each side creates as many releases).
func (d *directDB) prepareScratch(ctx context.Context) (int, error) {
	if err := d.dropScratch(ctx); err != nil {
		return 0, err
	}
	db := d.checks.Database()
	copied := 0
	for _, pair := range []struct{ from, to *mongo.Collection }{
		{db.Collection("releases"), d.releases},
		{d.checks, d.scratch},
	} {
		if err := copyIndexes(ctx, pair.from, pair.to); err != nil {
			return copied, err
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

// directOp does what the service's store does for one operation, with the driver alone,
// and returns how long the database calls took:
//   - get check: FindOne by _id on checks (the service also reads the token and the user);
//   - list checks: the COM's list query on checks ({team: {$in: [team]}}, sorted by
//     release_date and _id, 51 documents);
//   - create release: insert a release, then its two checks;
//   - request, respond, complete: read the check by _id, then one conditional update
//     ({_id, version}: $set, $inc version, $push history) returning the new document.
func (g *generator) directOp(ctx context.Context, w *worker, o op, l *lifecycle) (time.Duration, error) {
	d := g.db
	switch o {
	case opGetCheck:
		var doc bson.M
		start := time.Now()
		err := d.checks.FindOne(ctx, bson.M{"_id": g.pool.pick(w.rng)}).Decode(&doc)
		return time.Since(start), err
	case opListChecks:
		var docs []bson.M
		start := time.Now()
		cur, err := d.checks.Find(ctx, bson.M{"team": bson.M{"$in": bson.A{d.team}}},
			options.Find().SetSort(bson.D{{Key: "release_date", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(51))
		if err == nil {
			err = cur.All(ctx, &docs)
		}
		return time.Since(start), err
	case opCreateRelease:
		rel, cs := scratchDocs(w, g.users.policeForce, g.o.localAuth, d.team)
		start := time.Now()
		if _, err := d.releases.InsertOne(ctx, rel); err != nil {
			return 0, err
		}
		if _, err := d.scratch.InsertMany(ctx, cs); err != nil {
			return 0, err
		}
		took := time.Since(start)
		l.releaseID, l.checkID, l.version = rel["_id"].(string), cs[0].(bson.M)["_id"].(string), 1
		return took, nil
	case opRequestCheck, opRespondToCheck, opCompleteCheck:
		now := time.Now().UTC().Truncate(time.Millisecond)
		t := transitions[o]
		set := bson.M{"status": t.to, "updated_at": now}
		switch o {
		case opRequestCheck:
			set["requested_at"], set["requested_by"], set["due_date"] = now, "loadgen-com", now.AddDate(0, 0, 14).Format(time.DateOnly)
		case opRespondToCheck:
			set["response"] = bson.M{"outcome": "information_held", "summary": responseSummary,
				"responded_at": now, "responded_by": "loadgen-liaison", "responded_by_name": "Load Test Liaison"}
		case opCompleteCheck:
			set["completed_at"], set["completed_by"], set["completion_note"] = now, "loadgen-com", completionNote
		}
		entry := bson.M{"at": now, "actor_id": "loadgen", "actor_name": "Load Test", "role": "com", "action": t.action, "from": t.from, "to": t.to}
		start := time.Now()
		var cur struct {
			Version int64 `bson:"version"`
		}
		if err := d.scratch.FindOne(ctx, bson.M{"_id": l.checkID}).Decode(&cur); err != nil {
			return 0, err
		}
		var out bson.M
		err := d.scratch.FindOneAndUpdate(ctx, bson.M{"_id": l.checkID, "version": cur.Version},
			bson.M{"$set": set, "$inc": bson.M{"version": 1}, "$push": bson.M{"history": entry}},
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
		took := time.Since(start)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return 0, fmt.Errorf("the conditional update of check %s at version %d matched nothing", l.checkID, cur.Version)
		}
		return took, err
	}
	return 0, fmt.Errorf("unknown operation %v", o)
}

// transitions are the status changes of the three lifecycle writes.
var transitions = map[op]struct{ action, from, to string }{
	opRequestCheck:   {"request", "required", "requested"},
	opRespondToCheck: {"respond", "requested", "responded"},
	opCompleteCheck:  {"complete", "responded", "completed"},
}

// scratchDocs makes a release and its two checks as the service stores them (the same
// fields, of about the same sizes).
func scratchDocs(w *worker, policeForce, localAuthority, team string) (bson.M, []any) {
	in := newRelease(w.rng, policeForce, localAuthority)
	now := time.Now().UTC().Truncate(time.Millisecond)
	id := bson.NewObjectID().Hex()
	created := bson.M{"at": now, "actor_id": "loadgen", "actor_name": "Load Test", "role": "com", "action": "create", "to": "required"}
	var checks []any
	var slots bson.A
	for _, t := range []struct{ typ, agency string }{{"domestic_abuse", policeForce}, {"child_safeguarding", localAuthority}} {
		cid := bson.NewObjectID().Hex()
		slots = append(slots, bson.M{"check_id": cid, "type": t.typ, "agency": t.agency, "superseded": false})
		checks = append(checks, bson.M{
			"_id": cid, "release_id": id, "type": t.typ, "agency": t.agency, "status": "required",
			"request_by": now.AddDate(0, 0, 30).Format(time.DateOnly), "history": bson.A{created},
			"audit_seq": int64(0), "escalations": bson.M{}, "version": int64(1), "updated_at": now,
			"crn": in["crn"], "full_name": in["full_name"], "date_of_birth": in["date_of_birth"],
			"release_date": in["release_date"], "team": team, "com_id": "loadgen-com",
		})
	}
	rel := bson.M{
		"_id": id, "crn": in["crn"], "noms_number": in["noms_number"], "full_name": in["full_name"],
		"date_of_birth": in["date_of_birth"], "release_date": in["release_date"], "prison_code": in["prison_code"],
		"team": team, "com_id": "loadgen-com", "police_force": policeForce, "local_authority": localAuthority,
		"status": "active", "slots": slots, "dedupe_key": in["crn"] + "|" + in["release_date"], "sync_pending": false,
		"audit_seq": int64(0), "created_at": now, "created_by": "loadgen-com", "updated_at": now, "version": int64(1),
	}
	return rel, checks
}
