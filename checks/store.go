package checks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// Store keeps releases, checks, agencies, users and tokens in MongoDB (or the embedded
// FerretDB). Its documents are bson structs of its own, converted to domain types here, and
// driver errors become *Error here.
//
// What the embedded server supports decides what the store may use: no transactions, no
// $lookup, no positional updates. So every change is one document, and the fields a query
// needs are copied onto the document it reads.
type Store struct {
	db       *mongo.Database
	releases *mongo.Collection
	checks   *mongo.Collection
	agencies *mongo.Collection
	users    *mongo.Collection
	tokens   *mongo.Collection
	sessions *mongo.Collection
}

// NewStore returns a store on db. Call EnsureIndexes once at start-up.
func NewStore(db *mongo.Database) *Store {
	return &Store{
		db:       db,
		releases: db.Collection("releases"),
		checks:   db.Collection("checks"),
		agencies: db.Collection("agencies"),
		users:    db.Collection("users"),
		tokens:   db.Collection("tokens"),
		sessions: db.Collection("sessions"),
	}
}

// Database returns the database the store works in.
func (s *Store) Database() *mongo.Database { return s.db }

// EnsureIndexes creates the indexes the store's queries and uniqueness rules need. It is
// idempotent.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	// A new options value for each index: the driver writes the generated name into the
	// value it is given, so a shared one would name a second index after the first.
	unique := func() *options.IndexOptionsBuilder { return options.Index().SetUnique(true) }
	indexes := map[*mongo.Collection][]mongo.IndexModel{
		s.releases: {
			// One active release per person and date: a double submit cannot create two.
			{Keys: keys("dedupe_key"), Options: unique()},
			{Keys: keys("release_date", "_id")},
			{Keys: keys("team", "release_date", "_id")},
			{Keys: keys("sync_pending")},
		},
		s.checks: {
			{Keys: keys("release_date", "_id")},
			{Keys: keys("team", "release_date", "_id")},
			{Keys: keys("agency", "release_date", "_id")},
			{Keys: keys("status", "release_date")},
		},
		s.users: {
			{Keys: keys("email"), Options: unique()},
		},
		s.tokens: {
			{Keys: keys("user_id")},
		},
		s.sessions: {
			{Keys: keys("expires_at")},
		},
		s.agencies: {
			{Keys: keys("kind", "_id")},
		},
		s.db.Collection("audit"): {
			{Keys: keys("at", "_id")},
			{Keys: keys("actor_id", "at")},
			{Keys: keys("resource_id", "at")},
			{Keys: keys("release_id", "at")},
		},
	}
	for coll, models := range indexes {
		// One at a time: FerretDB v1 drops the connection when createIndexes names several
		// indexes that already exist.
		for _, m := range models {
			if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
				return fmt.Errorf("create indexes on %s: %w", coll.Name(), storeError(err))
			}
		}
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return storeError(s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err())
}

// keys returns an ascending index or sort specification on the fields, in order.
func keys(fields ...string) bson.D {
	d := make(bson.D, 0, len(fields))
	for _, f := range fields {
		d = append(d, bson.E{Key: f, Value: 1})
	}
	return d
}

// storeError maps a driver error to a domain error. The driver's text stays in Err, for
// logs, and never reaches a user.
func storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return ErrNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case mongo.IsDuplicateKeyError(err):
		return &Error{Code: ECONFLICT, Message: "already exists", Err: err}
	case mongo.IsNetworkError(err), mongo.IsTimeout(err), isServerSelection(err), errors.Is(err, mongo.ErrClientDisconnected):
		return &Error{Code: EUNAVAILABLE, Message: "the database is unavailable; try again shortly", Err: err}
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: EINTERNAL, Message: "internal error", Err: err}
}

// isServerSelection reports that the driver found no server to talk to: the database is down
// or unreachable. The driver reports it with a type from its x/ packages.
func isServerSelection(err error) bool {
	var sse topology.ServerSelectionError
	return errors.As(err, &sse)
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T
	// NextCursor fetches the next page; empty on the last page.
	NextCursor string
}

// cursor is the position after the last item of a page: lists are sorted by one field and
// then by _id, and the next page starts strictly after this pair.
type cursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

func encodeCursor(key, id string) string {
	b, _ := json.Marshal(cursor{key, id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return c, malformed("cursor", "is not a cursor this service returned")
	}
	return c, nil
}

// afterCursor returns the filter for items after cursor s, sorted by field then _id.
func afterCursor(field, s string) (bson.M, error) {
	c, err := decodeCursor(s)
	if err != nil {
		return nil, err
	}
	return bson.M{"$or": bson.A{
		bson.M{field: bson.M{"$gt": c.Key}},
		bson.M{field: c.Key, "_id": bson.M{"$gt": c.ID}},
	}}, nil
}

// and combines filters; the embedded server accepts $and of any filters.
func and(filters ...bson.M) bson.M {
	var parts bson.A
	for _, f := range filters {
		if len(f) > 0 {
			parts = append(parts, f)
		}
	}
	switch len(parts) {
	case 0:
		return bson.M{}
	case 1:
		return parts[0].(bson.M)
	}
	return bson.M{"$and": parts}
}

// findPage runs a sorted, keyset-paged find and decodes the documents with conv.
func findPage[D any, T any](ctx context.Context, coll *mongo.Collection, filter bson.M, sortField string, limit int, key func(D) (string, string), conv func(D) T) (Page[T], error) {
	opts := options.Find().SetSort(keys(sortField, "_id")).SetLimit(int64(limit) + 1)
	cur, err := coll.Find(ctx, filter, opts)
	if err != nil {
		return Page[T]{}, storeError(err)
	}
	var docs []D
	if err := cur.All(ctx, &docs); err != nil {
		return Page[T]{}, storeError(err)
	}
	page := Page[T]{Items: make([]T, 0, min(len(docs), limit))}
	for i, d := range docs {
		if i == limit {
			k, id := key(docs[i-1])
			page.NextCursor = encodeCursor(k, id)
			break
		}
		page.Items = append(page.Items, conv(d))
	}
	return page, nil
}
