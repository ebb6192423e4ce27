package notify_test

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

// queueReminders records a release and runs the ladder on its request-by date without
// draining: two checks, one email to the COM in the outbox.
func (f *fixture) queueReminders(t *testing.T) notify.Plan {
	t.Helper()
	f.release(t)
	f.at(t, "2027-01-04 07:00")
	plan, err := f.esc.Run(context.Background(), notify.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Emails) != 1 {
		t.Fatalf("queued %d emails, want 1", len(plan.Emails))
	}
	return plan
}

func (f *fixture) email(t *testing.T, key string) notify.Email {
	t.Helper()
	e, err := f.outbox.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestWhileSMTPIsDownEmailsWaitWithTheirErrorAndGoOnceItIsBack(t *testing.T) {
	f := newFixture(t)
	key := f.queueReminders(t).Emails[0].Key
	f.smtp.Stop()

	res, err := f.sender.Drain(context.Background())
	if err != nil || res.Retrying != 1 {
		t.Fatalf("drain with SMTP down = %+v, %v; want 1 to retry", res, err)
	}
	e := f.email(t, key)
	if e.Status != notify.StatusPending || e.Attempts != 1 || e.LastError == "" || !e.NextAttemptAt.Equal(f.clock.Now().Add(30*time.Second)) {
		t.Errorf("after a failed attempt: %s, %d attempts, error %q, next at %s", e.Status, e.Attempts, e.LastError, e.NextAttemptAt)
	}
	// Not due again before the backoff ends.
	if res, _ := f.sender.Drain(context.Background()); res != (notify.DrainResult{}) {
		t.Errorf("drained %+v before the backoff ended", res)
	}
	f.clock.Advance(31 * time.Second)
	if res, _ := f.sender.Drain(context.Background()); res.Retrying != 1 {
		t.Errorf("second attempt = %+v, want a retry", res)
	}
	e = f.email(t, key)
	if e.Attempts != 2 || !e.NextAttemptAt.Equal(f.clock.Now().Add(time.Minute)) {
		t.Errorf("the backoff did not double: %d attempts, next at %s (now %s)", e.Attempts, e.NextAttemptAt, f.clock.Now())
	}

	f.smtp.Start(t)
	f.clock.Advance(61 * time.Second)
	if res, err := f.sender.Drain(context.Background()); err != nil || res.Sent != 1 {
		t.Fatalf("drain with SMTP back = %+v, %v; want 1 sent", res, err)
	}
	if msgs := f.smtp.To(comEmail); len(msgs) != 1 {
		t.Errorf("the COM got %d emails, want 1", len(msgs))
	}
	if e := f.email(t, key); e.Status != notify.StatusSent || e.SentAt.IsZero() {
		t.Errorf("after delivery: %s sent at %s", e.Status, e.SentAt)
	}
}

func TestAfterTheLastAttemptAnEmailIsDeadAndAnAdminCanRetryIt(t *testing.T) {
	f := newFixture(t)
	cfg := notify.DefaultSenderConfig()
	cfg.MaxAttempts = 2
	f.sender = notify.NewSender(f.outbox, f.mailer(), f.clock, cfg, testenv.Logger())
	key := f.queueReminders(t).Emails[0].Key
	f.smtp.Refuse(451, 0)
	for range 2 {
		if _, err := f.sender.Drain(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Hour)
	}
	e := f.email(t, key)
	if e.Status != notify.StatusDead || e.Attempts != 2 || !strings.Contains(e.LastError, "451") {
		t.Fatalf("after two refusals: %s, %d attempts, %q", e.Status, e.Attempts, e.LastError)
	}
	f.smtp.Accept()
	if _, err := f.esc.Retry(context.Background(), key, f.audit()); err != nil {
		t.Fatal(err)
	}
	if res, _ := f.sender.Drain(context.Background()); res.Sent != 1 {
		t.Errorf("after retry: %+v, want 1 sent", res)
	}
	if _, err := f.esc.Retry(context.Background(), key, f.audit()); checks.ErrorCode(err) != checks.ECONFLICT {
		t.Errorf("retrying a sent email: %v, want a conflict", err)
	}
}

func TestARefusalForGoodMakesAnEmailDeadAtOnce(t *testing.T) {
	f := newFixture(t)
	key := f.queueReminders(t).Emails[0].Key
	f.smtp.Refuse(550, 1)
	res, err := f.sender.Drain(context.Background())
	if err != nil || res.Dead != 1 {
		t.Fatalf("drain = %+v, %v; want 1 dead", res, err)
	}
	if e := f.email(t, key); e.Status != notify.StatusDead || e.Attempts != 1 {
		t.Errorf("after a 550: %s after %d attempts", e.Status, e.Attempts)
	}
}

func TestARestartBetweenQueueingAndSendingLosesNothing(t *testing.T) {
	f := newFixture(t)
	f.queueReminders(t)
	// The process that queued dies; a new one, with a sender of its own, drains the outbox.
	restarted := notify.NewSender(store.NewOutbox(f.store.Database()), f.mailer(), f.clock, notify.DefaultSenderConfig(), testenv.Logger())
	if res, err := restarted.Drain(context.Background()); err != nil || res.Sent != 1 {
		t.Fatalf("drain after restart = %+v, %v; want 1 sent", res, err)
	}
	if msgs := f.smtp.To(comEmail); len(msgs) != 1 {
		t.Errorf("the COM got %d emails, want 1", len(msgs))
	}
}

func TestAnEmailClaimedByASenderThatDiedIsSentOnceItsLeaseEnds(t *testing.T) {
	f := newFixture(t)
	key := f.queueReminders(t).Emails[0].Key
	// A sender claims the email and dies before sending it.
	if claimed, err := f.outbox.Claim(context.Background(), f.clock.Now(), time.Minute, 10); err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %d, %v", len(claimed), err)
	}
	if res, _ := f.sender.Drain(context.Background()); res != (notify.DrainResult{}) {
		t.Errorf("drained %+v while the lease held", res)
	}
	f.clock.Advance(61 * time.Second)
	if res, _ := f.sender.Drain(context.Background()); res.Sent != 1 {
		t.Errorf("after the lease: %+v, want 1 sent", res)
	}
	if e := f.email(t, key); e.Status != notify.StatusSent || e.Attempts != 2 {
		t.Errorf("email %s after %d attempts, want sent after 2", e.Status, e.Attempts)
	}
}

// failingMarks is the real store, cut off before it records escalations: what a crash right
// after the emails were queued leaves.
type failingMarks struct{ *store.Store }

func (failingMarks) MarkEscalation(context.Context, string, string, checks.Escalation) (bool, error) {
	return false, errors.New("process killed")
}

func TestACrashBetweenQueueingAndRecordingQueuesNothingNewNextTime(t *testing.T) {
	f := newFixture(t)
	f.release(t)
	f.at(t, "2027-01-04 07:00")
	crashing := notify.NewEscalator(failingMarks{f.store}, f.store, f.outbox, f.ladder, f.clock, "https://x", testenv.Logger())
	if _, err := crashing.Run(context.Background(), notify.RunOptions{}); err == nil {
		t.Fatal("the cut-off run reported no error")
	}
	f.at(t, "2027-01-05 07:00")
	plan := f.run(t)
	if len(plan.Emails) != 0 {
		t.Errorf("the next run queued %d emails, want none: the reminder is already queued", len(plan.Emails))
	}
	recorded := 0
	for _, it := range plan.Items {
		if it.Recorded {
			recorded++
		}
	}
	if recorded != 2 {
		t.Errorf("the next run recorded %d rungs, want the 2 reminders", recorded)
	}
	if msgs := f.smtp.To(comEmail); len(msgs) != 1 {
		t.Errorf("the COM got %d emails, want exactly 1", len(msgs))
	}
}

func TestARungWithNoAddressIsKeptAsUndeliverableUntilAnAdminSetsOne(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	empty := ""
	if _, err := f.svc.UpdateAgency(ctx, checks.System("test"), "E23000001", nil, checks.AgencyPatch{ContactEmail: &empty}); err != nil {
		t.Fatal(err)
	}
	r := f.release(t)
	f.at(t, "2026-12-01 10:00")
	if _, err := f.svc.RequestCheck(ctx, f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	plan := f.runWith(t, notify.RunOptions{Rules: notify.NoticeRules()})
	var notice []notify.PlanItem
	for _, it := range plan.Items {
		if it.Rule == notify.RequestNotice {
			notice = append(notice, it)
		}
	}
	if len(notice) != 1 || len(notice[0].Undeliverable) != 1 || !strings.Contains(notice[0].Undeliverable[0], "contact mailbox of Metropolitan Police Service") {
		t.Fatalf("plan = %+v, want the request notice undeliverable for want of the Met's contact", plan.Items)
	}
	page, err := f.outbox.List(ctx, notify.StatusUndeliverable, time.Time{}, 10, "")
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("undeliverable emails: %d (%v), want 1", len(page.Items), err)
	}
	key := page.Items[0].Key
	if _, err := f.esc.Retry(ctx, key, f.audit()); checks.ErrorCode(err) != checks.ECONFLICT {
		t.Errorf("retry before an address is set: %v, want a conflict", err)
	}
	contact := "new-referrals@met.example.org"
	if _, err := f.svc.UpdateAgency(ctx, checks.System("test"), "E23000001", nil, checks.AgencyPatch{ContactEmail: &contact}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.esc.Retry(ctx, key, f.audit()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sender.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if msgs := f.smtp.To(contact); len(msgs) != 1 || headline(msgs[0]) != notify.RequestNotice {
		t.Errorf("the new contact got %d emails, want the request notice", len(msgs))
	}
}

func TestADigestListsTheMostUrgentFirstWithWhatItsReaderNeeds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Two releases: one whose request is overdue, one released today (imminent too).
	for _, rel := range []struct{ crn, date string }{{"X111111", "2027-02-22"}, {"X222222", "2027-01-18"}} {
		_, err := f.svc.CreateRelease(ctx, f.com, checks.ReleaseInput{CRN: rel.crn, NOMSNumber: "A1234BC", FullName: "P",
			DateOfBirth: "1985-03-02", ReleaseDate: rel.date, PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
			Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.at(t, "2027-01-18 07:00")
	f.run(t)
	msgs := f.smtp.To(managerEmail)
	if len(msgs) != 1 {
		t.Fatalf("the manager got %d emails, want 1 digest", len(msgs))
	}
	text := msgs[0].Text()
	imminent := strings.Index(text, notify.ReleaseImminent.Headline())
	overdue := strings.Index(text, notify.RequestOverdue.Headline())
	if imminent < 0 || overdue < 0 || imminent > overdue {
		t.Errorf("the imminent release (at %d) should come before the overdue request (at %d):\n%s", imminent, overdue, text)
	}
	for _, want := range []string{"X222222", "X111111", "Domestic abuse check", "Child safeguarding check",
		"Metropolitan Police Service (E23000001)", "Release date:   18 January 2027 (release day)", "https://safeguarding.example.org/checks/"} {
		if !strings.Contains(text, want) {
			t.Errorf("the digest lacks %q", want)
		}
	}
	// The subject names the most urgent check, its reason and date, and counts the others.
	if want := "Release close: DA check for X222222, release 18 January 2027 – and 3 more checks"; msgs[0].Subject() != want {
		t.Errorf("subject %q, want %q", msgs[0].Subject(), want)
	}
}

func TestTheMessageIDComesFromTheIdempotencyKey(t *testing.T) {
	f := newFixture(t)
	key := f.queueReminders(t).Emails[0].Key
	if _, err := f.sender.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := f.smtp.To(comEmail)
	if len(msgs) != 1 || msgs[0].MessageID() != "<"+key+"@probation.example.org>" {
		t.Errorf("Message-ID = %q, want <%s@probation.example.org>", msgs[0].MessageID(), key)
	}
}

func TestOneConnectionCarriesABatch(t *testing.T) {
	f := newFixture(t)
	for i, e := range []string{"a@x.example.org", "b@x.example.org", "c@x.example.org"} {
		if _, err := f.outbox.Insert(context.Background(), notify.Email{Key: strings.Repeat(string(rune('a'+i)), 64), To: e, Subject: "s", Text: "t", HTML: "<p>t</p>",
			Status: notify.StatusPending, NextAttemptAt: f.clock.Now(), CreatedAt: f.clock.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	before := f.smtp.Sessions()
	if res, err := f.sender.Drain(context.Background()); err != nil || res.Sent != 3 {
		t.Fatalf("drain = %+v, %v", res, err)
	}
	if n := f.smtp.Sessions() - before; n != 1 {
		t.Errorf("3 emails took %d connections, want 1", n)
	}
}

func TestWithoutAMailServerEmailsAreWrittenAsFiles(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "mail")
	f.sender = notify.NewSender(f.outbox, notify.FileMailer{Dir: dir, From: "safeguarding@localhost"}, f.clock, notify.DefaultSenderConfig(), testenv.Logger())
	key := f.queueReminders(t).Emails[0].Key
	if res, err := f.sender.Drain(context.Background()); err != nil || res.Sent != 1 {
		t.Fatalf("drain = %+v, %v", res, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 || !strings.Contains(files[0], key[:16]) {
		t.Fatalf("files = %v, want one .eml named after the key", files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the .eml is not a mail message: %v", err)
	}
	if to := m.Header.Get("To"); to != "<"+comEmail+">" {
		t.Errorf("To = %q", to)
	}
	if id := m.Header.Get("Message-Id"); id != "<"+key+"@localhost>" {
		t.Errorf("Message-ID = %q, want <%s@localhost>", id, key)
	}
	if !strings.Contains(string(b), "X123456") {
		t.Error("the .eml lacks the CRN")
	}
}

func TestRetryingEveryStuckEmailRequeuesThoseThatCanGoAndAuditsThemFirst(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.clock.Now().UTC().Truncate(time.Millisecond)
	stuck := func(key string, status notify.Status, to, missing, recipient string) {
		t.Helper()
		e := notify.Email{Key: strings.Repeat(key, 64), To: to, Missing: missing, Subject: "Safeguarding checks", Text: "One check.",
			HTML: "<p>One check.</p>", Items: []string{key + "/request_notice"}, Recipient: recipient, Status: status,
			LastError: "550 refused", NextAttemptAt: now, AsOf: now, CreatedAt: now}
		if _, err := f.outbox.Insert(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	empty := ""
	if _, err := f.svc.UpdateAgency(ctx, checks.System("test"), "E23000002", nil, checks.AgencyPatch{ContactEmail: &empty}); err != nil {
		t.Fatal(err)
	}
	stuck("a", notify.StatusDead, comEmail, "", "com "+f.com.ID)
	stuck("b", notify.StatusUndeliverable, "", "the contact mailbox of the Met", "agency_contact E23000001")
	stuck("c", notify.StatusUndeliverable, "", "the contact mailbox of Cumbria", "agency_contact E23000002")

	refused := errors.New("the audit is away")
	if _, err := f.esc.RetryAll(ctx, func(context.Context, []checks.EmailRetry) error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("retry all with the audit failing: %v, want its error", err)
	}
	if page, _ := f.outbox.List(ctx, notify.StatusPending, time.Time{}, 10, ""); len(page.Items) != 0 {
		t.Fatalf("an unaudited retry requeued %d emails", len(page.Items))
	}

	res, err := f.esc.RetryAll(ctx, f.audit())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Requeued) != 2 || len(res.Left) != 1 || res.Left[0].Key != strings.Repeat("c", 64) {
		t.Fatalf("retry all = %d requeued, left %+v; want the dead one and the Met's requeued, Cumbria's left", len(res.Requeued), res.Left)
	}
	for key, to := range map[string]string{"a": comEmail, "b": metContact} {
		if e := f.email(t, strings.Repeat(key, 64)); e.Status != notify.StatusPending || e.To != to || e.Attempts != 0 {
			t.Errorf("email %s after retry all: %s to %q, %d attempts; want pending to %s", key, e.Status, e.To, e.Attempts, to)
		}
	}
	trail, err := f.svc.Audit(ctx, checks.System("test"), checks.AuditFilter{Resource: checks.ResourceEmail})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range trail.Items {
		if a.Action == "email.retry" {
			got[a.ResourceID[:1]] = a.Changes[0].Before
		}
	}
	if len(got) != 2 || got["a"] != "dead" || got["b"] != "undeliverable" {
		t.Errorf("audited retries = %v, want a (dead) and b (undeliverable) only", got)
	}
}
