package notify

import (
	"context"
	"log/slog"
	"time"

	"github.com/probation/safeguarding/checks"
)

// SenderConfig tunes the sender.
type SenderConfig struct {
	// Batch is how many emails one connection carries.
	Batch int
	// Lease is how long a claimed email is the sender's before another may claim it.
	Lease time.Duration
	// MaxAttempts: an email that fails this many times is dead.
	MaxAttempts int
	// Backoff is the wait after the first failure; it doubles with each failure, up to an hour.
	Backoff time.Duration
}

// DefaultSenderConfig returns batches of 50, a 2-minute lease, 8 attempts and a 30-second
// first backoff (the eighth attempt comes about an hour and a half after the first).
func DefaultSenderConfig() SenderConfig {
	return SenderConfig{Batch: 50, Lease: 2 * time.Minute, MaxAttempts: 8, Backoff: 30 * time.Second}
}

// Sender drains the outbox through a mailer.
type Sender struct {
	// Observe is told of every attempt; nobody by default.
	Observe Observer

	outbox claimer
	mailer Mailer
	clock  checks.Clock
	cfg    SenderConfig
	log    *slog.Logger
	wake   chan struct{}
}

// NewSender returns a sender.
func NewSender(outbox claimer, mailer Mailer, clock checks.Clock, cfg SenderConfig, log *slog.Logger) *Sender {
	return &Sender{Observe: noObserver{}, outbox: outbox, mailer: mailer, clock: clock, cfg: cfg, log: log, wake: make(chan struct{}, 1)}
}

// Wake asks the sender's loop to drain now rather than at its next tick.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// DrainResult counts what a drain did.
type DrainResult struct {
	Sent, Retrying, Dead int
}

// Drain sends every email due now, batch by batch, until none is left or ctx ends. A batch
// under way is finished even when ctx ends, so that an email is not left claimed for a lease
// because of a shutdown.
func (s *Sender) Drain(ctx context.Context) (DrainResult, error) {
	var res DrainResult
	for ctx.Err() == nil {
		now := s.clock.Now().UTC()
		batch, err := s.outbox.Claim(ctx, now, s.cfg.Lease, s.cfg.Batch)
		if err != nil {
			return res, err
		}
		if len(batch) == 0 {
			return res, nil
		}
		s.send(context.WithoutCancel(ctx), batch, &res)
	}
	return res, ctx.Err()
}

func (s *Sender) send(ctx context.Context, batch []Email, res *DrainResult) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Lease)
	defer cancel()
	s.mailer.Send(ctx, batch, func(i int, sendErr error) {
		e := batch[i]
		s.Observe.Attempted(sendErr != nil)
		now := s.clock.Now().UTC()
		var err error
		switch {
		case sendErr == nil:
			err = s.outbox.MarkSent(ctx, e.Key, now)
			res.Sent++
		case Permanent(sendErr) || e.Attempts >= s.cfg.MaxAttempts:
			err = s.outbox.MarkFailed(ctx, e.Key, sendErr.Error(), time.Time{})
			res.Dead++
			s.log.Error("email dead", "key", e.Key, "attempts", e.Attempts, "error", sendErr.Error())
		default:
			retry := now.Add(s.backoff(e.Attempts))
			err = s.outbox.MarkFailed(ctx, e.Key, sendErr.Error(), retry)
			res.Retrying++
			s.log.Warn("email not sent; will retry", "key", e.Key, "attempts", e.Attempts, "retry_at", retry, "error", sendErr.Error())
		}
		if err != nil {
			// The lease runs out and the email is claimed again: sent twice at worst.
			s.log.Error("recording an email's outcome", "key", e.Key, "error", err)
		}
	})
}

// backoff is the wait after the nth failed attempt: Backoff, doubling, at most an hour.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.cfg.Backoff
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Loop drains the outbox every interval and whenever woken, until ctx ends.
func (s *Sender) Loop(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		res, err := s.Drain(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("outbox drain failed; trying again at the next tick", "error", err)
		}
		if res != (DrainResult{}) {
			s.log.Info("outbox drained", "sent", res.Sent, "retrying", res.Retrying, "dead", res.Dead)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}
