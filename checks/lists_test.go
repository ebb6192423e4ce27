package checks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

// seedReleases records n releases for the COM's team, released on consecutive days from
// Monday 15 February 2027, with CRNs X100000, X100001, ...
func (f *fixture) seedReleases(t *testing.T, n int) []checks.Release {
	t.Helper()
	var out []checks.Release
	for i := range n {
		out = append(out, f.release(t, func(in *checks.ReleaseInput) {
			in.CRN = fmt.Sprintf("X1%05d", i)
			in.ReleaseDate = checks.MustDate("2027-02-15").AddDays(i).String()
		}))
	}
	return out
}

func TestListingChecksFollowsTheCursorThroughEveryPage(t *testing.T) {
	f := newFixture(t)
	f.seedReleases(t, 7)
	seen := map[string]bool{}
	var last string
	in := checks.CheckFilter{Limit: 3}
	pages := 0
	for {
		page, err := f.svc.Checks(context.Background(), f.com, in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, c := range page.Items {
			if seen[c.ID] {
				t.Errorf("check %s listed twice", c.ID)
			}
			seen[c.ID] = true
			if d := c.ReleaseDate.String(); d < last {
				t.Errorf("release date %s listed after %s", d, last)
			}
			last = c.ReleaseDate.String()
		}
		if page.NextCursor == "" {
			break
		}
		in.Cursor = page.NextCursor
	}
	if len(seen) != 14 || pages != 5 {
		t.Errorf("listed %d checks in %d pages, want 14 in 5", len(seen), pages)
	}
}

func TestCheckListFilters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rs := f.seedReleases(t, 4)
	// Release 0: DA requested; release 1: DA answered; release 2: CS not required.
	f.walk(t, checkOf(t, rs[0], checks.TypeDomesticAbuse), checks.ActionRequest)
	f.walk(t, checkOf(t, rs[1], checks.TypeDomesticAbuse), checks.ActionRequest, checks.ActionRespond)
	f.walk(t, checkOf(t, rs[2], checks.TypeChildSafeguarding), checks.ActionNotRequired)

	tests := []struct {
		name   string
		filter checks.CheckFilter
		want   int
	}{
		{"no filter lists every check of the team", checks.CheckFilter{}, 8},
		{"by status", checks.CheckFilter{Status: "required"}, 5},
		{"by type", checks.CheckFilter{Type: "child_safeguarding"}, 4},
		{"by agency", checks.CheckFilter{Agency: "E23000001"}, 4},
		{"by agency in lower case", checks.CheckFilter{Agency: "e09000001"}, 4},
		{"by status and type", checks.CheckFilter{Status: "not_required", Type: "child_safeguarding"}, 1},
		{"released before a date", checks.CheckFilter{ReleaseBefore: "2027-02-17"}, 4},
		{"not overdue today", checks.CheckFilter{Overdue: "false"}, 8},
		{"overdue today: none", checks.CheckFilter{Overdue: "true"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := f.svc.Checks(ctx, f.com, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != tt.want {
				t.Errorf("got %d checks, want %d", len(page.Items), tt.want)
			}
		})
	}
}

func TestOverdueMeansNotRequestedAfterRequestByOrNotAnsweredAfterDue(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	da := f.walk(t, checkOf(t, r, checks.TypeDomesticAbuse), checks.ActionRequest) // due 2026-12-08
	cs := checkOf(t, r, checks.TypeChildSafeguarding)                              // request by 2027-01-04

	overdue := func(at string) map[checks.CheckType]bool {
		t.Helper()
		f.clock.Set(checks.MustDate(at).Midday())
		page, err := f.svc.Checks(ctx, f.com, checks.CheckFilter{Overdue: "true"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[checks.CheckType]bool{}
		for _, c := range page.Items {
			got[c.Type] = true
			if !c.Overdue(f.svc.Today()) {
				t.Errorf("%s listed as overdue but Overdue() is false on %s", c.Type, at)
			}
		}
		return got
	}
	if got := overdue("2026-12-08"); len(got) != 0 {
		t.Errorf("on the due date: overdue %v, want none", got)
	}
	if got := overdue("2026-12-09"); !got[checks.TypeDomesticAbuse] || got[checks.TypeChildSafeguarding] {
		t.Errorf("the day after the due date: overdue %v, want the DA check only", got)
	}
	if got := overdue("2027-01-05"); !got[checks.TypeDomesticAbuse] || !got[checks.TypeChildSafeguarding] {
		t.Errorf("the day after the request-by date: overdue %v, want both", got)
	}
	f.walk(t, da, checks.ActionRespond)
	f.walk(t, cs, checks.ActionRequest) // due 19 January 2027, so not overdue yet
	if got := overdue("2027-01-05"); len(got) != 0 {
		t.Errorf("after the answer and the request: overdue %v, want none", got)
	}
}

func TestListsHoldOnlyWhatTheCallerMaySee(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ours := f.release(t)
	theirs, err := f.svc.CreateRelease(ctx, f.otherCOM, func() checks.ReleaseInput {
		in := validRelease()
		in.CRN, in.PoliceForce = "Z999999", "E23000002"
		return in
	}())
	if err != nil {
		t.Fatal(err)
	}
	f.walk(t, checkOf(t, ours, checks.TypeDomesticAbuse), checks.ActionRequest)
	if _, err := f.svc.RequestCheck(ctx, f.otherCOM, checkOf(t, theirs, checks.TypeChildSafeguarding).ID, nil, ""); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		actor    func(*fixture) checks.User
		releases int // -1: forbidden
		checks   int
	}{
		{"an admin sees everything", func(f *fixture) checks.User { return f.admin }, 2, 4},
		{"a COM sees its team's", func(f *fixture) checks.User { return f.com }, 1, 2},
		{"a COM of the other team sees its own", func(f *fixture) checks.User { return f.otherCOM }, 1, 2},
		{"a manager sees its teams'", func(f *fixture) checks.User { return f.manager }, 1, 2},
		{"a manager of other teams sees theirs", func(f *fixture) checks.User { return f.otherManager }, 1, 2},
		{"the police liaison sees the one check requested of it", func(f *fixture) checks.User { return f.police }, -1, 1},
		{"Cumbria's liaison sees nothing: its check was never requested", func(f *fixture) checks.User { return f.otherPolice }, -1, 0},
		{"the City of London's liaison sees the other team's requested check", func(f *fixture) checks.User { return f.childrens }, -1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.actor(f)
			rel, err := f.svc.Releases(ctx, u, checks.ReleaseFilter{})
			if tt.releases < 0 {
				wantCode(t, err, checks.EFORBIDDEN)
			} else if err != nil || len(rel.Items) != tt.releases {
				t.Errorf("releases: %d (%v), want %d", len(rel.Items), err, tt.releases)
			}
			chk, err := f.svc.Checks(ctx, u, checks.CheckFilter{})
			if err != nil || len(chk.Items) != tt.checks {
				t.Errorf("checks: %d (%v), want %d", len(chk.Items), err, tt.checks)
			}
			for _, c := range chk.Items {
				if u.Role == checks.RoleLiaison && (c.Agency != u.Agency || c.Team != "") {
					t.Errorf("liaison got check of %s with team %q", c.Agency, c.Team)
				}
			}
		})
	}
	// Filtering by a team out of scope gives nothing rather than another team's data.
	page, err := f.svc.Releases(ctx, f.com, checks.ReleaseFilter{Team: "N08-T2"})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("a COM filtering by another team got %d releases (%v), want 0", len(page.Items), err)
	}
	page2, err := f.svc.Checks(ctx, f.police, checks.CheckFilter{Agency: "E23000002"})
	if err != nil || len(page2.Items) != 0 {
		t.Errorf("a liaison filtering by another agency got %d checks (%v), want 0", len(page2.Items), err)
	}
}

func TestReleaseListFilters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rs := f.seedReleases(t, 5) // 15 to 19 February 2027
	if _, err := f.svc.CancelRelease(ctx, f.com, rs[4].ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.UpdateRelease(ctx, f.com, rs[3].ID, nil, checks.ReleasePatch{COMID: &f.com2.ID}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		filter checks.ReleaseFilter
		want   int
	}{
		{"everything", checks.ReleaseFilter{}, 5},
		{"from a date", checks.ReleaseFilter{ReleaseFrom: "2027-02-17"}, 3},
		{"up to a date", checks.ReleaseFilter{ReleaseTo: "2027-02-16"}, 2},
		{"between dates", checks.ReleaseFilter{ReleaseFrom: "2027-02-16", ReleaseTo: "2027-02-18"}, 3},
		{"active only", checks.ReleaseFilter{Status: "active"}, 4},
		{"cancelled only", checks.ReleaseFilter{Status: "cancelled"}, 1},
		{"by COM", checks.ReleaseFilter{COMID: f.com2.ID}, 1},
		{"by team", checks.ReleaseFilter{Team: "N07-T1"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := f.svc.Releases(ctx, f.com, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != tt.want {
				t.Errorf("got %d releases, want %d", len(page.Items), tt.want)
			}
			for _, r := range page.Items {
				if len(r.Checks) != 2 {
					t.Errorf("release %s listed with %d checks, want 2", r.ID, len(r.Checks))
				}
			}
		})
	}
}

func TestListFiltersAreValidated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"an unknown check status", func() error { _, err := f.svc.Checks(ctx, f.com, checks.CheckFilter{Status: "lost"}); return err }, "status"},
		{"an unknown check type", func() error { _, err := f.svc.Checks(ctx, f.com, checks.CheckFilter{Type: "drugs"}); return err }, "type"},
		{"overdue that is not a boolean", func() error { _, err := f.svc.Checks(ctx, f.com, checks.CheckFilter{Overdue: "yes"}); return err }, "overdue"},
		{"a malformed release_before", func() error {
			_, err := f.svc.Checks(ctx, f.com, checks.CheckFilter{ReleaseBefore: "soon"})
			return err
		}, "release_before"},
		{"a limit over 200", func() error { _, err := f.svc.Checks(ctx, f.com, checks.CheckFilter{Limit: 500}); return err }, "limit"},
		{"a malformed release_from", func() error {
			_, err := f.svc.Releases(ctx, f.com, checks.ReleaseFilter{ReleaseFrom: "2027-13-01"})
			return err
		}, "release_from"},
		{"an unknown release status", func() error { _, err := f.svc.Releases(ctx, f.com, checks.ReleaseFilter{Status: "gone"}); return err }, "status"},
		{"a malformed COM id", func() error { _, err := f.svc.Releases(ctx, f.com, checks.ReleaseFilter{COMID: "colm"}); return err }, "com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			e, ok := err.(*checks.Error)
			if !ok || len(e.Fields) == 0 || e.Fields[0].Field != tt.field {
				t.Errorf("got %v, want a problem with %s", err, tt.field)
			}
		})
	}
	_, err := f.svc.Checks(ctx, f.com, checks.CheckFilter{Cursor: "not-a-cursor"})
	wantCode(t, err, checks.EMALFORMED)
}

func TestWorkingDaysToReleaseAndTodayFollowTheClock(t *testing.T) {
	f := newFixture(t)
	f.clock.Set(time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC)) // still 31 December in London
	if got := f.svc.Today().String(); got != "2026-12-31" {
		t.Errorf("today = %s, want 2026-12-31", got)
	}
	f.clock.Set(time.Date(2027, 6, 30, 23, 30, 0, 0, time.UTC)) // 00:30 on 1 July in London (BST)
	if got := f.svc.Today().String(); got != "2027-07-01" {
		t.Errorf("today = %s, want 2027-07-01", got)
	}
}
