package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Conditional writes.
//
// Every change is made to one document, and only if that document is still as it was read: its
// version, its audit sequence, an escalation record present or absent. On MongoDB and FerretDB
// v2 the condition goes into the write's filter, and the server applies it atomically, whatever
// the number of connections or replicas.
//
// FerretDB v1 (the embedded server) hands a filter to SQLite only when it is exactly {_id}: any
// other filter, {_id, version} included, reads and decodes the whole collection, so every write
// cost more as the data grew (4.8–8.3 s a transition at 10,000 checks, past the service's
// database timeout). There the store holds a lock on the document in this process, reads it by
// id, tests the condition itself and writes by id: two indexed operations instead of a scan.
// Every write of the store to a document that carries a condition or pending audit entries
// goes through here, so none can come between the read and the write. The embedded server is
// served by one process (package embedded), which is what makes an in-process lock enough.

// presence is a condition that a field is present or absent, in place of a value.
type presence bool

const (
	present presence = true
	absent  presence = false
)

// errUnmet reports that the document exists but does not meet the condition.
var errUnmet = errors.New("the document does not meet the write's condition")

// updateByID applies update to the document id of coll if the document meets cond (each field,
// a path dotted into embedded documents, equal to its value, or present or absent), and
// reports whether it did.
func (s *Store) updateByID(ctx context.Context, coll *mongo.Collection, id string, cond bson.D, update any) (bool, error) {
	matched := false
	err := s.writeByID(ctx, coll, id, cond, func(filter bson.M) error {
		res, err := coll.UpdateOne(ctx, filter, update)
		if err == nil {
			matched = res.MatchedCount == 1
		}
		return err
	})
	if errors.Is(err, errUnmet) || errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return matched, dbError(err)
}

// findAndUpdateByID is updateByID that decodes the document as the update left it into out.
// When the document is missing or does not meet cond it returns checks.ErrNotFound (which
// stale turns into checks.ErrStale).
func (s *Store) findAndUpdateByID(ctx context.Context, coll *mongo.Collection, id string, cond bson.D, update any, out any) error {
	err := s.writeByID(ctx, coll, id, cond, func(filter bson.M) error {
		return coll.FindOneAndUpdate(ctx, filter, update, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(out)
	})
	if errors.Is(err, errUnmet) {
		err = mongo.ErrNoDocuments
	}
	return dbError(err)
}

// deleteByID removes the document id of coll if it meets cond, and reports whether it did.
func (s *Store) deleteByID(ctx context.Context, coll *mongo.Collection, id string, cond bson.D) (bool, error) {
	deleted := false
	err := s.writeByID(ctx, coll, id, cond, func(filter bson.M) error {
		res, err := coll.DeleteOne(ctx, filter)
		if err == nil {
			deleted = res.DeletedCount == 1
		}
		return err
	})
	if errors.Is(err, errUnmet) || errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	return deleted, dbError(err)
}

// writeByID runs write with the filter that selects the document id only if it meets cond:
// the whole condition on a server that applies it atomically, or, on one that would scan for
// it, the id alone after the condition was tested under the document's lock.
func (s *Store) writeByID(ctx context.Context, coll *mongo.Collection, id string, cond bson.D, write func(filter bson.M) error) error {
	byID, err := s.scansConditions(ctx)
	if err != nil {
		return err
	}
	if !byID {
		filter := bson.M{"_id": id}
		for _, c := range cond {
			if p, ok := c.Value.(presence); ok {
				filter[c.Key] = bson.M{"$exists": bool(p)}
				continue
			}
			filter[c.Key] = c.Value
		}
		return write(filter)
	}
	unlock, err := s.locks.lock(ctx, coll.Name()+"\x00"+id)
	if err != nil {
		return err
	}
	defer unlock()
	if len(cond) > 0 {
		doc, err := coll.FindOne(ctx, bson.M{"_id": id}).Raw()
		if err != nil {
			return err
		}
		if !meets(doc, cond) {
			return errUnmet
		}
	}
	return write(bson.M{"_id": id})
}

// meets reports whether doc meets every part of cond. Numbers are compared by value, as the
// server compares them; anything else by its BSON type and bytes, which is equality for the
// strings, dates and numbers the store's conditions name.
func meets(doc bson.Raw, cond bson.D) bool {
	for _, c := range cond {
		v, err := doc.LookupErr(strings.Split(c.Key, ".")...)
		found := err == nil
		if p, ok := c.Value.(presence); ok {
			if found != bool(p) {
				return false
			}
			continue
		}
		if !found {
			return false
		}
		t, data, err := bson.MarshalValue(c.Value)
		if err != nil {
			return false
		}
		want := bson.RawValue{Type: t, Value: data}
		if a, ok := v.AsInt64OK(); ok {
			if b, ok := want.AsInt64OK(); ok {
				if a != b {
					return false
				}
				continue
			}
		}
		if v.Type != want.Type || !bytes.Equal(v.Value, want.Value) {
			return false
		}
	}
	return true
}

// scansConditions reports whether the server would scan its collection for a filter of an id
// and a version, asking it once. FerretDB v1 says so in its explain output (filterPushdown);
// MongoDB and FerretDB v2 have no such field and use their indexes. An error is returned, not
// guessed past: taking the lock on some writes and not on others would let one come between
// another's read and write.
func (s *Store) scansConditions(ctx context.Context) (bool, error) {
	s.server.mu.Lock()
	defer s.server.mu.Unlock()
	if s.server.known {
		return s.server.scans, nil
	}
	var plan struct {
		FilterPushdown *bool `bson:"filterPushdown"`
	}
	explain := bson.D{{Key: "explain", Value: bson.D{
		{Key: "find", Value: s.checks.Name()},
		{Key: "filter", Value: bson.D{{Key: "_id", Value: ""}, {Key: "version", Value: int64(0)}}},
	}}}
	if err := s.db.RunCommand(ctx, explain).Decode(&plan); err != nil {
		return false, err
	}
	s.server.scans = plan.FilterPushdown != nil && !*plan.FilterPushdown
	s.server.known = true
	return s.server.scans, nil
}

// serverKind is what the store learnt of its server.
type serverKind struct {
	mu    sync.Mutex
	known bool
	scans bool
}

// docLocks are locks on documents by key, each waited for with a context.
type docLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

// lock takes the lock of key, waiting until it is free or ctx ends, and returns its release.
func (l *docLocks) lock(ctx context.Context, key string) (func(), error) {
	for {
		l.mu.Lock()
		if l.held == nil {
			l.held = map[string]chan struct{}{}
		}
		busy, taken := l.held[key]
		if !taken {
			freed := make(chan struct{})
			l.held[key] = freed
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				delete(l.held, key)
				l.mu.Unlock()
				close(freed)
			}, nil
		}
		l.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
