package checks

import (
	"context"
	"time"
)

// RequestNoticeRule is the rung of the escalation ladder that emails a request to its agency
// (notify.RequestNotice): its record on a check says when the request was emailed, and to
// whom.
const RequestNoticeRule = "request_notice"

// Delivery is what probation knows of the email that carries a request to its agency.
type Delivery struct {
	Emailed bool
	At      time.Time // when it was emailed
	// Reason says why it was not emailed (yet), in words for the COM and the admins.
	Reason string
}

// Waiting is why a request not yet emailed, and with nothing against it, has not been.
const Waiting = "waiting for the next escalation run to email it"

// Delivery says whether the request was emailed to the agency: nil before it is requested,
// and in what a liaison sees (the request reached the liaison, and probation's emails are
// probation's business).
func (c Check) Delivery() *Delivery {
	if c.RequestedAt.IsZero() || c.forAgency {
		return nil
	}
	if c.Undeliverable != "" {
		return &Delivery{Reason: c.Undeliverable}
	}
	e, ok := c.Escalations[RequestNoticeRule]
	switch {
	case ok && len(e.To) > 0:
		return &Delivery{Emailed: true, At: e.At}
	case ok && len(e.Undeliverable) > 0:
		return &Delivery{Reason: "no address for " + e.Undeliverable[0]}
	}
	return &Delivery{Reason: Waiting}
}

// EmailRetry is an email of the outbox an admin puts back in the queue: its id, its status
// before (dead or undeliverable), and the addresses it goes to now when it had none.
type EmailRetry struct {
	ID     string
	Status string
	To     []string
}

// AuditEmailRetries records that actor put these emails back in the queue (admins only).
// The outbox calls it before it requeues them: a retry that cannot be recorded is not made.
func (s *Service) AuditEmailRetries(ctx context.Context, actor User, retries []EmailRetry) error {
	if actor.Role != RoleAdmin {
		return Errorf(EFORBIDDEN, "only admins retry emails")
	}
	if len(retries) == 0 {
		return nil
	}
	entries := make([]AuditEntry, 0, len(retries))
	for _, r := range retries {
		var d diff
		d.add("status", r.Status, "pending")
		d.add("to", "", r.To)
		entries = append(entries, s.audit(actor, "email.retry", ResourceEmail, r.ID, "", d))
	}
	return s.store.InsertAudit(ctx, entries...)
}
