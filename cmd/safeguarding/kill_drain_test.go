package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/internal/embedded"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

// withOutbox opens the outbox of the database in env: on a real engine the one MONGODB_URI
// names, else the embedded database of the data directory (a serve's running there, or this
// process's own when none runs).
func withOutbox(t *testing.T, env map[string]string, do func(*store.Outbox)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	uri, name := env["MONGODB_URI"], env["MONGODB_DATABASE"]
	if uri == "" {
		srv, err := embedded.Open(ctx, env["SAFEGUARDING_DATA_DIR"], testenv.Logger())
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		uri, name = srv.URI, "safeguarding"
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	do(store.NewOutbox(client.Database(name)))
}

// outboxCounts reads how many emails the outbox holds in each status.
func outboxCounts(t *testing.T, env map[string]string) map[notify.Status]int {
	t.Helper()
	var counts map[notify.Status]int
	withOutbox(t, env, func(o *store.Outbox) {
		var err error
		if counts, err = o.Counts(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	return counts
}

// messageKeys counts the messages received for each idempotency key (the Message-ID is the
// key @ the sender's domain).
func messageKeys(msgs []testenv.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		key, _, _ := strings.Cut(strings.Trim(m.MessageID(), "<>"), "@")
		out[key]++
	}
	return out
}

// serve killed with SIGKILL in the middle of sending a batch loses no email: started again,
// it sends every email the outbox held, at least once. The emails of the batch under way
// that reached the mail server before the kill are sent again (the batch is marked sent
// only once it is all sent), and the test counts those duplicates by Message-ID.
//
// The moment is chosen by count, not by time: the SMTP server holds its answer to the message
// after the first heldAfter ones, and the kill comes while serve waits for that answer.
func TestSIGKILLDuringAnOutboxDrainLosesNoEmail(t *testing.T) {
	const emails, heldAfter = 120, 20
	smtp := testenv.StartFaultSMTP(t, testenv.FaultSMTPOptions{HoldAfter: heldAfter})
	start := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	env := newEnv(t,
		"SAFEGUARDING_SMTP_HOST", smtp.Host, "SAFEGUARDING_SMTP_PORT", strconv.Itoa(smtp.Port), "SAFEGUARDING_SMTP_TLS", "none",
		"SAFEGUARDING_CLOCK_START", start.Format(time.RFC3339))

	// The emails are queued before serve starts, as an escalation run would have left them.
	keys := map[string]bool{}
	withOutbox(t, env, func(o *store.Outbox) {
		due := start.Add(-time.Minute)
		for i := range emails {
			sum := sha256.Sum256(fmt.Appendf(nil, "kill-email-%d", i))
			key := hex.EncodeToString(sum[:])
			queued, err := o.Insert(context.Background(), notify.Email{
				Key: key, To: fmt.Sprintf("person%03d@probation.example.org", i), Subject: fmt.Sprintf("Safeguarding checks: item %d", i),
				Text: "One check needs you.", HTML: "<p>One check needs you.</p>", Items: []string{fmt.Sprintf("check%03d/request_reminder", i)},
				Recipient: "com", Status: notify.StatusPending, NextAttemptAt: due, AsOf: due, CreatedAt: due,
			})
			if err != nil || !queued {
				t.Fatalf("queue email %d: queued %v, %v", i, queued, err)
			}
			keys[key] = true
		}
	})

	first := startChild(t, env)
	select {
	case <-smtp.Held():
	case <-time.After(startTimeout):
		t.Fatalf("serve did not send %d emails\n%s", heldAfter+1, first.stderr)
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	beforeKill := len(smtp.Messages())
	smtp.Release() // the held message arrived whole: the mail server keeps it
	afterKill := outboxCounts(t, env)
	t.Logf("killed serve with %d of %d emails received by the mail server (and one more held, whose answer serve never got); the outbox then held %v",
		beforeKill, emails, afterKill)
	if afterKill[notify.StatusSent] == emails {
		t.Fatalf("serve had marked every email sent before the kill: the kill was not during the drain")
	}

	// Started again later (the claims of the killed serve have expired by then), serve sends
	// what is left.
	again := maps.Clone(env)
	again["SAFEGUARDING_CLOCK_START"] = start.Add(time.Hour).Format(time.RFC3339)
	startChild(t, again)
	waitFor(t, "every email to be sent after the restart", func() bool {
		counts := outboxCounts(t, again)
		return counts[notify.StatusSent] == emails
	})
	counts := outboxCounts(t, again)
	if counts[notify.StatusPending]+counts[notify.StatusSending]+counts[notify.StatusDead]+counts[notify.StatusUndeliverable] != 0 {
		t.Errorf("after the restart the outbox holds %v, want all %d sent", counts, emails)
	}

	got := messageKeys(smtp.Messages())
	for key := range keys {
		if got[key] == 0 {
			t.Errorf("email %s never reached the mail server: lost", key[:12])
		}
	}
	dups := 0
	var repeated []string
	for key, n := range got {
		if !keys[key] {
			t.Errorf("the mail server got a message the outbox never held: %s", key)
		}
		if n > 1 {
			dups += n - 1
			repeated = append(repeated, key[:8])
		}
	}
	sort.Strings(repeated)
	t.Logf("after the restart: %d emails, %d messages received, %d duplicates (by Message-ID) %v", emails, len(smtp.Messages()), dups, repeated)
	if dups > afterKill[notify.StatusSending] {
		t.Errorf("%d duplicates, more than the %d emails claimed when serve was killed", dups, afterKill[notify.StatusSending])
	}
}
