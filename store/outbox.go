package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

type emailDoc struct {
	Key           string     `bson:"_id"`
	To            string     `bson:"to"`
	Missing       string     `bson:"missing,omitempty"`
	Subject       string     `bson:"subject"`
	Text          string     `bson:"text"`
	HTML          string     `bson:"html"`
	Items         []string   `bson:"items"`
	Recipient     string     `bson:"recipient"`
	Status        string     `bson:"status"`
	Attempts      int        `bson:"attempts"`
	NextAttemptAt time.Time  `bson:"next_attempt_at"`
	LeaseUntil    *time.Time `bson:"lease_until,omitempty"`
	LastError     string     `bson:"last_error,omitempty"`
	AsOf          time.Time  `bson:"as_of"`
	CreatedAt     time.Time  `bson:"created_at"`
	SentAt        *time.Time `bson:"sent_at,omitempty"`
}

func toDoc(e notify.Email) emailDoc {
	d := emailDoc{
		Key: e.Key, To: e.To, Missing: e.Missing, Subject: e.Subject, Text: e.Text, HTML: e.HTML,
		Items: e.Items, Recipient: e.Recipient, Status: string(e.Status), Attempts: e.Attempts,
		NextAttemptAt: e.NextAttemptAt, LastError: e.LastError, AsOf: e.AsOf, CreatedAt: e.CreatedAt,
	}
	if !e.LeaseUntil.IsZero() {
		d.LeaseUntil = &e.LeaseUntil
	}
	if !e.SentAt.IsZero() {
		d.SentAt = &e.SentAt
	}
	return d
}

func (d emailDoc) toEmail() notify.Email {
	e := notify.Email{
		Key: d.Key, To: d.To, Missing: d.Missing, Subject: d.Subject, Text: d.Text, HTML: d.HTML,
		Items: d.Items, Recipient: d.Recipient, Status: notify.Status(d.Status), Attempts: d.Attempts,
		NextAttemptAt: d.NextAttemptAt.UTC(), LastError: d.LastError, AsOf: d.AsOf.UTC(), CreatedAt: d.CreatedAt.UTC(),
	}
	if d.LeaseUntil != nil {
		e.LeaseUntil = d.LeaseUntil.UTC()
	}
	if d.SentAt != nil {
		e.SentAt = d.SentAt.UTC()
	}
	return e
}

// Outbox is where every email is written before it is sent. Emails waiting (pending, being
// sent, dead, undeliverable) live in one collection and sent ones, without their bodies, in
// another: every claim scans the waiting ones, and on the embedded server a scan reads every
// document, so the waiting set is kept to what is waiting.
type Outbox struct {
	waiting *mongo.Collection
	sent    *mongo.Collection
}

// NewOutbox returns the outbox in db. Call EnsureIndexes once at start-up.
func NewOutbox(db *mongo.Database) *Outbox {
	return &Outbox{waiting: db.Collection("outbox"), sent: db.Collection("outbox_sent")}
}

// EnsureIndexes creates the indexes the sender, the runs and the admin list use.
func (o *Outbox) EnsureIndexes(ctx context.Context) error {
	for coll, models := range map[*mongo.Collection][]mongo.IndexModel{
		o.waiting: {
			{Keys: bson.D{{Key: "status", Value: 1}, {Key: "next_attempt_at", Value: 1}}},
			{Keys: bson.D{{Key: "claim", Value: 1}}},
			{Keys: bson.D{{Key: "items", Value: 1}}},
			{Keys: bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}},
		},
		o.sent: {
			{Keys: bson.D{{Key: "items", Value: 1}}},
			{Keys: bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}},
		},
	} {
		for _, m := range models {
			if _, err := coll.Indexes().CreateOne(ctx, m); err != nil {
				return dbError(err)
			}
		}
	}
	return nil
}

// Insert queues an email. It reports false when an email with the same key is already in
// the outbox, waiting or sent: the same digest was queued by an earlier run or by another
// replica.
//
// The look at the sent ones and the insert are two commands, and MarkSent may move the same
// key from waiting to sent between them; then a second copy is queued. Claim drops such a
// copy before it is sent, so a key is delivered once.
func (o *Outbox) Insert(ctx context.Context, e notify.Email) (bool, error) {
	// Sent first: MarkSent copies an email there before it removes it from the waiting
	// ones, so a key is always in one of the two.
	err := dbError(o.sent.FindOne(ctx, bson.M{"_id": e.Key}).Err())
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, checks.ErrNotFound) {
		return false, err
	}
	_, err = o.waiting.InsertOne(ctx, toDoc(e))
	if err = dbError(err); checks.ErrorCode(err) == checks.ECONFLICT {
		return false, nil // the same key, queued meanwhile
	}
	return err == nil, err
}

// Carrying returns the emails, waiting or sent, that carry any of the items, with only
// their recipient and items.
func (o *Outbox) Carrying(ctx context.Context, items []string) ([]notify.Email, error) {
	if len(items) == 0 {
		return nil, nil
	}
	var out []notify.Email
	for _, coll := range []*mongo.Collection{o.waiting, o.sent} {
		part, err := findAll(ctx, coll, bson.M{"items": bson.M{"$in": items}},
			options.Find().SetProjection(bson.M{"to": 1, "missing": 1, "items": 1}), emailDoc.toEmail)
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}

// Claim takes up to n emails due at now for sending, each with a lease: an email whose
// sender dies is claimed again once its lease ends, so nothing claimed is lost (it may be
// sent twice: delivery is at least once). The batch is claimed in three queries whatever
// its size: find the candidates, mark those still due with a token of this claim (one
// conditional update each, in one command), and read back what carries the token. Two
// senders never hold the same email.
func (o *Outbox) Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]notify.Email, error) {
	due := bson.M{"$or": bson.A{
		bson.M{"status": string(notify.StatusPending), "next_attempt_at": bson.M{"$lte": now}},
		bson.M{"status": string(notify.StatusSending), "lease_until": bson.M{"$lt": now}},
	}}
	cur, err := o.waiting.Find(ctx, due, options.Find().SetProjection(bson.M{"_id": 1}).
		SetSort(bson.D{{Key: "next_attempt_at", Value: 1}}).SetLimit(int64(n)))
	if err != nil {
		return nil, dbError(err)
	}
	var candidates []struct {
		Key string `bson:"_id"`
	}
	if err := cur.All(ctx, &candidates); err != nil {
		return nil, dbError(err)
	}
	if len(candidates) == 0 {
		return nil, nil
	}
	ids := make(bson.A, len(candidates))
	for i, c := range candidates {
		ids[i] = c.Key
	}
	token := bson.NewObjectID().Hex()
	_, err = o.waiting.UpdateMany(ctx, bson.M{"_id": bson.M{"$in": ids}, "$or": due["$or"]},
		bson.M{"$set": bson.M{"status": string(notify.StatusSending), "lease_until": now.Add(lease), "claim": token}, "$inc": bson.M{"attempts": 1}})
	if err != nil {
		return nil, dbError(err)
	}
	cur, err = o.waiting.Find(ctx, bson.M{"claim": token}, options.Find().SetSort(bson.D{{Key: "next_attempt_at", Value: 1}}))
	if err != nil {
		return nil, dbError(err)
	}
	var docs []emailDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, dbError(err)
	}
	// A claimed email whose key is already sent is a second copy that Insert queued while
	// the first was being marked sent: drop it rather than send it again. Nobody else holds
	// it, since this claim does.
	keys := make(bson.A, len(docs))
	for i, d := range docs {
		keys[i] = d.Key
	}
	sent, err := findAll(ctx, o.sent, bson.M{"_id": bson.M{"$in": keys}}, options.Find().SetProjection(bson.M{"_id": 1}),
		func(d emailDoc) string { return d.Key })
	if err != nil {
		return nil, err
	}
	out := make([]notify.Email, 0, len(docs))
	for _, d := range docs {
		if slices.Contains(sent, d.Key) {
			if _, err := o.waiting.DeleteOne(ctx, bson.M{"_id": d.Key, "claim": token}); err != nil {
				return nil, dbError(err)
			}
			continue
		}
		out = append(out, d.toEmail())
	}
	return out, nil
}

// MarkSent records that the email was accepted for delivery: it moves to the sent ones,
// without its bodies (once sent, the outbox keeps who got what about which checks, not a
// copy of the email). It is copied before it is removed, so a crash in between leaves it
// in both, and the next MarkSent or Insert sees it as sent.
func (o *Outbox) MarkSent(ctx context.Context, key string, at time.Time) error {
	var d emailDoc
	err := dbError(o.waiting.FindOne(ctx, bson.M{"_id": key}).Decode(&d))
	if errors.Is(err, checks.ErrNotFound) {
		return nil // another sender, whose lease had run out, got there first
	}
	if err != nil {
		return err
	}
	d.Status, d.SentAt, d.LeaseUntil, d.LastError, d.Text, d.HTML = string(notify.StatusSent), &at, nil, "", "", ""
	// A copy already there (a conflict) is this email, from a MarkSent cut short.
	_, err = o.sent.InsertOne(ctx, d)
	if err = dbError(err); err != nil && checks.ErrorCode(err) != checks.ECONFLICT {
		return err
	}
	_, err = o.waiting.DeleteOne(ctx, bson.M{"_id": key})
	return dbError(err)
}

// MarkFailed records a failed attempt: the email waits until retryAt, or is dead when
// retryAt is zero.
func (o *Outbox) MarkFailed(ctx context.Context, key, reason string, retryAt time.Time) error {
	set := bson.M{"status": string(notify.StatusPending), "next_attempt_at": retryAt, "last_error": reason}
	if retryAt.IsZero() {
		set = bson.M{"status": string(notify.StatusDead), "last_error": reason}
	}
	_, err := o.waiting.UpdateOne(ctx, bson.M{"_id": key, "status": string(notify.StatusSending)},
		bson.M{"$set": set, "$unset": bson.M{"lease_until": ""}})
	return dbError(err)
}

// Get reads one email by key, waiting or sent.
func (o *Outbox) Get(ctx context.Context, key string) (notify.Email, error) {
	var d emailDoc
	err := dbError(o.waiting.FindOne(ctx, bson.M{"_id": key}).Decode(&d))
	if errors.Is(err, checks.ErrNotFound) {
		err = dbError(o.sent.FindOne(ctx, bson.M{"_id": key}).Decode(&d))
	}
	if err != nil {
		return notify.Email{}, err
	}
	return d.toEmail(), nil
}

// Requeue puts a dead or undeliverable email back in the queue, due now, with its attempts
// reset; to, when not empty, is its new address. It is refused for any other status.
func (o *Outbox) Requeue(ctx context.Context, key, to string, now time.Time) (notify.Email, error) {
	set := bson.M{"status": string(notify.StatusPending), "attempts": 0, "next_attempt_at": now, "last_error": ""}
	if to != "" {
		set["to"], set["missing"] = to, ""
	}
	var d emailDoc
	err := o.waiting.FindOneAndUpdate(ctx,
		bson.M{"_id": key, "status": bson.M{"$in": bson.A{string(notify.StatusDead), string(notify.StatusUndeliverable)}}},
		bson.M{"$set": set}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		return notify.Email{}, stale(err)
	}
	return d.toEmail(), nil
}

// emailList reads emails into pages, newest first.
var emailList = listing[emailDoc, notify.Email]{
	order: order{field: "created_at", byTime: true, desc: true},
	key:   func(d emailDoc) (any, string) { return d.CreatedAt.UTC(), d.Key },
	conv:  emailDoc.toEmail,
}

// List lists emails, newest first, optionally of one status: every waiting one (pending,
// being sent, dead or undeliverable: what may still need an admin), and the sent ones
// created since a time (they only grow), merged.
func (o *Outbox) List(ctx context.Context, status notify.Status, since time.Time, limit int, cursor string) (checks.Page[notify.Email], error) {
	recent := bson.M{"created_at": bson.M{"$gte": since}}
	var sources []source
	switch status {
	case "":
		sources = []source{{o.waiting, bson.M{}}, {o.sent, recent}}
	case notify.StatusSent:
		sources = []source{{o.sent, recent}}
	default:
		sources = []source{{o.waiting, bson.M{"status": string(status)}}}
	}
	return emailList.page(ctx, sources, limit, cursor)
}

// Counts returns how many emails are in each status.
func (o *Outbox) Counts(ctx context.Context) (map[notify.Status]int, error) {
	cur, err := o.waiting.Aggregate(ctx, bson.A{
		bson.M{"$group": bson.M{"_id": "$status", "n": bson.M{"$sum": 1}}},
	})
	if err != nil {
		return nil, dbError(err)
	}
	var rows []struct {
		Status string `bson:"_id"`
		N      int    `bson:"n"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, dbError(err)
	}
	out := map[notify.Status]int{}
	for _, r := range rows {
		out[notify.Status(r.Status)] = r.N
	}
	// The sent ones only grow: their count comes from the collection's metadata, not a scan.
	sent, err := o.sent.EstimatedDocumentCount(ctx)
	if err != nil {
		return nil, dbError(err)
	}
	out[notify.StatusSent] = int(sent)
	return out, nil
}
