package notify_test

import (
	"context"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
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
