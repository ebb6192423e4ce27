// Package store keeps the service's data in MongoDB, or in a server that speaks its protocol
// (the embedded FerretDB v1, FerretDB v2 with DocumentDB). It implements the interfaces that
// package checks declares (checks.Store) and that package notify declares (its outbox).
//
// Its documents are bson structs of its own, converted to and from the domain types here, and
// driver errors become the domain's errors here, in one function (dbError). What the embedded
// server supports decides what the store may use: no transactions, no $lookup, no positional
// updates. So every change is one document, and the fields a query needs are copied onto the
// document it reads.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/probation/safeguarding/checks"
)

// Store keeps releases, checks, agencies, users, tokens, sessions and the audit trail.
type Store struct {
	db       *mongo.Database
	releases *mongo.Collection
	checks   *mongo.Collection
	agencies *mongo.Collection
	users    *mongo.Collection
	tokens   *mongo.Collection
	sessions *mongo.Collection
	audit    *mongo.Collection
	// signInLinks are the emailed sign-in links waiting to be used.
	signInLinks *mongo.Collection
	log         *slog.Logger

	// server is what the store learnt of its server's filters, and locks the documents a
	// conditional write holds where it must test the condition itself (see conditional.go).
	server serverKind
	locks  docLocks
}

// New returns a store on db. Call EnsureIndexes once at start-up. Audit entries that could
// not be copied to the audit collection right after their write are logged on log (they stay
// on their document and a later flush copies them).
func New(db *mongo.Database, log *slog.Logger) *Store {
	return &Store{
		db:       db,
		releases: db.Collection("releases"),
		checks:   db.Collection("checks"),
		agencies: db.Collection("agencies"),
		users:    db.Collection("users"),
		tokens:   db.Collection("tokens"),
		sessions: db.Collection("sessions"),
		audit:    db.Collection("audit"),
		log:      log,

		signInLinks: db.Collection("sign_in_links"),
	}
}

// Database returns the database the store works in.
func (s *Store) Database() *mongo.Database { return s.db }

// indexes are the indexes the store's queries and uniqueness rules need. Every query of a hot
// path is served by one of them (store/explain_test.go proves it on a real engine).
func (s *Store) indexes() map[*mongo.Collection][]mongo.IndexModel {
	// A new options value for each index: the driver writes the generated name into the
	// value it is given, so a shared one would name a second index after the first.
	unique := func() *options.IndexOptionsBuilder { return options.Index().SetUnique(true) }
	return map[*mongo.Collection][]mongo.IndexModel{
		s.releases: {
			// One active release per person and date: a double submit cannot create two.
			{Keys: keys("dedupe_key"), Options: unique()},
			{Keys: keys("release_date", "_id")},
			{Keys: keys("team", "release_date", "_id")},
			// The import matches rows to releases by CRN.
			{Keys: keys("crn", "release_date")},
			{Keys: keys("sync_pending")},
			{Keys: keys("audit_dirty")},
		},
		s.checks: {
			{Keys: keys("release_date", "_id")},
			{Keys: keys("team", "release_date", "_id")},
			{Keys: keys("agency", "release_date", "_id")},
			{Keys: keys("status", "release_date")},
			{Keys: keys("requested_at")},
			{Keys: keys("updated_at")},
			{Keys: keys("audit_dirty")},
		},
		s.users: {
			{Keys: keys("email"), Options: unique()},
			{Keys: keys("audit_dirty")},
		},
		s.tokens: {
			{Keys: keys("user_id")},
			{Keys: keys("audit_dirty")},
		},
		s.sessions: {
			{Keys: keys("expires_at")},
			{Keys: keys("audit_dirty")},
			{Keys: keys("user_id")},
			{Keys: keys("token_id")},
		},
		s.signInLinks: {
			{Keys: keys("expires_at")},
		},
		s.agencies: {
			{Keys: keys("kind", "_id")},
			{Keys: keys("audit_dirty")},
		},
		s.audit: {
			{Keys: keys("at", "_id")},
			{Keys: keys("actor_id", "at")},
			{Keys: keys("resource_id", "at")},
			{Keys: keys("release_id", "at")},
		},
	}
}

// EnsureIndexes creates the indexes the store's queries and uniqueness rules need. It is
// idempotent.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	for coll, models := range s.indexes() {
		// One at a time: FerretDB v1 drops the connection when createIndexes names several
		// indexes that already exist.
		for _, m := range models {
			if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("create indexes on %s: %w", coll.Name(), dbError(err))
			}
		}
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return dbError(s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err())
}

// keys returns an ascending index or sort specification on the fields, in order.
func keys(fields ...string) bson.D {
	d := make(bson.D, 0, len(fields))
	for _, f := range fields {
		d = append(d, bson.E{Key: f, Value: 1})
	}
	return d
}

// dbError maps a driver error to a domain error: the one place where that is done, for every
// collection of the store. The driver's text stays in Err, for logs, and never reaches a user.
func dbError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return checks.ErrNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case mongo.IsDuplicateKeyError(err), uniqueRefused(err):
		return &checks.Error{Code: checks.ECONFLICT, Message: "already exists", Err: err}
	case mongo.IsNetworkError(err), mongo.IsTimeout(err), isServerSelection(err), errors.Is(err, mongo.ErrClientDisconnected):
		return &checks.Error{Code: checks.EUNAVAILABLE, Message: "the database is unavailable; try again shortly", Err: err}
	}
	var e *checks.Error
	if errors.As(err, &e) {
		return err
	}
	return &checks.Error{Code: checks.EINTERNAL, Message: "internal error", Err: err}
}

// uniqueRefused reports a unique index refusing an update where the server does not say
// so with the duplicate key error (11000): FerretDB v1 on SQLite answers a findAndModify with
// an InternalError carrying SQLite's message, and FerretDB v2 on DocumentDB with one carrying
// PostgreSQL's (DocumentDB keeps a unique index as an exclusion constraint). The update is
// not applied.
func uniqueRefused(err error) bool {
	var se mongo.ServerError
	return errors.As(err, &se) &&
		(se.HasErrorMessage("UNIQUE constraint failed") || se.HasErrorMessage("violates exclusion constraint"))
}

// isServerSelection reports that the driver found no server to talk to: the database is down
// or unreachable. The driver reports it with a type from its x/ packages.
func isServerSelection(err error) bool {
	var sse topology.ServerSelectionError
	return errors.As(err, &sse)
}

// stale maps a conditional update that matched nothing to ErrStale: the document changed
// (or went) since it was read.
func stale(err error) error {
	err = dbError(err)
	if errors.Is(err, checks.ErrNotFound) {
		return checks.ErrStale
	}
	return err
}

// insertMany writes documents unordered, leaving those already there (same _id) as they are:
// for seeding and for copies that may be made twice.
func insertMany[D any](ctx context.Context, coll *mongo.Collection, docs []D) error {
	if len(docs) == 0 {
		return nil
	}
	many := make([]any, len(docs))
	for i := range docs {
		many[i] = docs[i]
	}
	_, err := coll.InsertMany(ctx, many, options.InsertMany().SetOrdered(false))
	if err = dbError(err); err != nil && checks.ErrorCode(err) != checks.ECONFLICT {
		return err
	}
	return nil
}

// findAll runs a find and converts every document it returns with conv.
func findAll[D any, T any](ctx context.Context, coll *mongo.Collection, filter any, opts *options.FindOptionsBuilder, conv func(D) T) ([]T, error) {
	if opts == nil {
		opts = options.Find()
	}
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, dbError(err)
	}
	var docs []D
	if err := cur.All(ctx, &docs); err != nil {
		return nil, dbError(err)
	}
	out := make([]T, 0, len(docs))
	for _, d := range docs {
		out = append(out, conv(d))
	}
	return out, nil
}

// findOne reads the one document of filter and converts it.
func findOne[D any, T any](ctx context.Context, coll *mongo.Collection, filter any, conv func(D) T) (T, error) {
	var d D
	if err := coll.FindOne(ctx, filter).Decode(&d); err != nil {
		var zero T
		return zero, dbError(err)
	}
	return conv(d), nil
}
