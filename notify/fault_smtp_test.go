package notify_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
)

// faultEmails queues n emails, each to its own recipient, due now.
func faultEmails(t *testing.T, f *fixture, n int) map[string]bool {
	t.Helper()
	now := f.clock.Now().UTC().Truncate(time.Millisecond)
	keys := map[string]bool{}
	for i := range n {
		sum := sha256.Sum256(fmt.Appendf(nil, "fault-email-%d", i))
		key := hex.EncodeToString(sum[:])
		queued, err := f.outbox.Insert(context.Background(), notify.Email{
			Key: key, To: fmt.Sprintf("person%02d@probation.example.org", i), Subject: fmt.Sprintf("Safeguarding checks: item %d", i),
			Text: "One check needs you.", HTML: "<p>One check needs you.</p>", Items: []string{fmt.Sprintf("check%02d/request_reminder", i)},
			Recipient: "com", Status: notify.StatusPending, NextAttemptAt: now, AsOf: now, CreatedAt: now,
		})
		if err != nil || !queued {
			t.Fatalf("queue email %d: queued %v, %v", i, queued, err)
		}
		keys[key] = true
	}
	return keys
}

// deliveries counts the messages received for each idempotency key, read back from the
// Message-ID (the key, @ the sender's domain).
func deliveries(msgs []testenv.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		id := strings.Trim(m.MessageID(), "<>")
		key, _, _ := strings.Cut(id, "@")
		out[key]++
	}
	return out
}

// duplicates returns how many deliveries were repeats, and of which keys (sorted).
func duplicates(got map[string]int) (int, []string) {
	n := 0
	var keys []string
	for k, c := range got {
		if c > 1 {
			n += c - 1
			keys = append(keys, k[:12])
		}
	}
	sort.Strings(keys)
	return n, keys
}

// An SMTP server that answers every other command of a kind with 451 gets every email in
// the end: the sender retries each refused one after its backoff. The clock is moved past
// each backoff (at most an hour), so the test waits for nothing.
func TestAnSMTPServerRefusingEveryOtherCommandGetsEveryEmailInTheEnd(t *testing.T) {
	const emails = 30
	// Every other RSET refused shows a fault of the mailer, not of the server: go-mail
	// resets after each message it delivered, reports a failed RSET as a (non-temporary)
	// error of that message while also marking it delivered, and SMTPMailer.send looks at
	// the error only, so a delivered email is recorded as dead.
	cases := []struct {
		name  string
		opts  testenv.FaultSMTPOptions
		verbs []string
	}{
		{"MAIL FROM", testenv.FaultSMTPOptions{RefuseMailEvery: 2}, []string{"MAIL"}},
		{"RCPT TO", testenv.FaultSMTPOptions{RefuseRcptEvery: 2}, []string{"RCPT"}},
		{"end of DATA", testenv.FaultSMTPOptions{RefuseDataEvery: 2}, []string{"DATA"}},
		{"RSET", testenv.FaultSMTPOptions{RefuseRsetEvery: 2}, []string{"RSET"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t)
			server := testenv.StartFaultSMTP(t, tc.opts)
			mailer := notify.NewSMTPMailer(notify.SMTPConfig{Host: server.Host, Port: server.Port, TLS: notify.TLSNone, From: "safeguarding@probation.example.org", Timeout: 10 * time.Second})
			sender := notify.NewSender(f.outbox, mailer, f.clock, notify.DefaultSenderConfig(), testenv.Logger())
			keys := faultEmails(t, f, emails)

			var total notify.DrainResult
			drains := 0
			for ; drains < 2*notify.DefaultSenderConfig().MaxAttempts; drains++ {
				res, err := sender.Drain(ctx)
				if err != nil {
					t.Fatalf("drain %d: %v", drains+1, err)
				}
				total.Sent, total.Retrying, total.Dead = total.Sent+res.Sent, total.Retrying+res.Retrying, total.Dead+res.Dead
				counts, err := f.outbox.Counts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if counts[notify.StatusPending]+counts[notify.StatusSending] == 0 {
					drains++
					break
				}
				f.clock.Advance(time.Hour + time.Minute) // past the longest backoff
			}

			counts, err := f.outbox.Counts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if counts[notify.StatusSent] != emails || counts[notify.StatusDead] != 0 || counts[notify.StatusPending] != 0 || counts[notify.StatusSending] != 0 {
				t.Errorf("the outbox holds %v after %d drains, want all %d sent", counts, drains, emails)
			}
			got := deliveries(server.Messages())
			for key := range keys {
				e, err := f.outbox.Get(ctx, key)
				switch {
				case err != nil:
					t.Errorf("email %s: %v", key[:12], err)
				case got[key] == 0:
					t.Errorf("email %s never reached the server; the outbox has it %s after %d attempts: %s", key[:12], e.Status, e.Attempts, e.LastError)
				case e.Status != notify.StatusSent:
					t.Errorf("email %s reached the server, but the outbox has it %s after %d attempts: %s", key[:12], e.Status, e.Attempts, e.LastError)
				}
			}
			for key := range got {
				if !keys[key] {
					t.Errorf("the server got a message the outbox never held: %s", key)
				}
			}
			for _, verb := range tc.verbs {
				if server.Refused(verb) == 0 {
					t.Errorf("the server refused no %s: the fault was not exercised", verb)
				}
			}
			dups, dupKeys := duplicates(got)
			var refused []string
			for _, verb := range []string{"MAIL", "RCPT", "DATA", "RSET"} {
				refused = append(refused, fmt.Sprintf("%s %d/%d", verb, server.Refused(verb), server.Seen(verb)))
			}
			t.Logf("refusing every other %s: %d emails delivered in %d drains (%d sends, %d retries, %d dead); refused %s; %d messages received, %d duplicates %v",
				tc.name, len(got), drains, total.Sent, total.Retrying, total.Dead, strings.Join(refused, ", "), len(server.Messages()), dups, dupKeys)
		})
	}
}
