package notify_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
)

// postpone moves the fixture's release to date, as its COM does.
func (f *fixture) postpone(t *testing.T, r checks.Release, date string) {
	t.Helper()
	if _, err := f.svc.UpdateRelease(context.Background(), f.com, r.ID, nil, checks.ReleasePatch{ReleaseDate: &date}); err != nil {
		t.Fatal(err)
	}
}

func TestAPostponedReleaseIsChasedAgainAgainstItsNewDatesOnceEach(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	f.at(t, "2026-12-31 12:00")
	// Release on Monday 15 February 2027 (request by 4 January), postponed on 12 January to
	// Monday 1 March (request by 18 January). Nobody requests anything.
	got := f.walk(t, "2027-03-03", map[string][]action{
		"2027-01-12": {{"10:00", func(t *testing.T, f *fixture) { f.postpone(t, r, "2027-03-01") }}},
	})
	want := map[string][]string{
		"2027-01-04": {"request_reminder → " + comEmail},
		"2027-01-11": {"request_overdue → " + comEmail, "request_overdue → " + managerEmail},
		// Against the new request-by date, the reminder and the overdue notice again.
		"2027-01-18": {"request_reminder → " + comEmail},
		"2027-01-25": {"request_overdue → " + comEmail, "request_overdue → " + managerEmail},
		// Nothing on 8 February, five working days before the old release date: the release
		// is imminent against the new one, and released incomplete the day after it.
		"2027-02-22": {"release_imminent → " + comEmail, "release_imminent → " + managerEmail},
		"2027-03-02": {"released_incomplete → " + managerEmail},
	}
	for day := range want {
		slices.Sort(want[day])
	}
	assertDeliveries(t, got, want)

	c, err := f.svc.Check(context.Background(), f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rule         notify.Rule
		basis, first string
	}{
		{notify.RequestReminder, "2027-01-18", "2027-01-04"},
		{notify.RequestOverdue, "2027-01-18", "2027-01-04"},
		{notify.ReleaseImminent, "2027-03-01", ""},
		{notify.ReleasedIncomplete, "2027-03-01", ""},
	}
	for _, tt := range tests {
		t.Run("the record of "+string(tt.rule)+" names its basis and keeps its earlier firing", func(t *testing.T) {
			e := c.Escalations[string(tt.rule)]
			if e.Basis.String() != tt.basis {
				t.Errorf("basis %s, want %s", e.Basis, tt.basis)
			}
			var earlier []string
			for _, x := range e.Earlier {
				earlier = append(earlier, x.Basis.String())
				if len(x.To) == 0 || x.At.IsZero() {
					t.Errorf("earlier firing %+v lacks when or to whom", x)
				}
			}
			if wantEarlier := slices.DeleteFunc([]string{tt.first}, func(s string) bool { return s == "" }); !slices.Equal(earlier, wantEarlier) {
				t.Errorf("earlier firings against %v, want %v", earlier, wantEarlier)
			}
		})
	}
}

func TestACrashBeforeARefiredRungIsRecordedSendsItOnceAllTheSame(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	f.at(t, "2027-01-04 07:00")
	f.run(t)
	f.received()
	f.at(t, "2027-01-12 10:00")
	f.postpone(t, r, "2027-03-01")
	f.at(t, "2027-01-18 07:00")
	crashing := notify.NewEscalator(failingMarks{f.store}, f.store, f.outbox, f.ladder, f.clock, "https://x", testenv.Logger())
	if _, err := crashing.Run(context.Background(), notify.RunOptions{}); err == nil {
		t.Fatal("the cut-off run reported no error")
	}
	f.clock.Advance(time.Minute)
	plan := f.run(t)
	if len(plan.Emails) != 0 {
		t.Errorf("the run after the crash queued %d emails, want none: the re-fired reminder is queued", len(plan.Emails))
	}
	recorded := 0
	for _, it := range plan.Items {
		if it.Recorded && it.Rule == notify.RequestReminder && it.Basis.String() == "2027-01-18" {
			recorded++
		}
	}
	if recorded != 2 {
		t.Errorf("recorded %d reminders against 18 January, want both checks'", recorded)
	}
	if msgs := f.received(); len(msgs) != 1 || headline(msgs[0]) != notify.RequestReminder {
		t.Errorf("the COM got %d emails on 18 January, want the one reminder", len(msgs))
	}
}

func TestRecordsWrittenBeforeBasesWereKeptSendNothingAgainAndReArmOnceTheDateMoves(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	ctx := context.Background()
	// An earlier version reminded the COM of both checks on 4 January and recorded it
	// without a basis.
	at := time.Date(2027, 1, 4, 7, 0, 0, 0, time.UTC)
	old := bson.M{"at": at, "as_of": at, "to": bson.A{comEmail}}
	if _, err := f.store.Database().Collection("checks").UpdateMany(ctx, bson.M{"release_id": r.ID},
		bson.M{"$set": bson.M{"escalations.request_reminder": old}}); err != nil {
		t.Fatal(err)
	}
	f.at(t, "2027-01-05 07:00")
	if plan := f.run(t); len(plan.Items) != 0 || plan.Adopted != 2 {
		t.Errorf("the first run after the upgrade planned %d rungs and adopted %d records, want none and 2", len(plan.Items), plan.Adopted)
	}
	if msgs := f.received(); len(msgs) != 0 {
		t.Errorf("the first run after the upgrade sent %d emails, want none", len(msgs))
	}
	c, err := f.svc.Check(ctx, f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID)
	if err != nil {
		t.Fatal(err)
	}
	if e := c.Escalations[string(notify.RequestReminder)]; e.Basis.String() != "2027-01-04" || !e.At.Equal(at) {
		t.Errorf("the old record became %+v, want it kept with the basis of the day it was read", e)
	}
	f.at(t, "2027-01-06 07:00")
	if plan := f.run(t); plan.Adopted != 0 {
		t.Errorf("the second run adopted %d records, want none", plan.Adopted)
	}
	f.at(t, "2027-01-06 10:00")
	f.postpone(t, r, "2027-03-01")
	f.at(t, "2027-01-18 07:00")
	f.run(t)
	if msgs := f.received(); len(msgs) != 1 || headline(msgs[0]) != notify.RequestReminder {
		t.Errorf("on the new request-by date the COM got %d emails, want the reminder", len(msgs))
	}
}

func TestTheAgencyIsToldWithinSecondsWhenARequestsDueDateMoves(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	ctx := context.Background()
	da := checkOf(t, r, checks.TypeDomesticAbuse)
	notices := func(t *testing.T) []testenv.Message {
		t.Helper()
		f.clock.Advance(20 * time.Second)
		f.runWith(t, notify.RunOptions{Rules: notify.NoticeRules()})
		return f.smtp.To(metContact)
	}
	// Requested on Monday 1 February for release on 15 February: due Monday 8 February.
	f.at(t, "2027-02-01 10:00")
	if _, err := f.svc.RequestCheck(ctx, f.com, da.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	f.smtp.Reset()
	f.clock.Advance(20 * time.Second)
	f.runWith(t, notify.RunOptions{Rules: notify.NoticeRules()})
	if msgs := f.smtp.To(metContact); len(msgs) != 1 || headline(msgs[0]) != notify.RequestNotice || !strings.Contains(msgs[0].Text(), "8 February 2027") {
		t.Fatalf("the Met got %d emails at the request, want the request notice giving 8 February", len(msgs))
	}
	tests := []struct {
		name        string
		at, release string
		want        string // what the Met's email says of the due date; empty: no email
	}{
		{"a postponement that moves the due date is told with the date it replaces",
			"2027-02-02 10:00", "2027-03-15", "15 February 2027 (was 8 February 2027)"},
		{"a postponement that leaves the due date alone tells nothing", "2027-02-03 10:00", "2027-04-01", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.smtp.Reset()
			f.at(t, tt.at)
			f.postpone(t, r, tt.release)
			msgs := notices(t)
			switch {
			case tt.want == "" && len(msgs) != 0:
				t.Errorf("the Met got %d emails, want none", len(msgs))
			case tt.want != "" && (len(msgs) != 1 || headline(msgs[0]) != notify.DueDateChanged || !strings.Contains(msgs[0].Text(), tt.want)):
				t.Errorf("the Met got %d emails, want one due date change saying %q", len(msgs), tt.want)
			case tt.want != "":
				assertNoPersonalData(t, msgs[0])
			}
		})
	}
	// The next daily run has nothing more to tell the Met.
	f.smtp.Reset()
	f.at(t, "2027-02-04 07:00")
	f.run(t)
	if msgs := f.smtp.To(metContact); len(msgs) != 0 {
		t.Errorf("the daily run sent the Met %d emails, want none", len(msgs))
	}
	c, err := f.svc.Check(ctx, f.com, da.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e := c.Escalations[string(notify.DueDateChanged)]; e.Basis.String() != "2027-02-15" || !slices.Equal(e.To, []string{metContact}) {
		t.Errorf("due_date_changed record = %+v, want against 15 February, to the Met's contact", e)
	}
}

func TestARunDatedInTheFutureIsOnlyEverADryRun(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	f.at(t, "2027-01-04 07:00")
	now := f.clock.Now()
	tests := []struct {
		name    string
		opts    notify.RunOptions
		refused bool
	}{
		{"a run that writes as of a minute from now is refused", notify.RunOptions{AsOf: now.Add(time.Minute)}, true},
		{"a run that writes as of next week is refused", notify.RunOptions{AsOf: now.AddDate(0, 0, 7)}, true},
		{"a dry run may stand next week", notify.RunOptions{AsOf: now.AddDate(0, 0, 7), DryRun: true}, false},
		{"a run that writes as of yesterday is run", notify.RunOptions{AsOf: now.AddDate(0, 0, -1)}, false},
		{"a run that writes as of now is run", notify.RunOptions{AsOf: now}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.esc.Run(context.Background(), tt.opts)
			if !tt.refused {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, notify.ErrFutureRun) || checks.ErrorCode(err) != checks.EMALFORMED {
				t.Fatalf("run = %v, want the future refused as a malformed request", err)
			}
			var e *checks.Error
			if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "as_of" {
				t.Errorf("the refusal names %+v, want as_of", e)
			}
			page, err := f.outbox.List(context.Background(), "", time.Time{}, 10, "")
			if err != nil || len(page.Items) != 0 {
				t.Errorf("a refused run queued %d emails (%v)", len(page.Items), err)
			}
			c, _ := f.svc.Check(context.Background(), f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID)
			if len(c.Escalations) != 0 {
				t.Errorf("a refused run recorded %v", c.Escalations)
			}
		})
	}
}
