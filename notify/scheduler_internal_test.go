package notify

import (
	"context"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
)

// The daily run decides from the calendar alone, before it touches anything: this test has
// no escalator, sender or database, and would fail with a nil dereference if it ran.
func TestTheDailyRunSkipsDaysThatAreNotWorkingDays(t *testing.T) {
	for _, day := range []string{
		"2026-12-28T07:00:00Z", // the Boxing Day substitute
		"2026-12-26T07:00:00Z", // a Saturday
		"2027-03-26T07:00:00Z", // Good Friday
	} {
		t.Run(day, func(t *testing.T) {
			s := NewScheduler(nil, nil, checks.NewCalendar(nil), testenv.At(t, day), DefaultSchedule, time.Hour, time.Hour, testenv.Logger())
			s.daily(context.Background())
			if at, _ := s.LastRun(); !at.IsZero() {
				t.Errorf("a run on a day off at %s", at)
			}
		})
	}
}
