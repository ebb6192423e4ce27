package notify_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

// seedOpenChecks writes n open checks straight to the store: required, requested and
// responded in turn, released over the 26 weeks after 1 March 2027, spread over 40 teams and
// the 43 police forces. As of 1 February 2027 about 38% of them have a rung due.
func seedOpenChecks(b *testing.B, st *store.Store, deadlines checks.Deadlines, n int) {
	b.Helper()
	ctx := context.Background()
	agencies, err := checks.Directory()
	if err != nil {
		b.Fatal(err)
	}
	var police []string
	for _, a := range agencies {
		if a.Kind == checks.KindPolice {
			police = append(police, a.Code)
		}
	}
	start := checks.MustDate("2027-03-01")
	requested := time.Date(2027, 1, 20, 10, 0, 0, 0, time.UTC)
	batch := make([]checks.Check, 0, 1000)
	for i := range n {
		release := start.AddDays(i % 182)
		c := checks.Check{
			ID: bson.NewObjectID().Hex(), ReleaseID: bson.NewObjectID().Hex(), Type: checks.TypeDomesticAbuse,
			Agency: police[i%len(police)], Status: []checks.Status{checks.StatusRequired, checks.StatusRequested, checks.StatusResponded}[i%3],
			RequestBy: deadlines.RequestBy(release), CRN: fmt.Sprintf("X%06d", i), FullName: "Person", DateOfBirth: checks.MustDate("1985-03-02"),
			ReleaseDate: release, Team: fmt.Sprintf("T%02d", i%40), COMID: bson.NewObjectID().Hex(), Version: 2,
			History: []checks.HistoryEntry{{At: requested, ActorName: "seed", Role: checks.RoleCOM, Action: checks.ActionCreate, To: checks.StatusRequired}},
			// Notices went out long ago: only the ladder's dated rungs are left to decide.
			Escalations: map[string]checks.Escalation{string(notify.RequestNotice): {At: requested}, string(notify.ResponseNotice): {At: requested}},
		}
		if c.Status != checks.StatusRequired {
			c.RequestedAt, c.DueDate = requested, deadlines.ResponseDue(requested, release)
		}
		batch = append(batch, c)
		if len(batch) == cap(batch) || i == n-1 {
			if err := st.InsertChecks(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// escalationSizes are the numbers of open checks the escalation benchmarks run over: a
// region's (1,000 to 10,000), the country's (about 30,000), and more. On the embedded server
// a run reads every open check through FerretDB v1's JSON decoding, and a real run's every
// escalation record is a conditional update that scans the collection, so the larger sizes
// run on a real engine only (SAFEGUARDING_TEST_MONGODB_URI) unless asked for with
// SAFEGUARDING_BENCH_LARGE=1.
func escalationSizes(realRun bool) []int {
	sizes := []int{1000, 10000, 30000, 50000}
	if testenv.RealEngine() || os.Getenv("SAFEGUARDING_BENCH_LARGE") != "" {
		return sizes
	}
	if realRun {
		return nil // 1,000 took 250 s here: each of its 379 records scans the checks
	}
	return []int{1000, 10000, 50000}
}

// escalationFixture is n open checks on a fresh database, and the escalator over them, as
// of Monday 1 February 2027 at 07:00.
type escalationFixture struct {
	db   *mongo.Database
	st   *store.Store
	esc  *notify.Escalator
	open []checks.Status
}

func newEscalationFixture(b *testing.B, n int) *escalationFixture {
	b.Helper()
	ctx := context.Background()
	db := testenv.Database(b)
	st := store.New(db, testenv.Logger())
	deadlines := checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}
	clock := testenv.At(b, "2027-02-01T07:00:00Z")
	svc := checks.NewService(st, clock, deadlines, testenv.Logger())
	if err := svc.Start(ctx); err != nil {
		b.Fatal(err)
	}
	outbox := store.NewOutbox(db)
	if err := outbox.EnsureIndexes(ctx); err != nil {
		b.Fatal(err)
	}
	seedOpenChecks(b, st, deadlines, n)
	esc := notify.NewEscalator(st, st, outbox, notify.Ladder{Thresholds: notify.DefaultThresholds(), Deadlines: deadlines}, clock, "https://x", testenv.Logger())
	return &escalationFixture{db: db, st: st, esc: esc,
		open: []checks.Status{checks.StatusRequired, checks.StatusRequested, checks.StatusResponded}}
}

// BenchmarkEscalationRun measures a dry run of the whole ladder over n open checks: the scan
// and the decisions, which every run pays for every open check (writes are paid only for
// the rungs due). Each iteration also times its baseline on the same data, interleaved so
// that both see the same machine: reading the same open checks through the store with no
// ladder. It reports the whole run's time, both per check, and their ratio.
func BenchmarkEscalationRun(b *testing.B) {
	for _, n := range escalationSizes(false) {
		b.Run(fmt.Sprintf("open=%d", n), func(b *testing.B) {
			ctx := context.Background()
			f := newEscalationFixture(b, n)
			var due int
			var scan, run time.Duration
			for b.Loop() {
				start := time.Now()
				seen := 0
				if err := f.st.OpenChecks(ctx, f.open, time.Time{}, func(checks.Check) error { seen++; return nil }); err != nil || seen != n {
					b.Fatalf("baseline read %d checks (%v), want %d", seen, err, n)
				}
				scan += time.Since(start)
				start = time.Now()
				plan, err := f.esc.Run(ctx, notify.RunOptions{DryRun: true})
				if err != nil || plan.Checked != n {
					b.Fatalf("run looked at %d checks (%v), want %d", plan.Checked, err, n)
				}
				run += time.Since(start)
				due = len(plan.Items)
			}
			b.ReportMetric(run.Seconds()/float64(b.N), "run-s")
			b.ReportMetric(float64(run.Nanoseconds())/float64(b.N)/float64(n), "run-ns/check")
			b.ReportMetric(float64(scan.Nanoseconds())/float64(b.N)/float64(n), "scan-ns/check")
			b.ReportMetric(float64(run)/float64(scan), "run/scan")
			b.ReportMetric(float64(due), "due")
		})
	}
}

// BenchmarkEscalationRunWrites measures a real run over n open checks, as of a day when
// about 38% of them have a rung due (a heavy day: the first run after several missed ones).
// Besides the dry run's work it queues one digest per recipient in the outbox and records
// each rung on its check (one conditional update each). Each iteration starts from the same
// state (the records of the previous iteration's run removed and the outbox emptied,
// untimed), then times a dry run and the real run, interleaved. It reports both runs' whole
// times and their ratio.
func BenchmarkEscalationRunWrites(b *testing.B) {
	sizes := escalationSizes(true)
	if len(sizes) == 0 {
		b.Skipf("on the embedded server each record scans the checks (a run over 1,000 took 250 s): set %s, or SAFEGUARDING_BENCH_LARGE=1", testenv.EngineVar)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("open=%d", n), func(b *testing.B) {
			ctx := context.Background()
			f := newEscalationFixture(b, n)
			// The rungs a run records; the seed's notices stay.
			unset := bson.M{}
			for _, r := range notify.Rules() {
				if r != notify.RequestNotice && r != notify.ResponseNotice {
					unset["escalations."+string(r)] = ""
				}
			}
			var dry, real time.Duration
			var due, recorded, emails int
			for b.Loop() {
				b.StopTimer()
				if _, err := f.db.Collection("checks").UpdateMany(ctx, bson.M{}, bson.M{"$unset": unset}); err != nil {
					b.Fatal(err)
				}
				for _, c := range []string{"outbox", "outbox_sent"} {
					if _, err := f.db.Collection(c).DeleteMany(ctx, bson.M{}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				plan, err := f.esc.Run(ctx, notify.RunOptions{DryRun: true})
				if err != nil || plan.Checked != n {
					b.Fatalf("dry run looked at %d checks (%v), want %d", plan.Checked, err, n)
				}
				dry += time.Since(start)
				start = time.Now()
				plan, err = f.esc.Run(ctx, notify.RunOptions{})
				if err != nil || plan.Checked != n {
					b.Fatalf("run looked at %d checks (%v), want %d", plan.Checked, err, n)
				}
				real += time.Since(start)
				due, recorded, emails = len(plan.Items), 0, 0
				for _, it := range plan.Items {
					if it.Recorded {
						recorded++
					}
				}
				for _, e := range plan.Emails {
					if e.Queued {
						emails++
					}
				}
				if recorded != due || due == 0 {
					b.Fatalf("the run recorded %d of %d rungs due", recorded, due)
				}
			}
			b.ReportMetric(dry.Seconds()/float64(b.N), "dry-s")
			b.ReportMetric(real.Seconds()/float64(b.N), "run-s")
			b.ReportMetric(float64(real)/float64(dry), "run/dry")
			b.ReportMetric(float64(due), "recorded")
			b.ReportMetric(float64(emails), "emails")
		})
	}
}

// BenchmarkOutboxDrain measures draining 200 queued emails from the outbox into an SMTP server
// on loopback, alternately with one connection per batch of 50 (reuse) and one connection per
// email, so that both modes see the same machine. It reports each rate and their ratio.
func BenchmarkOutboxDrain(b *testing.B) {
	const emails = 200
	ctx := context.Background()
	outbox := store.NewOutbox(testenv.Database(b))
	if err := outbox.EnsureIndexes(ctx); err != nil {
		b.Fatal(err)
	}
	smtp := testenv.StartSMTP(b)
	clock := testenv.At(b, "2027-02-01T07:00:00Z")
	sender := func(perEmail bool) *notify.Sender {
		mailer := notify.NewSMTPMailer(notify.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLS: notify.TLSNone, From: "safeguarding@example.org",
			Timeout: 10 * time.Second, OneConnectionPerEmail: perEmail})
		return notify.NewSender(outbox, mailer, clock, notify.DefaultSenderConfig(), testenv.Logger())
	}
	reuse, perEmail := sender(false), sender(true)
	body := strings.Repeat("A line of a digest about one check. ", 40)
	seq := 0
	queue := func() {
		for j := range emails {
			seq++
			e := notify.Email{Key: fmt.Sprintf("%064x", seq), To: fmt.Sprintf("r%d@example.org", j), Subject: "Safeguarding checks",
				Text: body, HTML: "<p>" + body + "</p>", Status: notify.StatusPending, NextAttemptAt: clock.Now(), CreatedAt: clock.Now()}
			if _, err := outbox.Insert(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	var times [2]time.Duration
	for b.Loop() {
		for i, s := range []*notify.Sender{reuse, perEmail} {
			queue()
			start := time.Now()
			res, err := s.Drain(ctx)
			if err != nil || res.Sent != emails {
				b.Fatalf("drain = %+v, %v", res, err)
			}
			times[i] += time.Since(start)
			smtp.Reset()
		}
	}
	b.ReportMetric(float64(emails*b.N)/times[0].Seconds(), "reuse-emails/s")
	b.ReportMetric(float64(emails*b.N)/times[1].Seconds(), "per-email-emails/s")
	b.ReportMetric(times[1].Seconds()/times[0].Seconds(), "reuse-speedup")
}

// BenchmarkSMTPMailer isolates what connection reuse saves: 200 emails handed straight to
// the mailer in batches of 50, alternately over one connection per batch and one per email,
// with no database.
func BenchmarkSMTPMailer(b *testing.B) {
	const emails = 200
	body := strings.Repeat("A line of a digest about one check. ", 40)
	now := time.Date(2027, 2, 1, 7, 0, 0, 0, time.UTC)
	batch := make([]notify.Email, emails)
	for j := range batch {
		batch[j] = notify.Email{Key: fmt.Sprintf("%064x", j), To: fmt.Sprintf("r%d@example.org", j), Subject: "Safeguarding checks",
			Text: body, HTML: "<p>" + body + "</p>", CreatedAt: now}
	}
	smtp := testenv.StartSMTP(b)
	mailer := func(perEmail bool) *notify.SMTPMailer {
		return notify.NewSMTPMailer(notify.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLS: notify.TLSNone, From: "safeguarding@example.org",
			Timeout: 10 * time.Second, OneConnectionPerEmail: perEmail})
	}
	size := notify.DefaultSenderConfig().Batch
	var times [2]time.Duration
	for b.Loop() {
		for i, m := range []*notify.SMTPMailer{mailer(false), mailer(true)} {
			start := time.Now()
			for j := 0; j < emails; j += size {
				m.Send(context.Background(), batch[j:j+size], func(_ int, err error) {
					if err != nil {
						b.Fatal(err)
					}
				})
			}
			times[i] += time.Since(start)
			smtp.Reset()
		}
	}
	b.ReportMetric(float64(emails*b.N)/times[0].Seconds(), "reuse-emails/s")
	b.ReportMetric(float64(emails*b.N)/times[1].Seconds(), "per-email-emails/s")
	b.ReportMetric(times[1].Seconds()/times[0].Seconds(), "reuse-speedup")
}
