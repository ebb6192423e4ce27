package notify

import (
	"context"
	"time"

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

// queue is what the escalation run needs of the outbox (package store keeps it).
type queue interface {
	// Insert queues an email; false when an email with its key is already there, waiting
	// or sent.
	Insert(ctx context.Context, e Email) (bool, error)
	// Carrying returns the emails (waiting or sent; only their To, Missing and Items) that
	// carry any of the items.
	Carrying(ctx context.Context, items []string) ([]Email, error)
	Get(ctx context.Context, key string) (Email, error)
	// Requeue puts a dead or undeliverable email back in the queue, due now, to a new address
	// when to is not empty; ErrStale when it is neither dead nor undeliverable.
	Requeue(ctx context.Context, key, to string, now time.Time) (Email, error)
	// List lists emails created since a time, newest first, of one status (every waiting
	// one whatever its age), a page at a time.
	List(ctx context.Context, status Status, since time.Time, limit int, cursor string) (checks.Page[Email], error)
}

// claimer is what the sender needs of the outbox.
type claimer interface {
	// Claim takes up to n emails due at now for sending, each with a lease: an email whose
	// sender dies is claimed again once its lease ends.
	Claim(ctx context.Context, now time.Time, lease time.Duration, n int) ([]Email, error)
	// MarkSent records that the email was accepted for delivery.
	MarkSent(ctx context.Context, key string, at time.Time) error
	// MarkFailed records a failed attempt: the email waits until retryAt, or is dead when
	// retryAt is zero.
	MarkFailed(ctx context.Context, key, reason string, retryAt time.Time) error
}

// alreadyQueued returns, for each recipient, which of the items are already in an email of the
// outbox (whatever its status): a run cut short after queueing and before recording the
// escalation on the check finds them here and queues nothing new for them.
func alreadyQueued(ctx context.Context, q queue, items []string) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	if len(items) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(items))
	for _, it := range items {
		want[it] = true
	}
	emails, err := q.Carrying(ctx, items)
	if err != nil {
		return nil, err
	}
	for _, e := range emails {
		key := digest{To: e.To, Missing: e.Missing}.recipientKey()
		if out[key] == nil {
			out[key] = map[string]bool{}
		}
		for _, it := range e.Items {
			if want[it] {
				out[key][it] = true
			}
		}
	}
	return out, nil
}
