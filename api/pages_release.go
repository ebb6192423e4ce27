// The release page's own actions and what it shows beyond the checks' fields: the emails
// sent about each check and those that could not be sent, and one button that requests
// both checks.

package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// emailRow is one email about a check, as the release page lists it: when, what about, to
// whom (the kind of recipient, never an address), and whether it went.
type emailRow struct {
	When   time.Time
	About  string
	To     string
	Sent   bool
	Status string
	// Failed is set when the email could not be sent and will not be without an admin.
	Failed bool
}

// ruleNames say what an email of each rung of the ladder was about, on the release page.
var ruleNames = map[notify.Rule]string{
	notify.RequestNotice: "The request", notify.RequestWithdrawn: "The request is withdrawn",
	notify.ResponseNotice: "The answer has come", notify.ResponseDeclined: "The agency declined to answer",
	notify.TimeAsked: "The agency asked for more time", notify.RequestNotEmailed: "The request could not be emailed",
	notify.RequestReminder: "Reminder to request the check", notify.ResponseReminder: "Reminder: the answer is due soon",
	notify.DueDateChanged: "The due date changed", notify.RequestOverdue: "Overdue: not requested",
	notify.ResponseOverdue: "Overdue: not answered", notify.ResponseEscalated: "Escalated: the answer is well overdue",
	notify.ReleaseImminent: "The release is close", notify.ReleasedIncomplete: "Released without the check completed",
}

// checkEmails fills in each panel's emails, from the check's escalation records and the
// outbox's emails carrying them (one query for the page), and counts those that could not
// be sent.
func (s *Server) checkEmails(ctx context.Context, panels []checkPanel) (int, error) {
	firings := make([][]notify.Firing, len(panels))
	var items []string
	for i, p := range panels {
		firings[i] = notify.Firings(p.Check)
		for _, f := range firings[i] {
			items = append(items, f.Item)
		}
	}
	if len(items) == 0 || s.opts.Outbox == nil {
		return 0, nil
	}
	emails, err := s.opts.Outbox.About(ctx, items)
	if err != nil {
		return 0, err
	}
	// An email is in the outbox once, but for the moment it is being marked sent, when it
	// may be read in both of its collections: the sent copy wins.
	byItem := map[string][]notify.Email{}
	seen := map[string]int{}
	for _, e := range emails {
		for _, it := range e.Items {
			if j, ok := seen[e.Key+" "+it]; ok {
				if e.Status == notify.StatusSent {
					byItem[it][j] = e
				}
				continue
			}
			seen[e.Key+" "+it] = len(byItem[it])
			byItem[it] = append(byItem[it], e)
		}
	}
	unsent := 0
	for i := range panels {
		for _, f := range firings[i] {
			about := ruleNames[f.Rule]
			if about == "" {
				about = strings.ReplaceAll(string(f.Rule), "_", " ")
			}
			found := byItem[f.Item]
			slices.SortFunc(found, func(a, b notify.Email) int { return strings.Compare(a.Recipient, b.Recipient) })
			for _, e := range found {
				row := emailRowOf(e, about)
				if row.Failed {
					unsent++
				}
				panels[i].Emails = append(panels[i].Emails, row)
			}
			if len(found) == 0 {
				// Recorded on the check, and its email no longer (or not yet) in the outbox.
				row := emailRow{When: f.At, About: about, To: recipients(len(f.To)), Sent: true, Status: "Recorded as sent"}
				if len(f.Undeliverable) > 0 {
					row.Failed, row.Status = true, "Could not be sent: no address for "+strings.Join(f.Undeliverable, "; ")
					unsent++
				}
				panels[i].Emails = append(panels[i].Emails, row)
			}
		}
	}
	return unsent, nil
}

// emailRowOf says where an email is, in plain words.
func emailRowOf(e notify.Email, about string) emailRow {
	row := emailRow{When: e.CreatedAt, About: about, To: e.RecipientKind()}
	if row.To == "" {
		row.To = "someone no longer known"
	}
	switch e.Status {
	case notify.StatusSent:
		row.When, row.Sent, row.Status = e.SentAt, true, "Sent"
	case notify.StatusPending, notify.StatusSending:
		row.Status = "Waiting to be sent"
		if e.Attempts > 0 && e.LastError != "" {
			row.Status += " (tried " + times(e.Attempts) + ": " + e.LastError + ")"
		}
	case notify.StatusUndeliverable:
		row.Failed, row.Status = true, "Could not be sent: there is no address for "+e.Missing+". An admin must add it and send it again"
	case notify.StatusDead:
		row.Failed, row.Status = true, "Could not be sent: the mail server refused it after "+times(e.Attempts)+" ("+e.LastError+"). An admin must correct the address and send it again"
	}
	return row
}

func recipients(n int) string {
	if n == 1 {
		return "1 recipient"
	}
	return strconv.Itoa(n) + " recipients"
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return strconv.Itoa(n) + " times"
}

// bothRequired returns the release's current checks still to be requested, in the order
// of the check types.
func bothRequired(r checks.Release) []checks.Check {
	var out []checks.Check
	for _, t := range checks.CheckTypes() {
		for _, ch := range r.Checks {
			if ch.Type == t && !ch.Superseded() && ch.Status == checks.StatusRequired {
				out = append(out, ch)
			}
		}
	}
	return out
}

// requestBothForm requests every check of the release still to be requested, one after
// the other through the same service call as each check's own button. A failure after a
// success says both: what was requested, and what was not and why.
func (s *Server) requestBothForm(c *gin.Context) {
	ctx, u := c.Request.Context(), actor(c)
	r, err := s.changeableRelease(c)
	if err != nil {
		s.failPage(c, err)
		return
	}
	todo := bothRequired(r)
	if len(todo) == 0 {
		s.message(c, http.StatusConflict, "There is nothing to request",
			"Both checks of this release are already requested, answered or closed. Go back to the release to see where each stands.")
		return
	}
	var done, notEmailed []string
	var failed *formError
	var failure error
	for _, ch := range todo {
		got, err := s.svc.RequestCheck(ctx, u, ch.ID, nil, "")
		if err != nil {
			failure = err
			failed = &formError{"check-" + ch.ID, "The " + strings.ToLower(ch.Type.Info().Name) + " check was not requested: " + requestFailure(err)}
			break
		}
		done = append(done, strings.ToLower(ch.Type.Info().Name))
		if got.Undeliverable != "" {
			notEmailed = append(notEmailed, s.agencyName(got.Agency))
		}
	}
	if failed == nil {
		next := "/releases/" + r.ID + "?notice=both-requested"
		if len(notEmailed) > 0 {
			next += "-not-emailed"
		}
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	if len(done) == 0 {
		// Nothing changed: the page as if the one check's button had been used.
		if checks.ClassOf(checks.ErrorCode(failure)).Fault {
			s.failPage(c, failure)
			return
		}
	}
	said := ""
	if len(done) > 0 {
		said = "The " + strings.Join(done, " and ") + " check was requested"
		if len(notEmailed) > 0 {
			said += ", but " + strings.Join(notEmailed, " and ") + " could not be emailed: phone the agency, and ask an admin to add its contact mailbox"
		} else {
			said += ": its agency is told by email"
		}
	}
	current, err := s.svc.Release(ctx, u, r.ID)
	if err != nil {
		// The page cannot be shown: still say what was done and what was not.
		s.message(c, checks.Classify(err).HTTPStatus, "Only part of this was done", said+".", failed.Text+".")
		return
	}
	status := checks.Classify(failure).HTTPStatus
	if len(done) > 0 {
		status = http.StatusOK // something was done; the error summary says what was not
	}
	s.renderReleaseSaying(c, status, current, []formError{*failed}, nil, said)
}

// requestFailure is why a request failed, as a sentence's end.
func requestFailure(err error) string {
	class := checks.Classify(err)
	switch {
	case class.Temporary:
		return "the service could not reach its database. Try again with the check's own button"
	case class.Fault:
		return "something went wrong (reference in the log). Try again with the check's own button"
	}
	text := conflictText(err)
	return strings.ToLower(text[:1]) + text[1:]
}
