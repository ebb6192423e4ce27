package store

import (
	"context"

	"github.com/probation/safeguarding/notify"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// About returns the emails, waiting, sent or failed, that carry any of the items, without
// their bodies: what a release page shows of the emails about its checks. It is one query
// per collection on the items index.
func (o *Outbox) About(ctx context.Context, items []string) ([]notify.Email, error) {
	if len(items) == 0 {
		return nil, nil
	}
	var out []notify.Email
	for _, coll := range []*mongo.Collection{o.waiting, o.sent} {
		part, err := findAll(ctx, coll, bson.M{"items": bson.M{"$in": items}},
			options.Find().SetProjection(bson.M{"text": 0, "html": 0}), emailDoc.toEmail)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}
