package notify

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
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

// Insert queues an email. It reports false when an email with the same key is already in
// the outbox, waiting or sent: the same digest was queued by an earlier run or by another
// replica.
func (o *Outbox) Insert(ctx context.Context, e Email) (bool, error) {
	// Sent first: MarkSent copies an email there before it removes it from the waiting
	// ones, so a key is always in one of the two.
	err := o.sent.FindOne(ctx, bson.M{"_id": e.Key}).Err()
	if err == nil {
		return false, nil
	}
	if !errors.Is(err, mongo.ErrNoDocuments) {
		return false, dbError(err)
	}
	_, err = o.waiting.InsertOne(ctx, toDoc(e))
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
	for _, coll := range []*mongo.Collection{o.waiting, o.sent} {
		cur, err := coll.Find(ctx, bson.M{"items": bson.M{"$in": in}},
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
	}
	return out, nil
}

// Claim takes up to n emails due at now for sending, each with a lease: an email whose
// sender dies is claimed again once its lease ends, so nothing claimed is lost (it may be
// sent twice: delivery is at least once). The batch is claimed in three queries whatever
// its size: find the candidates, mark those still due with a token of this claim (one
// conditional update each, in one command), and read back what carries the token. Two
// senders never hold the same email.
func (o *Outbox) Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]Email, error) {
	due := bson.M{"$or": bson.A{
		bson.M{"status": string(StatusPending), "next_attempt_at": bson.M{"$lte": now}},
		bson.M{"status": string(StatusSending), "lease_until": bson.M{"$lt": now}},
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
		bson.M{"$set": bson.M{"status": string(StatusSending), "lease_until": now.Add(lease), "claim": token}, "$inc": bson.M{"attempts": 1}})
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
	out := make([]Email, 0, len(docs))
	for _, d := range docs {
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
	err := o.waiting.FindOne(ctx, bson.M{"_id": key}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil // another sender, whose lease had run out, got there first
	}
	if err != nil {
		return dbError(err)
	}
	d.Status, d.SentAt, d.LeaseUntil, d.LastError, d.Text, d.HTML = string(StatusSent), &at, nil, "", "", ""
	if _, err := o.sent.InsertOne(ctx, d); err != nil && !mongo.IsDuplicateKeyError(err) {
		return dbError(err)
	}
	_, err = o.waiting.DeleteOne(ctx, bson.M{"_id": key})
	return dbError(err)
}

// MarkFailed records a failed attempt: the email waits until retryAt, or is dead when
// retryAt is zero.
func (o *Outbox) MarkFailed(ctx context.Context, key, reason string, retryAt time.Time) error {
	set := bson.M{"status": string(StatusPending), "next_attempt_at": retryAt, "last_error": reason}
	if retryAt.IsZero() {
		set = bson.M{"status": string(StatusDead), "last_error": reason}
	}
	_, err := o.waiting.UpdateOne(ctx, bson.M{"_id": key, "status": string(StatusSending)},
		bson.M{"$set": set, "$unset": bson.M{"lease_until": ""}})
	return dbError(err)
}

// Get reads one email by key, waiting or sent.
func (o *Outbox) Get(ctx context.Context, key string) (Email, error) {
	var d emailDoc
	err := o.waiting.FindOne(ctx, bson.M{"_id": key}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		err = o.sent.FindOne(ctx, bson.M{"_id": key}).Decode(&d)
	}
	if err != nil {
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
	err := o.waiting.FindOneAndUpdate(ctx,
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
func (o *Outbox) List(ctx context.Context, status Status, limit int, cursor string) (checks.Page[Email], error) {
	filter := bson.M{}
	if cursor != "" {
		after, err := decodeListCursor(cursor)
		if err != nil {
			return checks.Page[Email]{}, err
		}
		filter["$or"] = bson.A{
			bson.M{"created_at": bson.M{"$lt": after.at}},
			bson.M{"created_at": after.at, "_id": bson.M{"$lt": after.key}},
		}
	}
	var colls []*mongo.Collection
	switch status {
	case "":
		colls = []*mongo.Collection{o.waiting, o.sent}
	case StatusSent:
		colls = []*mongo.Collection{o.sent}
	default:
		colls = []*mongo.Collection{o.waiting}
		filter["status"] = string(status)
	}
	var docs []emailDoc
	for _, coll := range colls {
		cur, err := coll.Find(ctx, filter, options.Find().
			SetSort(bson.D{{Key: "created_at", Value: -1}, {Key: "_id", Value: -1}}).SetLimit(int64(limit)+1))
		if err != nil {
			return checks.Page[Email]{}, dbError(err)
		}
		var part []emailDoc
		if err := cur.All(ctx, &part); err != nil {
			return checks.Page[Email]{}, dbError(err)
		}
		docs = append(docs, part...)
	}
	// Two sorted lists, merged: newest first, then by key.
	slices.SortFunc(docs, func(a, b emailDoc) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.Key, a.Key)
	})
	page := checks.Page[Email]{Items: []Email{}}
	for i, d := range docs {
		if i == limit {
			last := docs[i-1]
			page.NextCursor = encodeListCursor(last.CreatedAt, last.Key)
			break
		}
		page.Items = append(page.Items, d.toEmail())
	}
	return page, nil
}

type listCursor struct {
	at  time.Time
	key string
}

func encodeListCursor(at time.Time, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + " " + key))
}

func decodeListCursor(s string) (listCursor, error) {
	bad := &checks.Error{Code: checks.EMALFORMED, Message: "the request cannot be read",
		Fields: []checks.FieldError{{Field: "cursor", Reason: "is not a cursor this service returned"}}}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return listCursor{}, bad
	}
	at, key, ok := strings.Cut(string(b), " ")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || key == "" {
		return listCursor{}, bad
	}
	return listCursor{t, key}, nil
}

// Counts returns how many emails are in each status.
func (o *Outbox) Counts(ctx context.Context) (map[Status]int, error) {
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
	out := map[Status]int{}
	for _, r := range rows {
		out[Status(r.Status)] = r.N
	}
	sent, err := o.sent.CountDocuments(ctx, bson.M{})
	if err != nil {
		return nil, dbError(err)
	}
	out[StatusSent] = int(sent)
	return out, nil
}
