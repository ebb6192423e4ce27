package notify_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

func TestTheSchedulerSweepsAtStartAndSendsNoticesWithinSeconds(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	f.at(t, "2027-01-04 07:00") // the request-by date: the COM's reminders are due
	if _, err := f.svc.RequestCheck(context.Background(), f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	s := notify.NewScheduler(f.esc, f.sender, checks.NewCalendar(nil), f.clock, notify.DefaultSchedule, 50*time.Millisecond, 50*time.Millisecond, testenv.Logger())
	maintained := make(chan struct{}, 10)
	s.Maintenance = func(context.Context) error { maintained <- struct{}{}; return nil }
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(f.smtp.To(comEmail)) == 0 || len(f.smtp.To(metContact)) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("within 30 s: %d emails to the COM, %d to the Met; want the start-up sweep's reminder and the request notice",
				len(f.smtp.To(comEmail)), len(f.smtp.To(metContact)))
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.Stop(ctx)
	if len(maintained) == 0 {
		t.Error("the start-up sweep did not run the maintenance")
	}
	if at, _ := s.LastRun(); !at.Equal(f.clock.Now()) {
		t.Errorf("last run at %s, want the start-up sweep at %s", at, f.clock.Now())
	}
	if got := headline(f.smtp.To(comEmail)[0]); got != notify.RequestReminder {
		t.Errorf("the COM got %s, want the request reminder", got)
	}
}

// Shutdown does not wait for the start-up sweep: Stop cancels it and returns. The sweep is
// held at the database (a proxy keeps one of its queries from the server), once in the
// maintenance that comes before the ladder and once in the ladder's own read of the open
// checks. Stop gets a generous deadline: it must return before that, on its own. A
// cancelled sweep recorded nothing half-way: the next run sends the reminder, once.
func TestStopCancelsAStartUpSweepThatTheDatabaseHoldsAndReturnsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name          string
		command, coll string
	}{
		{"held in the maintenance before the ladder", "find", "releases"},
		{"held in the ladder's read of the open checks", "find", "checks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.release(t)
			f.at(t, "2027-01-04 07:00") // the request-by date: the COM's reminder is due
			proxy := testenv.StartDBProxy(t, "")
			client, err := mongo.Connect(options.Client().ApplyURI(proxy.URI(testenv.RealEngine())))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
			db := f.store.Database().Name()
			slow := store.New(client.Database(db), testenv.Logger())
			slowSvc := checks.NewService(slow, f.clock, f.ladder.Deadlines, testenv.Logger())
			esc := notify.NewEscalator(slow, slow, store.NewOutbox(client.Database(db)), f.ladder, f.clock,
				"https://safeguarding.example.org", testenv.Logger())
			hold := proxy.Hold(db, tc.command, tc.coll)

			s := notify.NewScheduler(esc, f.sender, checks.NewCalendar(nil), f.clock, notify.DefaultSchedule, time.Hour, time.Hour, testenv.Logger())
			s.Maintenance = slowSvc.Maintain
			if err := s.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			<-hold.Held()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			s.Stop(ctx)
			if ctx.Err() != nil {
				t.Fatal("Stop returned only at its deadline: it waited for the sweep instead of cancelling it")
			}
			hold.Release()

			if at, _ := s.LastRun(); !at.IsZero() {
				t.Errorf("the cancelled sweep counts as a run at %s", at)
			}
			f.run(t)
			if got := f.smtp.To(comEmail); len(got) != 1 || headline(got[0]) != notify.RequestReminder {
				t.Errorf("after the cancelled sweep, the next run sent the COM %d emails, want the one reminder", len(got))
			}
		})
	}
}
