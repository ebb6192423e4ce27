package checks_test

import (
	"context"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

// history is a set of releases and what people did to them, day by day, from Tuesday
// 24 November 2026. Every figure the tests expect is counted by hand from it.
type history struct {
	f                   *fixture
	a, b, c, d, ff, g   checks.Release
	aDA, bDA, dDA, fDA0 checks.Check
}

func (f *fixture) atLondon(t *testing.T, s string) {
	t.Helper()
	when, err := time.ParseInLocation("2006-01-02 15:04", s, checks.London())
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Set(when)
}

func newHistory(t *testing.T) *history {
	t.Helper()
	f := newFixture(t)
	h := &history{f: f}
	ctx := context.Background()
	must := func(_ checks.Check, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	rel := func(as checks.User, crn, date string) checks.Release {
		t.Helper()
		in := validRelease()
		in.CRN, in.ReleaseDate = crn, date
		r, err := f.svc.CreateRelease(ctx, as, in)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f.atLondon(t, "2026-11-24 09:00")
	h.a = rel(f.com, "A000001", "2026-12-14")      // everything done in time
	h.b = rel(f.com, "B000002", "2026-12-15")      // answered on the day of release
	h.c = rel(f.com, "C000003", "2026-12-16")      // cancelled
	h.d = rel(f.otherCOM, "D000004", "2026-12-17") // the other team's
	h.ff = rel(f.com, "F000006", "2026-12-18")     // moved to Cumbria's area
	h.g = rel(f.com, "G000007", "2027-02-01")      // outside the period; answered across Christmas
	h.aDA, h.bDA, h.dDA, h.fDA0 = checkOf(t, h.a, checks.TypeDomesticAbuse), checkOf(t, h.b, checks.TypeDomesticAbuse), checkOf(t, h.d, checks.TypeDomesticAbuse), checkOf(t, h.ff, checks.TypeDomesticAbuse)
	answer := checks.ResponseInput{Outcome: "information_held", Summary: "One call-out."}

	f.atLondon(t, "2026-11-24 10:00")
	must(f.svc.RequestCheck(ctx, f.com, h.aDA.ID, nil, ""))
	must(f.svc.RequestCheck(ctx, f.com, h.bDA.ID, nil, ""))
	f.atLondon(t, "2026-11-25 10:00")
	must(f.svc.RequestCheck(ctx, f.otherCOM, h.dDA.ID, nil, ""))
	f.atLondon(t, "2026-11-26 10:00")
	must(f.svc.RespondToCheck(ctx, f.police, h.dDA.ID, nil, answer))
	f.atLondon(t, "2026-11-30 10:00")
	must(f.svc.RespondToCheck(ctx, f.police, h.aDA.ID, nil, answer))
	f.atLondon(t, "2026-12-01 10:00")
	must(f.svc.CompleteCheck(ctx, f.com, h.aDA.ID, nil, "read"))
	must(f.svc.MarkNotRequired(ctx, f.com, checkOf(t, h.a, checks.TypeChildSafeguarding).ID, nil, "No children in the household"))
	must(f.svc.MarkNotRequired(ctx, f.otherCOM, checkOf(t, h.d, checks.TypeChildSafeguarding).ID, nil, "Child lives elsewhere"))
	must(f.svc.RequestCheck(ctx, f.com, h.fDA0.ID, nil, ""))
	f.atLondon(t, "2026-12-02 10:00")
	if _, err := f.svc.CancelRelease(ctx, f.com, h.c.ID, nil, "parole refused"); err != nil {
		t.Fatal(err)
	}
	cumbria := "E23000002"
	if _, err := f.svc.UpdateRelease(ctx, f.com, h.ff.ID, nil, checks.ReleasePatch{PoliceForce: &cumbria}); err != nil {
		t.Fatal(err)
	}
	f.atLondon(t, "2026-12-15 09:00")
	must(f.svc.RespondToCheck(ctx, f.police, h.bDA.ID, nil, answer))
	f.atLondon(t, "2026-12-16 10:00")
	must(f.svc.CompleteCheck(ctx, f.com, h.bDA.ID, nil, "read"))
	must(f.svc.RequestCheck(ctx, f.com, checkOf(t, h.b, checks.TypeChildSafeguarding).ID, nil, ""))
	f.atLondon(t, "2026-12-22 10:00")
	must(f.svc.RequestCheck(ctx, f.com, checkOf(t, h.g, checks.TypeDomesticAbuse).ID, nil, ""))
	f.atLondon(t, "2027-01-05 10:00")
	must(f.svc.RespondToCheck(ctx, f.police, checkOf(t, h.g, checks.TypeDomesticAbuse).ID, nil, answer))
	f.atLondon(t, "2027-01-06 09:00")
	return h
}

func pct(v float64) *float64 { return &v }

func samePct(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func showPct(p *float64) any {
	if p == nil {
		return "none"
	}
	return *p
}

type wantFigures struct {
	required, notRequired, requested, responded, completed int
	requestedPct, respondedPct, completedPct               *float64
}

func assertFigures(t *testing.T, what string, got checks.TypeFigures, want wantFigures) {
	t.Helper()
	if got.Required != want.required || got.NotRequired != want.notRequired || got.RequestedBeforeRelease != want.requested ||
		got.RespondedBeforeRelease != want.responded || got.CompletedBeforeRelease != want.completed ||
		!samePct(got.RequestedPct, want.requestedPct) || !samePct(got.RespondedPct, want.respondedPct) || !samePct(got.CompletedPct, want.completedPct) {
		t.Errorf("%s: required %d, not required %d, requested %d (%v%%), responded %d (%v%%), completed %d (%v%%)\n"+
			"want required %d, not required %d, requested %d (%v%%), responded %d (%v%%), completed %d (%v%%)",
			what, got.Required, got.NotRequired, got.RequestedBeforeRelease, showPct(got.RequestedPct), got.RespondedBeforeRelease, showPct(got.RespondedPct),
			got.CompletedBeforeRelease, showPct(got.CompletedPct),
			want.required, want.notRequired, want.requested, showPct(want.requestedPct), want.responded, showPct(want.respondedPct), want.completed, showPct(want.completedPct))
	}
}

func TestTheCompletionReportCountsWhatWasDoneBeforeRelease(t *testing.T) {
	h := newHistory(t)
	rep, err := h.f.svc.Completion(context.Background(), h.f.admin, checks.ReportScope{From: "2026-12-14", To: "2026-12-18"})
	if err != nil {
		t.Fatal(err)
	}
	// DA: A, B, D and F's new check are required (C was cancelled, F's first check superseded).
	// Requested before release: A, B, D. Answered before: A, D (B on the day). Completed: A.
	assertFigures(t, "domestic abuse, all teams", rep.Types[0], wantFigures{4, 0, 3, 2, 1, pct(75), pct(50), pct(25)})
	// CS: A and D not required; B and F required; B was requested only after release.
	assertFigures(t, "child safeguarding, all teams", rep.Types[1], wantFigures{2, 2, 0, 0, 0, pct(0), pct(0), pct(0)})
	reasons := rep.Types[1].NotRequiredReasons
	if len(reasons) != 2 || reasons[0].Count != 1 || reasons[1].Count != 1 ||
		reasons[0].Reason != "Child lives elsewhere" || reasons[1].Reason != "No children in the household" {
		t.Errorf("not-required reasons = %+v", reasons)
	}
	if len(rep.ByTeam) != 2 || rep.ByTeam[0].Team != "N07-T1" || rep.ByTeam[1].Team != "N08-T2" {
		t.Fatalf("teams = %+v", rep.ByTeam)
	}
	assertFigures(t, "domestic abuse, N07-T1", rep.ByTeam[0].Types[0], wantFigures{3, 0, 2, 1, 1, pct(66.7), pct(33.3), pct(33.3)})
	assertFigures(t, "child safeguarding, N07-T1", rep.ByTeam[0].Types[1], wantFigures{2, 1, 0, 0, 0, pct(0), pct(0), pct(0)})
	assertFigures(t, "domestic abuse, N08-T2", rep.ByTeam[1].Types[0], wantFigures{1, 0, 1, 1, 0, pct(100), pct(100), pct(0)})
	assertFigures(t, "child safeguarding, N08-T2", rep.ByTeam[1].Types[1], wantFigures{0, 1, 0, 0, 0, nil, nil, nil})
}

func TestAManagerSeesOnlyItsOwnTeamsFigures(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	period := checks.ReportScope{From: "2026-12-14", To: "2026-12-18"}
	mine, err := h.f.svc.Completion(ctx, h.f.manager, period)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.ByTeam) != 1 || mine.ByTeam[0].Team != "N07-T1" {
		t.Errorf("the manager of N07-T1 sees teams %+v", mine.ByTeam)
	}
	assertFigures(t, "the manager's domestic abuse", mine.Types[0], wantFigures{3, 0, 2, 1, 1, pct(66.7), pct(33.3), pct(33.3)})
	theirs, err := h.f.svc.Completion(ctx, h.f.otherManager, period)
	if err != nil {
		t.Fatal(err)
	}
	assertFigures(t, "the other manager's domestic abuse", theirs.Types[0], wantFigures{1, 0, 1, 1, 0, pct(100), pct(100), pct(0)})

	period.Team = "N08-T2"
	_, err = h.f.svc.Completion(ctx, h.f.manager, period)
	wantCode(t, err, checks.ENOTFOUND)
	_, err = h.f.svc.AgencyFigures(ctx, h.f.manager, period)
	wantCode(t, err, checks.ENOTFOUND)
	_, err = h.f.svc.Upcoming(ctx, h.f.manager, 10, "N08-T2")
	wantCode(t, err, checks.ENOTFOUND)
	_, err = h.f.svc.Completion(ctx, h.f.police, checks.ReportScope{From: "2026-12-14", To: "2026-12-18"})
	wantCode(t, err, checks.EFORBIDDEN)
}

func TestTheAgencyReportGivesResponseTimesInWorkingDays(t *testing.T) {
	h := newHistory(t)
	ctx := context.Background()
	rep, err := h.f.svc.AgencyFigures(ctx, h.f.admin, checks.ReportScope{From: "2026-11-01", To: "2026-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]checks.AgencyFiguresRow{}
	for _, r := range rep.Agencies {
		rows[r.Agency] = r
	}
	met := rows["E23000001"]
	// Requests of the Met: A, B (24 Nov), D (25 Nov), F's first (1 Dec), G (22 Dec).
	// Answered: A in 4 working days, B in 15, D in 1, G in 7 (22 December to 5 January
	// skips Christmas Day, the Boxing Day substitute and New Year's Day).
	// Sorted 1, 4, 7, 15: median (2nd) 4, 90th percentile (4th) 15.
	if met.Name != "Metropolitan Police Service" || met.Requests != 5 || met.Answered != 4 ||
		*met.MedianDays != 4 || *met.P90Days != 15 || met.Overdue != 0 || !met.OldestOpen.IsZero() {
		t.Errorf("the Met's row = %+v (median %v, p90 %v)", met, showPct(met.MedianDays), showPct(met.P90Days))
	}
	city := rows["E09000001"]
	// One request (B's CS, 16 December, after release): unanswered, due by the hard stop
	// before release, so overdue today, and the oldest open request.
	if city.Requests != 1 || city.Answered != 0 || city.MedianDays != nil || city.Overdue != 1 ||
		!city.OldestOpen.Equal(time.Date(2026, 12, 16, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("the City of London's row = %+v", city)
	}
	if _, ok := rows["E23000002"]; ok {
		t.Error("Cumbria has a row, but nothing was ever requested of it")
	}

	// For the manager of N07-T1: the Met's requests for that team only (A, B, F, G).
	mine, err := h.f.svc.AgencyFigures(ctx, h.f.manager, checks.ReportScope{From: "2026-11-01", To: "2026-12-31"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range mine.Agencies {
		if r.Agency == "E23000001" && (r.Requests != 4 || r.Answered != 3 || *r.MedianDays != 7 || *r.P90Days != 15) {
			t.Errorf("the manager's Met row = %+v (median %v, p90 %v)", r, showPct(r.MedianDays), showPct(r.P90Days))
		}
	}
}

func TestUpcomingListsReleasesSoonWithWhatTheyMiss(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rel := func(as checks.User, crn, date string) checks.Release {
		t.Helper()
		in := validRelease()
		in.CRN, in.ReleaseDate = crn, date
		r, err := f.svc.CreateRelease(ctx, as, in)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	f.atLondon(t, "2026-11-24 10:00")
	a := rel(f.com, "A000001", "2026-12-14")
	b := rel(f.com, "B000002", "2026-12-15")
	c := rel(f.com, "C000003", "2026-12-16")
	d := rel(f.otherCOM, "D000004", "2026-12-17")
	rel(f.com, "F000006", "2026-12-18")
	f.walk(t, checkOf(t, a, checks.TypeDomesticAbuse), checks.ActionRequest, checks.ActionRespond, checks.ActionComplete)
	f.walk(t, checkOf(t, a, checks.TypeChildSafeguarding), checks.ActionNotRequired)
	f.walk(t, checkOf(t, b, checks.TypeDomesticAbuse), checks.ActionRequest)
	if _, err := f.svc.CancelRelease(ctx, f.com, c.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RequestCheck(ctx, f.otherCOM, checkOf(t, d, checks.TypeDomesticAbuse).ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RespondToCheck(ctx, f.police, checkOf(t, d, checks.TypeDomesticAbuse).ID, nil, checks.ResponseInput{Outcome: "no_information"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkNotRequired(ctx, f.otherCOM, checkOf(t, d, checks.TypeChildSafeguarding).ID, nil, "none"); err != nil {
		t.Fatal(err)
	}

	f.atLondon(t, "2026-12-10 09:00")
	rep, err := f.svc.Upcoming(ctx, f.admin, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	// Until Thursday 17 December: A (nothing missing), B (both), C (cancelled), D (DA
	// answered, not completed); F on the 18th is outside.
	if rep.Until.String() != "2026-12-17" || len(rep.Releases) != 2 {
		t.Fatalf("until %s: %d releases %+v, want B and D", rep.Until, len(rep.Releases), rep.Releases)
	}
	rb, rd := rep.Releases[0], rep.Releases[1]
	// B's CS was never requested (request-by 3 November); its DA answer was due on 1 December.
	if rb.CRN != "B000002" || len(rb.Missing) != 2 || rb.WorkingDaysToRelease != 3 ||
		rb.Missing[0].Type != checks.TypeChildSafeguarding || rb.Missing[0].Status != checks.StatusRequired || !rb.Missing[0].Overdue ||
		rb.Missing[1].Status != checks.StatusRequested || rb.Missing[1].Due.String() != "2026-12-01" || !rb.Missing[1].Overdue {
		t.Errorf("B = %+v", rb)
	}
	if rd.CRN != "D000004" || len(rd.Missing) != 1 || rd.Missing[0].Status != checks.StatusResponded || rd.Missing[0].Overdue {
		t.Errorf("D = %+v", rd)
	}
	mine, err := f.svc.Upcoming(ctx, f.manager, 5, "")
	if err != nil || len(mine.Releases) != 1 || mine.Releases[0].CRN != "B000002" {
		t.Errorf("the manager's upcoming = %+v, %v; want B only", mine.Releases, err)
	}
	_, err = f.svc.Upcoming(ctx, f.admin, 0, "")
	wantCode(t, err, checks.EINVALID)
}

func TestADeclinedAnswerIsCountedApartNeverAsAnsweredOrCompleted(t *testing.T) {
	tests := []struct {
		name     string
		outcome  string
		complete bool
		// want: completion figures of the DA check, and the Met's row
		responded, completed, declined int
		answered, agencyDeclined       int
	}{
		{"information held counts as answered", "information_held", true, 1, 1, 0, 1, 0},
		{"declined is counted apart", "declined", false, 0, 0, 1, 0, 1},
		{"declined and completed by the COM is still not done", "declined", true, 0, 0, 1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			c := f.walk(t, checkOf(t, f.release(t), checks.TypeDomesticAbuse), checks.ActionRequest)
			c, err := f.svc.RespondToCheck(ctx, f.police, c.ID, nil, checks.ResponseInput{Outcome: tt.outcome, Summary: "Not without a court order."})
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != checks.StatusResponded {
				t.Errorf("a %s answer leaves the check %s, want responded: the COM must act on it", tt.outcome, c.Status)
			}
			if tt.complete {
				f.walk(t, c, checks.ActionComplete)
			}
			rep, err := f.svc.Completion(ctx, f.admin, checks.ReportScope{From: "2027-02-01", To: "2027-02-28"})
			if err != nil {
				t.Fatal(err)
			}
			da := rep.Types[0]
			if da.Required != 1 || da.RequestedBeforeRelease != 1 || da.RespondedBeforeRelease != tt.responded || da.CompletedBeforeRelease != tt.completed || da.Declined != tt.declined {
				t.Errorf("DA figures: required %d, requested %d, responded %d, completed %d, declined %d; want 1, 1, %d, %d, %d",
					da.Required, da.RequestedBeforeRelease, da.RespondedBeforeRelease, da.CompletedBeforeRelease, da.Declined, tt.responded, tt.completed, tt.declined)
			}
			agencies, err := f.svc.AgencyFigures(ctx, f.admin, checks.ReportScope{From: "2026-11-01", To: "2026-11-30"})
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range agencies.Agencies {
				if row.Agency != "E23000001" {
					continue
				}
				if row.Requests != 1 || row.Answered != tt.answered || row.Declined != tt.agencyDeclined || (row.MedianDays == nil) != (tt.answered == 0) {
					t.Errorf("the Met's row: %d requests, %d answered, %d declined, median %v; want 1, %d, %d", row.Requests, row.Answered, row.Declined, showPct(row.MedianDays), tt.answered, tt.agencyDeclined)
				}
			}
		})
	}
}
