package api

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

type runBody struct {
	AsOf   string `json:"as_of"`
	DryRun bool   `json:"dry_run"`
}

type planJSON struct {
	AsOf       time.Time       `json:"as_of"`
	DryRun     bool            `json:"dry_run"`
	OpenChecks int             `json:"open_checks"`
	Items      []planItemJSON  `json:"items"`
	Emails     []planEmailJSON `json:"emails"`
}

type planItemJSON struct {
	CheckID       string      `json:"check_id"`
	CRN           string      `json:"crn"`
	Type          string      `json:"type"`
	Agency        string      `json:"agency"`
	Rule          string      `json:"rule"`
	Basis         checks.Date `json:"basis"`
	To            []string    `json:"to"`
	Undeliverable []string    `json:"undeliverable,omitempty"`
	Recorded      bool        `json:"recorded"`
}

type planEmailJSON struct {
	ID      string `json:"id"`
	To      string `json:"to,omitempty"`
	Missing string `json:"missing,omitempty"`
	Subject string `json:"subject"`
	Items   int    `json:"items"`
	Queued  bool   `json:"queued"`
}

type emailJSON struct {
	ID            string     `json:"id"`
	To            string     `json:"to,omitempty"`
	Missing       string     `json:"missing,omitempty"`
	Subject       string     `json:"subject"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	LastError     string     `json:"last_error,omitempty"`
	Items         []string   `json:"items"`
	AsOf          time.Time  `json:"as_of"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at"`
	Text          string     `json:"text,omitempty"`
}

func email(e notify.Email) emailJSON {
	out := emailJSON{
		ID: e.Key, To: e.To, Missing: e.Missing, Subject: e.Subject, Status: string(e.Status), Attempts: e.Attempts,
		LastError: e.LastError, Items: e.Items, AsOf: e.AsOf, CreatedAt: e.CreatedAt, SentAt: optionalTime(e.SentAt),
	}
	if e.Status == notify.StatusPending {
		out.NextAttemptAt = optionalTime(e.NextAttemptAt)
	}
	if out.Items == nil {
		out.Items = []string{}
	}
	return out
}

// adminOnly refuses everyone but admins.
func (s *Server) adminOnly(c *gin.Context) {
	if actor(c).Role != checks.RoleAdmin {
		s.fail(c, checks.Errorf(checks.EFORBIDDEN, "only admins may do this"))
		return
	}
	c.Next()
}

func (s *Server) runEscalations(c *gin.Context) {
	var b runBody
	if err := decode(c, &b, bodyOptional); err != nil {
		s.fail(c, err)
		return
	}
	opts := notify.RunOptions{DryRun: b.DryRun}
	if b.AsOf != "" {
		t, err := time.Parse(time.RFC3339, b.AsOf)
		// A run stands at a time in this century: beyond, the ladder means nothing and some
		// years cannot even be written back as JSON.
		if err != nil || t.Year() < 2000 || t.Year() > 2099 {
			s.fail(c, &checks.Error{Code: checks.EINVALID, Message: "the request has invalid fields",
				Fields: []checks.FieldError{{Field: "as_of", Reason: "must be an RFC 3339 time in 2000 to 2099, e.g. 2027-01-04T07:00:00Z"}}})
			return
		}
		opts.AsOf = t
	}
	plan, err := s.opts.Escalator.Run(c.Request.Context(), opts)
	if err != nil {
		s.fail(c, err)
		return
	}
	if len(plan.Emails) > 0 && !plan.DryRun {
		s.opts.Sender.Wake()
	}
	out := planJSON{AsOf: plan.AsOf, DryRun: plan.DryRun, OpenChecks: plan.Checked, Items: []planItemJSON{}, Emails: []planEmailJSON{}}
	for _, it := range plan.Items {
		to := it.To
		if to == nil {
			to = []string{}
		}
		out.Items = append(out.Items, planItemJSON{it.CheckID, it.CRN, string(it.Type), it.Agency, string(it.Rule), it.Basis, to, it.Undeliverable, it.Recorded})
	}
	for _, e := range plan.Emails {
		out.Emails = append(out.Emails, planEmailJSON{e.Key, e.To, e.Missing, e.Subject, e.Items, e.Queued})
	}
	c.JSON(http.StatusOK, out)
}

func (s *Server) listOutbox(c *gin.Context) {
	n, err := queryInt(c, "limit")
	if err != nil {
		s.fail(c, err)
		return
	}
	if n == 0 {
		n = 50
	}
	if n < 1 || n > 200 {
		s.fail(c, &checks.Error{Code: checks.EINVALID, Message: "the request has invalid fields",
			Fields: []checks.FieldError{{Field: "limit", Reason: "must be a whole number from 1 to 200"}}})
		return
	}
	status := notify.Status(c.Query("status"))
	if status != "" && !slices.Contains(notify.Statuses(), status) {
		var names []string
		for _, st := range notify.Statuses() {
			names = append(names, string(st))
		}
		s.fail(c, &checks.Error{Code: checks.EINVALID, Message: "the request has invalid fields",
			Fields: []checks.FieldError{{Field: "status", Reason: "must be one of " + strings.Join(names, ", ")}}})
		return
	}
	// The sent emails only grow: the list reaches back RecentDays.
	since := s.svc.Clock().Now().AddDate(0, 0, -checks.RecentDays)
	page, err := s.opts.Outbox.List(c.Request.Context(), status, since, n, c.Query("cursor"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pageJSON(page, email))
}

func validEmailID(id string) bool {
	return len(id) == 64 && strings.Trim(id, "0123456789abcdef") == ""
}

func (s *Server) getOutboxEmail(c *gin.Context) {
	if !validEmailID(c.Param("id")) {
		s.fail(c, bad("id", "is not an email id (64 hexadecimal characters)"))
		return
	}
	e, err := s.opts.Outbox.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := email(e)
	out.Text = e.Text
	c.JSON(http.StatusOK, out)
}

func (s *Server) retryOutboxEmail(c *gin.Context) {
	if !validEmailID(c.Param("id")) {
		s.fail(c, bad("id", "is not an email id (64 hexadecimal characters)"))
		return
	}
	emails, err := s.opts.Escalator.Retry(c.Request.Context(), c.Param("id"), s.auditRetries(actor(c)))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.opts.Sender.Wake()
	c.JSON(http.StatusOK, pageJSON(checks.Page[notify.Email]{Items: emails}, email))
}

// auditRetries records an admin's retries of emails in the audit trail, before they are made.
func (s *Server) auditRetries(u checks.User) notify.AuditRetries {
	return func(ctx context.Context, retries []checks.EmailRetry) error {
		return s.svc.AuditEmailRetries(ctx, u, retries)
	}
}
