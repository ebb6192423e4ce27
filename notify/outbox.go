package notify

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
)

// Status is where an email is in the outbox.
type Status string

// The statuses of an email.
const (
	// StatusPending waits for its next attempt.
	StatusPending Status = "pending"
	// StatusSending is claimed by a sender until its lease ends.
	StatusSending Status = "sending"
	// StatusSent was accepted by the mail server (or written as a file).
	StatusSent Status = "sent"
	// StatusDead failed for good: its last attempt failed, or the server refused it outright.
	StatusDead Status = "dead"
	// StatusUndeliverable has no address to go to; an admin sets one and retries it.
	StatusUndeliverable Status = "undeliverable"
)

// Statuses lists every outbox status.
func Statuses() []Status {
	return []Status{StatusPending, StatusSending, StatusSent, StatusDead, StatusUndeliverable}
}

// Email is an email in the outbox.
type Email struct {
	// Key is the idempotency key: the same recipient and items give the same key, and the
	// outbox holds one email per key. It is also the email's id and its Message-ID.
	Key     string
	To      string
	Missing string // for an undeliverable email: whom it could not reach
	Subject string
	Text    string
	HTML    string
	// Items are the check/rule pairs the email carries.
	Items []string
	// Recipient says how to find the address again when an admin retries an undeliverable
	// email: e.g. "agency_contact E23000001".
	Recipient     string
	Status        Status
	Attempts      int
	NextAttemptAt time.Time
	LeaseUntil    time.Time
	LastError     string
	AsOf          time.Time
	CreatedAt     time.Time
	SentAt        time.Time
}

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

func toDoc(e Email) emailDoc {
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

func (d emailDoc) toEmail() Email {
	e := Email{
		Key: d.Key, To: d.To, Missing: d.Missing, Subject: d.Subject, Text: d.Text, HTML: d.HTML,
		Items: d.Items, Recipient: d.Recipient, Status: Status(d.Status), Attempts: d.Attempts,
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

// Outbox is the collection every email is written to before it is sent.
type Outbox struct {
	coll *mongo.Collection
}

// NewOutbox returns the outbox in db. Call EnsureIndexes once at start-up.
func NewOutbox(db *mongo.Database) *Outbox {
	return &Outbox{coll: db.Collection("outbox")}
}

// EnsureIndexes creates the indexes the sender and the admin list use.
func (o *Outbox) EnsureIndexes(ctx context.Context) error {
	for _, m := range []mongo.IndexModel{
		{Keys: bson.D{{Key: "status", Value: 1}, {Key: "next_attempt_at", Value: 1}}},
		{Keys: bson.D{{Key: "items", Value: 1}}},
		{Keys: bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}},
	} {
		if _, err := o.coll.Indexes().CreateOne(ctx, m); err != nil {
			return dbError(err)
		}
	}
	return nil
}

// dbError maps a driver error to the domain's errors, like the checks store does.
func dbError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return checks.ErrNotFound
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case mongo.IsNetworkError(err), mongo.IsTimeout(err):
		return &checks.Error{Code: checks.EUNAVAILABLE, Message: "the database is unavailable; try again shortly", Err: err}
	}
	return &checks.Error{Code: checks.EINTERNAL, Message: "internal error", Err: err}
}

// Insert queues an email. It reports false when an email with the same key is already
// queued: the same digest was queued by an earlier run or by another replica.
func (o *Outbox) Insert(ctx context.Context, e Email) (bool, error) {
	_, err := o.coll.InsertOne(ctx, toDoc(e))
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	return err == nil, dbError(err)
}

// Queued returns, for each recipient, which of the items are already in an email of the
// outbox (whatever its status): a run cut short after queueing and before recording the
// escalation on the check finds them here and queues nothing new for them.
func (o *Outbox) Queued(ctx context.Context, items []string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	if len(items) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(items))
	in := make(bson.A, 0, len(items))
	for _, it := range items {
		want[it] = true
		in = append(in, it)
	}
	cur, err := o.coll.Find(ctx, bson.M{"items": bson.M{"$in": in}},
		options.Find().SetProjection(bson.M{"to": 1, "missing": 1, "items": 1}))
	if err != nil {
		return nil, dbError(err)
	}
	var docs []emailDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, dbError(err)
	}
	for _, d := range docs {
		key := digest{To: d.To, Missing: d.Missing}.recipientKey()
		if out[key] == nil {
			out[key] = map[string]bool{}
		}
		for _, it := range d.Items {
			if want[it] {
				out[key][it] = true
			}
		}
	}
	return out, nil
}

// Claim takes up to n emails due at now for sending, each with a lease: an email whose
// sender dies is claimed again once its lease ends, so nothing claimed is lost (it may be
// sent twice: delivery is at least once). Each claim is one conditional update.
func (o *Outbox) Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]Email, error) {
	var out []Email
	for len(out) < n {
		var d emailDoc
		err := o.coll.FindOneAndUpdate(ctx,
			bson.M{"$or": bson.A{
				bson.M{"status": string(StatusPending), "next_attempt_at": bson.M{"$lte": now}},
				bson.M{"status": string(StatusSending), "lease_until": bson.M{"$lt": now}},
			}},
			bson.M{"$set": bson.M{"status": string(StatusSending), "lease_until": now.Add(lease)}, "$inc": bson.M{"attempts": 1}},
			options.FindOneAndUpdate().SetSort(bson.D{{Key: "next_attempt_at", Value: 1}}).SetReturnDocument(options.After),
		).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			break
		}
		if err != nil {
			return out, dbError(err)
		}
		out = append(out, d.toEmail())
	}
	return out, nil
}

// MarkSent records that the email was accepted for delivery.
func (o *Outbox) MarkSent(ctx context.Context, key string, at time.Time) error {
	_, err := o.coll.UpdateOne(ctx, bson.M{"_id": key, "status": string(StatusSending)},
		bson.M{"$set": bson.M{"status": string(StatusSent), "sent_at": at, "last_error": ""}, "$unset": bson.M{"lease_until": ""}})
	return dbError(err)
}

// MarkFailed records a failed attempt: the email waits until retryAt, or is dead when
// retryAt is zero.
func (o *Outbox) MarkFailed(ctx context.Context, key, reason string, retryAt time.Time) error {
	set := bson.M{"status": string(StatusPending), "next_attempt_at": retryAt, "last_error": reason}
	if retryAt.IsZero() {
		set = bson.M{"status": string(StatusDead), "last_error": reason}
	}
	_, err := o.coll.UpdateOne(ctx, bson.M{"_id": key, "status": string(StatusSending)},
		bson.M{"$set": set, "$unset": bson.M{"lease_until": ""}})
	return dbError(err)
}

// Get reads one email by key.
func (o *Outbox) Get(ctx context.Context, key string) (Email, error) {
	var d emailDoc
	if err := o.coll.FindOne(ctx, bson.M{"_id": key}).Decode(&d); err != nil {
		return Email{}, dbError(err)
	}
	return d.toEmail(), nil
}

// Requeue puts a dead or undeliverable email back in the queue, due now, with its attempts
// reset; to, when not empty, is its new address. It is refused for any other status.
func (o *Outbox) Requeue(ctx context.Context, key, to string, now time.Time) (Email, error) {
	set := bson.M{"status": string(StatusPending), "attempts": 0, "next_attempt_at": now, "last_error": ""}
	if to != "" {
		set["to"], set["missing"] = to, ""
	}
	var d emailDoc
	err := o.coll.FindOneAndUpdate(ctx,
		bson.M{"_id": key, "status": bson.M{"$in": bson.A{string(StatusDead), string(StatusUndeliverable)}}},
		bson.M{"$set": set}, options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return Email{}, checks.ErrStale
	}
	if err != nil {
		return Email{}, dbError(err)
	}
	return d.toEmail(), nil
}

// List lists emails, newest first, optionally of one status.
func (o *Outbox) List(ctx context.Context, status Status, limit int, after string) (checks.Page[Email], error) {
	filter := bson.M{}
	if status != "" {
		filter["status"] = string(status)
	}
	if after != "" {
		var last emailDoc
		if err := o.coll.FindOne(ctx, bson.M{"_id": after}).Decode(&last); err != nil {
			return checks.Page[Email]{}, &checks.Error{Code: checks.EMALFORMED, Message: "the request cannot be read",
				Fields: []checks.FieldError{{Field: "cursor", Reason: "is not a cursor this service returned"}}}
		}
		filter["$or"] = bson.A{
			bson.M{"created_at": bson.M{"$lt": last.CreatedAt}},
			bson.M{"created_at": last.CreatedAt, "_id": bson.M{"$lt": last.Key}},
		}
	}
	cur, err := o.coll.Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)+1))
	if err != nil {
		return checks.Page[Email]{}, dbError(err)
	}
	var docs []emailDoc
	if err := cur.All(ctx, &docs); err != nil {
		return checks.Page[Email]{}, dbError(err)
	}
	page := checks.Page[Email]{Items: []Email{}}
	for i, d := range docs {
		if i == limit {
			page.NextCursor = docs[i-1].Key
			break
		}
		page.Items = append(page.Items, d.toEmail())
	}
	return page, nil
}

// Counts returns how many emails are in each status.
func (o *Outbox) Counts(ctx context.Context) (map[Status]int, error) {
	cur, err := o.coll.Aggregate(ctx, bson.A{
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
	out := map[Status]int{}
	for _, r := range rows {
		out[Status(r.Status)] = r.N
	}
	return out, nil
}
