package checks

import "time"

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
