package store

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
)

// leaseDoc is a named lease: who holds it and until when.
type leaseDoc struct {
	Name   string    `bson:"_id"`
	Holder string    `bson:"holder"`
	Until  time.Time `bson:"until"`
}

// Lease takes the named lease for holder until until, if it is free at now (never taken,
// ended, or run out) or already holder's, and reports whether it did. It is one conditional
// upsert: of several replicas asking at once, exactly one gets it; the others meet the
// lease's unique id.
func (s *Store) Lease(ctx context.Context, name, holder string, now, until time.Time) (bool, error) {
	leases := s.db.Collection("leases")
	_, err := leases.UpdateOne(ctx,
		bson.M{"_id": name, "$or": bson.A{bson.M{"holder": holder}, bson.M{"until": bson.M{"$lte": now}}}},
		bson.M{"$set": bson.M{"holder": holder, "until": until}}, options.UpdateOne().SetUpsert(true))
	if err == nil {
		return true, nil
	}
	// Someone else holds it: the upsert met the existing lease's id. (FerretDB v1 does not
	// answer that as a duplicate key, so read the lease to tell.)
	var d leaseDoc
	if ferr := dbError(leases.FindOne(ctx, bson.M{"_id": name}).Decode(&d)); ferr == nil {
		return d.Holder == holder, nil
	} else if !errors.Is(ferr, checks.ErrNotFound) {
		return false, ferr
	}
	return false, dbError(err)
}

// EndLease gives up the named lease if holder holds it.
func (s *Store) EndLease(ctx context.Context, name, holder string) error {
	_, err := s.db.Collection("leases").UpdateOne(ctx, bson.M{"_id": name, "holder": holder},
		bson.M{"$set": bson.M{"until": time.Time{}}})
	return dbError(err)
}
