package main

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// testWorld is a world of 40 teams over one year, with made-up user ids, as of a Tuesday.
func testWorld(t *testing.T) *world {
	t.Helper()
	deadlines := checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}
	today := checks.MustDate("2026-12-01")
	w := &world{
		now: at(today, 12, 0), today: today, deadlines: deadlines,
		ladder: notify.Ladder{Thresholds: notify.DefaultThresholds(), Deadlines: deadlines},
		seed:   7, ahead: 150, back: 365 - 150,
		liaisons: map[string]person{}, boxes: map[string]agencyBox{},
	}
	directory, err := checks.Directory()
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range directory {
		if a.Kind == checks.KindPolice {
			w.police = append(w.police, a.Code)
		} else {
			w.councils = append(w.councils, a.Code)
		}
		w.liaisons[a.Code] = person{fmt.Sprintf("%024x", 1_000_000+i), "Liaison " + a.Code, a.Code + "@example.org"}
		w.boxes[a.Code] = agencyBox{"c@" + a.Code, "e@" + a.Code}
	}
	for i := range 40 {
		tm := team{code: fmt.Sprintf("N01-T%02d", i+1), police: w.police[i%4], council: w.councils[i%17]}
		for j := range 6 {
			tm.coms = append(tm.coms, person{fmt.Sprintf("%024x", i*100+j), "COM", fmt.Sprintf("com%d.%d@example.org", j, i)})
		}
		tm.managers = []person{{fmt.Sprintf("%024x", i*100+99), "Manager", fmt.Sprintf("m.%d@example.org", i)}}
		w.teams = append(w.teams, tm)
	}
	return w
}

func TestTheSameSeedMakesTheSameRelease(t *testing.T) {
	w := testWorld(t)
	a, b := w.release(12345), w.release(12345)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("release 12345 made twice differs")
	}
	if c := w.release(12346); c.release.ID == a.release.ID || c.release.CRN == a.release.CRN {
		t.Errorf("releases 12345 and 12346 share an id or a CRN: %s %s", c.release.ID, c.release.CRN)
	}
}

// Every generated release, check and audit entry is one the service could have written:
// nothing happens after now, each status has the fields it needs, a check's version counts
// its changes, closed checks are in the past, and the ladder finds nothing left over from
// before today on any open check.
func TestGeneratedDataIsWhatTheServiceWouldHaveWritten(t *testing.T) {
	w := testWorld(t)
	const n = 5000
	byStatus := map[checks.Status]int{}
	crns := map[string]bool{}
	var histories, escalations int
	for i := range n {
		g := w.release(i)
		r := g.release
		if !checks.ValidID(r.ID) || crns[r.CRN] || !r.CreatedAt.Before(w.now) || len(r.Slots) != 2 || len(g.checks) != 2 {
			t.Fatalf("release %d: %+v", i, r)
		}
		crns[r.CRN] = true
		if _, ok := checks.ParseCRN(r.CRN); !ok {
			t.Fatalf("release %d: CRN %q", i, r.CRN)
		}
		if r.ReleaseDate.Before(w.today.AddDays(-w.back-1)) || r.ReleaseDate.After(w.today.AddDays(w.ahead+1)) {
			t.Fatalf("release %d on %s, outside the window", i, r.ReleaseDate)
		}
		for k, c := range g.checks {
			byStatus[c.Status]++
			histories += len(c.History)
			escalations += len(c.Escalations)
			if c.ID != r.Slots[k].CheckID || c.Agency != r.Slots[k].Agency || c.ReleaseID != r.ID || c.Team != r.Team || c.COMID != r.COMID {
				t.Fatalf("check %d/%d does not match its release", i, k)
			}
			if int(c.Version) != len(c.History) {
				t.Fatalf("check %d/%d: version %d with %d history entries", i, k, c.Version, len(c.History))
			}
			for j, h := range c.History {
				if !h.At.Before(w.now) || (j > 0 && h.At.Before(c.History[j-1].At)) {
					t.Fatalf("check %d/%d: history entry %d at %s (now %s)", i, k, j, h.At, w.now)
				}
			}
			switch c.Status {
			case checks.StatusRequested:
				if c.RequestedAt.IsZero() || c.DueDate.IsZero() {
					t.Fatalf("check %d/%d requested without its date or due date", i, k)
				}
			case checks.StatusResponded:
				if c.Response == nil || c.Response.Summary == "" {
					t.Fatalf("check %d/%d answered without a response", i, k)
				}
			case checks.StatusCompleted:
				if c.Response == nil || c.CompletedAt.IsZero() || c.CompletionNote == "" || len(c.History) < 4 {
					t.Fatalf("check %d/%d completed without what completion needs", i, k)
				}
			case checks.StatusNotRequired:
				if c.NotRequiredReason == "" {
					t.Fatalf("check %d/%d not required without a reason", i, k)
				}
			case checks.StatusWithdrawn:
				if r.Status != checks.ReleaseCancelled {
					t.Fatalf("check %d/%d withdrawn, its release %s", i, k, r.Status)
				}
			}
			if c.Status.Open() && c.ReleaseDate.Before(w.today.AddDays(-30)) {
				t.Fatalf("check %d/%d still %s, released on %s", i, k, c.Status, c.ReleaseDate)
			}
			if due := w.ladder.Due(c, w.today.AddDays(-1), nil); len(due) > 0 {
				t.Fatalf("check %d/%d (%s): rungs %v were due yesterday and are not recorded", i, k, c.Status, due)
			}
			for rule, e := range c.Escalations {
				if !e.At.Before(w.now) || len(e.To) == 0 {
					t.Fatalf("check %d/%d: escalation %s %+v", i, k, rule, e)
				}
			}
		}
		if len(g.audit) < 3 {
			t.Fatalf("release %d: %d audit entries", i, len(g.audit))
		}
		for _, e := range g.audit {
			if !e.At.Before(w.now) || !checks.ValidID(e.ID) || e.ReleaseID != r.ID {
				t.Fatalf("release %d: audit entry %+v", i, e)
			}
		}
	}
	open := byStatus[checks.StatusRequired] + byStatus[checks.StatusRequested] + byStatus[checks.StatusResponded]
	closed := 2*n - open
	t.Logf("statuses %v; %.1f history entries, %.1f escalations a check", byStatus, float64(histories)/(2*n), float64(escalations)/(2*n))
	// Most checks are closed; the open ones are the coming months' (150 days of 365 here).
	if closed < open || open < 2*n/5 {
		t.Errorf("%d open and %d closed of %d", open, closed, 2*n)
	}
	for _, s := range checks.Statuses() {
		if byStatus[s] == 0 {
			t.Errorf("no check is %s", s)
		}
	}
}
