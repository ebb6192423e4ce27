package notify_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
)

// action is something a person does on a day of a walk, at a London time.
type action struct {
	at string // "15:04"
	do func(t *testing.T, f *fixture)
}

// walk runs the ladder at 07:00 on every working day from the day after the clock's day to
// last, does the day's actions (each followed by a notices sweep 20 seconds later, as the
// scheduler would), and returns what was delivered each day as "rule → address" lines.
func (f *fixture) walk(t *testing.T, last string, actions map[string][]action) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	cal := checks.NewCalendar(nil)
	for d := checks.DateOf(f.clock.Now()).AddDays(1); !d.After(checks.MustDate(last)); d = d.AddDays(1) {
		day := d.String()
		if cal.IsWorkday(d) {
			f.at(t, day+" 07:00")
			f.run(t)
		}
		for _, a := range actions[day] {
			f.at(t, day+" "+a.at)
			a.do(t, f)
			f.clock.Advance(20 * time.Second)
			f.runWith(t, notify.RunOptions{Rules: notify.NoticeRules()})
		}
		for _, m := range f.received() {
			for _, to := range m.To {
				got[day] = append(got[day], fmt.Sprintf("%s → %s", headline(m), to))
			}
			assertNoPersonalData(t, m)
		}
		slices.Sort(got[day])
	}
	return got
}

// assertNoPersonalData fails when an email holds the person's name, date of birth, NOMS
// number or a response summary.
func assertNoPersonalData(t *testing.T, m testenv.Message) {
	t.Helper()
	text := m.Subject() + "\n" + m.Text()
	for _, secret := range []string{"John Smith", "1985-03-02", "A1234BC", "call-outs", "Nothing held"} {
		if strings.Contains(text, secret) {
			t.Errorf("email to %v contains %q", m.To, secret)
		}
	}
	if !strings.Contains(text, "X123456") {
		t.Errorf("email to %v lacks the CRN", m.To)
	}
}

func TestAReleaseNobodyActsOnIsChasedUpTheLadderUntilAfterRelease(t *testing.T) {
	f := newFixture(t)
	f.release(t)
	got := f.walk(t, "2027-02-19", nil)
	want := map[string][]string{
		// Request-by date: the COM is reminded of both checks, in one email.
		"2027-01-04": {"request_reminder → " + comEmail},
		// Five working days later: overdue, to the COM and the team's manager.
		"2027-01-11": {"request_overdue → " + comEmail, "request_overdue → " + managerEmail},
		// Five working days before release: the COM and the managers, and no agency, which was
		// never asked for anything.
		"2027-02-08": {"release_imminent → " + comEmail, "release_imminent → " + managerEmail},
		// The day after release: the managers, once.
		"2027-02-16": {"released_incomplete → " + managerEmail},
	}
	for day := range want {
		slices.Sort(want[day])
	}
	assertDeliveries(t, got, want)
}

func TestACOMAndLiaisonsOnTimeGetOnlyTheNoticesAndRemindersPromised(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	da, cs := checkOf(t, r, checks.TypeDomesticAbuse), checkOf(t, r, checks.TypeChildSafeguarding)
	ctx := context.Background()
	must := func(t *testing.T, _ checks.Check, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	got := f.walk(t, "2027-02-19", map[string][]action{
		// Requested on Tuesday 1 December: both answers due Tuesday 15 December.
		"2026-12-01": {{"10:00", func(t *testing.T, f *fixture) {
			c, err := f.svc.RequestCheck(ctx, f.com, da.ID, nil, "")
			must(t, c, err)
			c, err = f.svc.RequestCheck(ctx, f.com, cs.ID, nil, "")
			must(t, c, err)
		}}},
		// The police answer before their reminder is due (11 December).
		"2026-12-10": {{"11:00", func(t *testing.T, f *fixture) {
			c, err := f.svc.RespondToCheck(ctx, f.police, da.ID, nil, checks.ResponseInput{Outcome: "information_held", Summary: "Two call-outs in 2024."})
			must(t, c, err)
		}}},
		"2026-12-11": {{"14:00", func(t *testing.T, f *fixture) {
			c, err := f.svc.CompleteCheck(ctx, f.com, da.ID, nil, "Licence condition added.")
			must(t, c, err)
		}}},
		// Children's services answer on time, after their reminder.
		"2026-12-14": {{"10:00", func(t *testing.T, f *fixture) {
			c, err := f.svc.RespondToCheck(ctx, f.childrens, cs.ID, nil, checks.ResponseInput{Outcome: "no_information", Summary: "Nothing held."})
			must(t, c, err)
		}}, {"15:00", func(t *testing.T, f *fixture) {
			c, err := f.svc.CompleteCheck(ctx, f.com, cs.ID, nil, "No change.")
			must(t, c, err)
		}}},
	})
	want := map[string][]string{
		"2026-12-01": {"request_notice → " + cityContact, "request_notice → " + metContact},
		"2026-12-10": {"response_notice → " + comEmail},
		"2026-12-11": {"response_reminder → " + cityContact},
		"2026-12-14": {"response_notice → " + comEmail},
	}
	assertDeliveries(t, got, want)
}

func TestAReleaseCloseIsToldToWhoeverMustActByTheStatusOfEachCheck(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	da, cs := checkOf(t, r, checks.TypeDomesticAbuse), checkOf(t, r, checks.TypeChildSafeguarding)
	ctx := context.Background()
	f.at(t, "2027-01-29 12:00")
	got := f.walk(t, "2027-02-08", map[string][]action{
		"2027-02-01": {{"10:00", func(t *testing.T, f *fixture) {
			for _, id := range []string{da.ID, cs.ID} {
				if _, err := f.svc.RequestCheck(ctx, f.com, id, nil, ""); err != nil {
					t.Fatal(err)
				}
			}
		}}},
		"2027-02-02": {{"10:00", func(t *testing.T, f *fixture) {
			if _, err := f.svc.RespondToCheck(ctx, f.police, da.ID, nil, checks.ResponseInput{Outcome: "no_information", Summary: "Nothing held."}); err != nil {
				t.Fatal(err)
			}
		}}},
	})
	// Release on Monday 15 February. The police have answered: the COM and the managers must
	// act, the police have nothing to do. Children's services have not: their escalation
	// mailbox and the managers hear of it.
	want := []string{"release_imminent → " + cityEscalation, "release_imminent → " + comEmail, "release_imminent → " + managerEmail}
	slices.Sort(want)
	if !slices.Equal(got["2027-02-08"], want) {
		t.Errorf("delivered on 8 February %q\n                       want %q", got["2027-02-08"], want)
	}
}

func assertDeliveries(t *testing.T, got, want map[string][]string) {
	t.Helper()
	var days []string
	for d := range got {
		days = append(days, d)
	}
	for d := range want {
		if _, ok := got[d]; !ok {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	for _, d := range days {
		if !slices.Equal(got[d], want[d]) {
			t.Errorf("%s: delivered %q\n            want %q", d, got[d], want[d])
		}
	}
}

func TestAnAnswerOverdueIsChasedThenEscalated(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	f.at(t, "2026-12-01 10:00")
	if _, err := f.svc.RequestCheck(context.Background(), f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	f.run(t)
	f.received() // the request notice
	got := f.walk(t, "2026-12-22", nil)
	// Due Tuesday 15 December: reminded Friday 11th, overdue Wednesday 16th, escalated
	// Friday 18th (3 working days after the due date).
	want := map[string][]string{
		"2026-12-11": {"response_reminder → " + metContact},
		"2026-12-16": {"response_overdue → " + comEmail, "response_overdue → " + metContact},
		"2026-12-18": {"response_escalated → " + metEscalation, "response_escalated → " + managerEmail},
	}
	for day := range want {
		slices.Sort(want[day])
	}
	// The CS check, never requested, is reminded on 4 January: outside this walk.
	assertDeliveries(t, got, want)
}

func TestEachRungIsRecordedOnTheCheckWithWhenAndToWhom(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	f.at(t, "2027-01-04 07:00")
	f.run(t)
	c, err := f.svc.Check(context.Background(), f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID)
	if err != nil {
		t.Fatal(err)
	}
	e, ok := c.Escalations[string(notify.RequestReminder)]
	if !ok || !e.At.Equal(f.clock.Now()) || !slices.Equal(e.To, []string{comEmail}) || len(e.Undeliverable) != 0 {
		t.Errorf("request_reminder record = %+v, %v; want now, to the COM", e, ok)
	}
	if c.Version != 1 {
		t.Errorf("recording an escalation bumped the version to %d: it must not trip clients' If-Match", c.Version)
	}
}

func TestRunningTheSameAsOfTwiceSendsNothingNew(t *testing.T) {
	f := newFixture(t)
	f.release(t)
	f.at(t, "2027-01-11 07:00")
	first := f.run(t)
	if len(first.Items) != 4 || len(f.received()) != 2 {
		t.Fatalf("first run: %d escalations, want 4 (reminder and overdue of both checks) in 2 emails", len(first.Items))
	}
	second := f.run(t)
	if len(second.Items) != 0 || len(second.Emails) != 0 {
		t.Errorf("second run: %d escalations, %d emails; want none", len(second.Items), len(second.Emails))
	}
	if msgs := f.received(); len(msgs) != 0 {
		t.Errorf("second run delivered %d emails, want 0", len(msgs))
	}
}

func TestTwoRunsAtOnceRecordEachRungOnce(t *testing.T) {
	f := newFixture(t)
	for i := range 5 {
		_, err := f.svc.CreateRelease(context.Background(), f.com, checks.ReleaseInput{
			CRN: fmt.Sprintf("X10000%d", i), NOMSNumber: "A1234BC", FullName: "Person", DateOfBirth: "1985-03-02",
			ReleaseDate: "2027-02-15", PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
			Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.at(t, "2027-02-08 07:00")
	plans := make([]notify.Plan, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			plans[i], errs[i] = f.esc.Run(context.Background(), notify.RunOptions{})
		}()
	}
	wg.Wait()
	recorded := map[string]int{}
	for i, p := range plans {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		for _, it := range p.Items {
			if it.Recorded {
				recorded[it.CheckID+"/"+string(it.Rule)]++
			}
		}
	}
	// 10 checks, each with request_reminder, request_overdue and release_imminent due.
	if len(recorded) != 30 {
		t.Errorf("%d rungs recorded, want 30", len(recorded))
	}
	for k, n := range recorded {
		if n != 1 {
			t.Errorf("%s recorded %d times, want once", k, n)
		}
	}
	if _, err := f.sender.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Whatever the interleaving, each recipient gets its digest once.
	perRecipient := map[string]int{}
	for _, m := range f.received() {
		for _, to := range m.To {
			perRecipient[to]++
		}
	}
	for to, n := range perRecipient {
		if n != 1 {
			t.Errorf("%s got %d emails, want 1", to, n)
		}
	}
	if len(perRecipient) != 2 {
		t.Errorf("emails went to %v, want the COM and the manager (no check was requested of an agency)", perRecipient)
	}
}

func TestADryRunPlansButWritesNothing(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	plan := f.runWith(t, notify.RunOptions{AsOf: time.Date(2027, 1, 11, 7, 0, 0, 0, time.UTC), DryRun: true})
	if len(plan.Items) != 4 || len(plan.Emails) != 2 || !plan.DryRun {
		t.Fatalf("dry run planned %d escalations in %d emails, want 4 in 2", len(plan.Items), len(plan.Emails))
	}
	for _, it := range plan.Items {
		if it.Recorded || len(it.To) == 0 {
			t.Errorf("dry-run item %+v: recorded or without recipients", it)
		}
	}
	if msgs := f.received(); len(msgs) != 0 {
		t.Errorf("a dry run delivered %d emails", len(msgs))
	}
	page, err := f.outbox.List(context.Background(), "", time.Time{}, 10, "")
	if err != nil || len(page.Items) != 0 {
		t.Errorf("a dry run queued %d emails (%v)", len(page.Items), err)
	}
	c, _ := f.svc.Check(context.Background(), f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID)
	if len(c.Escalations) != 0 {
		t.Errorf("a dry run recorded %v", c.Escalations)
	}
}

func TestClosedChecksNeverEscalate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	da, cs := checkOf(t, r, checks.TypeDomesticAbuse), checkOf(t, r, checks.TypeChildSafeguarding)
	if _, err := f.svc.MarkNotRequired(ctx, f.com, cs.ID, nil, "no children in the household"); err != nil {
		t.Fatal(err)
	}
	other, err := f.svc.CreateRelease(ctx, f.com, checks.ReleaseInput{
		CRN: "Y654321", NOMSNumber: "B2345CD", FullName: "Jane Doe", DateOfBirth: "1990-01-01",
		ReleaseDate: "2027-02-15", PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
		Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CancelRelease(ctx, f.com, other.ID, nil, "recalled"); err != nil {
		t.Fatal(err)
	}
	plan := f.runWith(t, notify.RunOptions{AsOf: time.Date(2027, 2, 20, 7, 0, 0, 0, time.UTC), DryRun: true})
	for _, it := range plan.Items {
		if it.CheckID != da.ID {
			t.Errorf("a closed check escalated: %+v", it)
		}
	}
	// The open check, and the cancelled release's two checks: a run reads the checks
	// withdrawn lately, for the notice of their withdrawal (never requested, they get none).
	if plan.Checked != 3 {
		t.Errorf("looked at %d checks, want 3 (one open, two withdrawn)", plan.Checked)
	}
}

func TestLadderRules(t *testing.T) {
	cal := checks.NewCalendar(nil)
	l := notify.Ladder{Thresholds: notify.DefaultThresholds(), Deadlines: checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: cal}}
	base := checks.Check{RequestBy: checks.MustDate("2027-01-04"), ReleaseDate: checks.MustDate("2027-02-15")}
	with := func(status checks.Status, due string, fired ...notify.Rule) checks.Check {
		c := base
		c.Status = status
		if due != "" {
			c.DueDate = checks.MustDate(due)
		}
		c.Escalations = map[string]checks.Escalation{}
		for _, r := range fired {
			c.Escalations[string(r)] = checks.Escalation{}
		}
		return c
	}
	tests := []struct {
		name  string
		check checks.Check
		today string
		want  []notify.Rule
	}{
		{"nothing is due on a required check before its request-by date", with(checks.StatusRequired, ""), "2027-01-01", nil},
		{"the request reminder is due on the request-by date", with(checks.StatusRequired, ""), "2027-01-04", []notify.Rule{notify.RequestReminder}},
		{"a fired rung is not due again", with(checks.StatusRequired, "", notify.RequestReminder), "2027-01-05", nil},
		{"the request is overdue five working days after the request-by date", with(checks.StatusRequired, "", notify.RequestReminder), "2027-01-11", []notify.Rule{notify.RequestOverdue}},
		{"a requested check is due its notice", with(checks.StatusRequested, "2027-01-20"), "2027-01-10", []notify.Rule{notify.RequestNotice}},
		{"the response reminder is due two working days before the due date", with(checks.StatusRequested, "2027-01-20", notify.RequestNotice), "2027-01-18", []notify.Rule{notify.ResponseReminder}},
		{"the response is overdue the day after the due date", with(checks.StatusRequested, "2027-01-20", notify.RequestNotice, notify.ResponseReminder), "2027-01-21", []notify.Rule{notify.ResponseOverdue}},
		{"the response is escalated three working days after the due date", with(checks.StatusRequested, "2027-01-20", notify.RequestNotice, notify.ResponseReminder, notify.ResponseOverdue), "2027-01-25", []notify.Rule{notify.ResponseEscalated}},
		{"a responded check is due its notice", with(checks.StatusResponded, "2027-01-20"), "2027-01-21", []notify.Rule{notify.ResponseNotice}},
		{"release is imminent five working days before", with(checks.StatusResponded, "2027-01-20", notify.ResponseNotice), "2027-02-08", []notify.Rule{notify.ReleaseImminent}},
		{"release is not imminent six working days before", with(checks.StatusResponded, "2027-01-20", notify.ResponseNotice), "2027-02-05", nil},
		{"an open check after release is released incomplete", with(checks.StatusResponded, "2027-01-20", notify.ResponseNotice, notify.ReleaseImminent), "2027-02-16", []notify.Rule{notify.ReleasedIncomplete}},
		{"a completed check is due nothing", with(checks.StatusCompleted, "2027-01-20"), "2027-02-16", nil},
		{"a not-required check is due nothing", with(checks.StatusNotRequired, ""), "2027-02-16", nil},
		{"a withdrawn check is due nothing", with(checks.StatusWithdrawn, ""), "2027-02-16", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := l.Due(tt.check, checks.MustDate(tt.today), nil)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Due on %s = %v, want %v", tt.today, got, tt.want)
			}
		})
	}
}

func TestEveryThresholdIsConfigurable(t *testing.T) {
	l := notify.Ladder{
		Thresholds: notify.Thresholds{RequestOverdueDays: 1, ResponseReminderDays: 0, ResponseEscalationDays: 1, ReleaseImminentDays: 10},
		Deadlines:  checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)},
	}
	required := checks.Check{Status: checks.StatusRequired, RequestBy: checks.MustDate("2027-01-04"), ReleaseDate: checks.MustDate("2027-03-15"),
		Escalations: map[string]checks.Escalation{string(notify.RequestReminder): {}}}
	if got := l.Due(required, checks.MustDate("2027-01-05"), nil); !slices.Equal(got, []notify.Rule{notify.RequestOverdue}) {
		t.Errorf("overdue after 1 working day: %v", got)
	}
	requested := checks.Check{Status: checks.StatusRequested, DueDate: checks.MustDate("2027-01-20"), ReleaseDate: checks.MustDate("2027-03-15"),
		Escalations: map[string]checks.Escalation{string(notify.RequestNotice): {}}}
	if got := l.Due(requested, checks.MustDate("2027-01-20"), nil); !slices.Equal(got, []notify.Rule{notify.ResponseReminder}) {
		t.Errorf("reminder on the due date: %v", got)
	}
	requested.Escalations[string(notify.ResponseReminder)] = checks.Escalation{}
	requested.Escalations[string(notify.ResponseOverdue)] = checks.Escalation{}
	if got := l.Due(requested, checks.MustDate("2027-01-21"), nil); !slices.Equal(got, []notify.Rule{notify.ResponseEscalated}) {
		t.Errorf("escalated 1 working day after: %v", got)
	}
	if got := l.Due(requested, checks.MustDate("2027-03-01"), map[notify.Rule]bool{notify.ReleaseImminent: true}); !slices.Equal(got, []notify.Rule{notify.ReleaseImminent}) {
		t.Errorf("imminent 10 working days before: %v", got)
	}
}
