package api

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// checkLifecycleJSON holds the fields of a check about its withdrawal, a request for more
// time and the delivery of its request. It is embedded in checkJSON, so they read as fields
// of the check.
type checkLifecycleJSON struct {
	WithdrawnBecause string         `json:"withdrawn_because,omitempty"`
	WithdrawnAt      *time.Time     `json:"withdrawn_at,omitempty"`
	Extension        *extensionJSON `json:"extension"`
	Delivery         *deliveryJSON  `json:"delivery,omitempty"`
}

type extensionJSON struct {
	ProposedDate    checks.Date `json:"proposed_date"`
	Note            string      `json:"note"`
	RequestedAt     time.Time   `json:"requested_at"`
	RequestedBy     string      `json:"requested_by"`
	RequestedByName string      `json:"requested_by_name"`
	// Decision is "agreed" or "refused", or null while probation has not decided.
	Decision  *string    `json:"decision"`
	DecidedAt *time.Time `json:"decided_at"`
	DecidedBy string     `json:"decided_by,omitempty"`
	Reason    string     `json:"reason,omitempty"`
}

type deliveryJSON struct {
	Emailed   bool       `json:"emailed"`
	EmailedAt *time.Time `json:"emailed_at,omitempty"`
	Reason    string     `json:"reason,omitempty"`
}

func checkLifecycle(c checks.Check) checkLifecycleJSON {
	out := checkLifecycleJSON{WithdrawnBecause: string(c.WithdrawnBecause), WithdrawnAt: optionalTime(c.WithdrawnAt)}
	if e := c.Extension; e != nil {
		out.Extension = &extensionJSON{ProposedDate: e.ProposedDate, Note: e.Note, RequestedAt: e.RequestedAt,
			RequestedBy: e.RequestedBy, RequestedByName: e.RequestedByName, DecidedAt: optionalTime(e.DecidedAt),
			DecidedBy: e.DecidedBy, Reason: e.Reason}
		if e.Decision != "" {
			d := string(e.Decision)
			out.Extension.Decision = &d
		}
	}
	if d := c.Delivery(); d != nil {
		out.Delivery = &deliveryJSON{Emailed: d.Emailed, EmailedAt: optionalTime(d.At), Reason: d.Reason}
	}
	return out
}

// Request bodies of the lifecycle's newer actions.

type extensionBody struct {
	ProposedDate string `json:"proposed_date"`
	Note         string `json:"note"`
}

type optionalReasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) standDown(c *gin.Context, id string, v *int64, b reasonBody) (checks.Check, error) {
	return s.svc.StandDown(c.Request.Context(), actor(c), id, v, b.Reason)
}

func (s *Server) askForTime(c *gin.Context, id string, v *int64, b extensionBody) (checks.Check, error) {
	return s.svc.AskForTime(c.Request.Context(), actor(c), id, v, checks.ExtensionInput(b))
}

func (s *Server) agreeTime(c *gin.Context, id string, v *int64, _ struct{}) (checks.Check, error) {
	return s.svc.AgreeTime(c.Request.Context(), actor(c), id, v)
}

func (s *Server) refuseTime(c *gin.Context, id string, v *int64, b optionalReasonBody) (checks.Check, error) {
	return s.svc.RefuseTime(c.Request.Context(), actor(c), id, v, b.Reason)
}
