package api

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func TestFollowingNextCursorReturnsEveryItemOnceInReleaseDateOrder(t *testing.T) {
	e := newEnv(t)
	// Releases out of date order, several on one day (so the order falls back on the id), and
	// two of another team that the COM must never see.
	dates := []string{"2027-03-01", "2026-12-15", "2027-01-20", "2026-12-15", "2027-06-30", "2026-12-15", "2027-01-20", "2026-11-30", "2027-02-01"}
	var mine []string
	var myChecks []string
	for i, d := range dates {
		r := e.createRelease(t, e.com, map[string]any{"crn": fmt.Sprintf("P%06d", i), "release_date": d})
		mine = append(mine, r.ID)
		myChecks = append(myChecks, r.Checks[0].ID, r.Checks[1].ID)
	}
	theirs := []string{
		e.createRelease(t, e.otherCOM, map[string]any{"crn": "Q000001", "release_date": "2026-12-15"}).ID,
		e.createRelease(t, e.otherCOM, map[string]any{"crn": "Q000002", "release_date": "2027-01-01"}).ID,
	}

	tests := []struct {
		name  string
		as    caller
		limit int
		want  []string
	}{
		{"a COM pages through its team's releases two at a time", e.com, 2, mine},
		{"a COM pages through its team's releases four at a time", e.com, 4, mine},
		{"a COM gets its team's releases in one page when the limit allows", e.com, 50, mine},
		{"a COM pages through exactly a full last page", e.com, 3, mine},
		{"an admin pages through every team's releases", e.admin, 3, append(slices.Clone(mine), theirs...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := pages[apiRelease](t, e, tc.as, "/api/v1/releases", tc.limit)
			wantOnceInOrder(t, got, tc.want, func(r apiRelease) (string, string) { return r.ID, r.ReleaseDate })
		})
	}

	checkTests := []struct {
		name  string
		as    caller
		limit int
		want  []string
	}{
		{"a COM pages through its team's checks five at a time", e.com, 5, myChecks},
		{"a COM pages through its team's checks one at a time", e.com, 1, myChecks},
		{"a manager pages through the team's checks seven at a time", e.manager, 7, myChecks},
	}
	for _, tc := range checkTests {
		t.Run(tc.name, func(t *testing.T) {
			got := pages[apiCheck](t, e, tc.as, "/api/v1/checks", tc.limit)
			wantOnceInOrder(t, got, tc.want, func(c apiCheck) (string, string) { return c.ID, c.Release.ReleaseDate })
		})
	}

	t.Run("filters hold on every page", func(t *testing.T) {
		got := pages[apiCheck](t, e, e.com, "/api/v1/checks?type=domestic_abuse&release_before=2027-02-01", 2)
		var want []string
		for i := 0; i < len(myChecks); i += 2 {
			if dates[i/2] < "2027-02-01" {
				want = append(want, myChecks[i])
			}
		}
		wantOnceInOrder(t, got, want, func(c apiCheck) (string, string) { return c.ID, c.Release.ReleaseDate })
		for _, c := range got {
			if c.Type != "domestic_abuse" {
				t.Errorf("a %s check in a domestic_abuse list", c.Type)
			}
		}
	})

	for _, tc := range []struct {
		name, path string
	}{
		{"a cursor that is not base64 is refused", "/api/v1/releases?cursor=%25%25%25"},
		{"a cursor of base64 garbage is refused", "/api/v1/checks?cursor=Z2FyYmFnZQ"},
		{"a cursor of JSON without an id is refused", "/api/v1/releases?cursor=e30"},
		{"a cursor of the wrong shape is refused", "/api/v1/users?cursor=bm9wZQ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, e.admin.Token, "GET", tc.path, nil), http.StatusBadRequest, "cursor")
		})
	}
}

// pages lists path with the limit, following next_cursor, and checks that no page is larger
// than the limit.
func pages[T any](t *testing.T, e *env, as caller, path string, limit int) []T {
	t.Helper()
	sep := "?"
	if slices.Contains([]byte(path), '?') {
		sep = "&"
	}
	base := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
	var all []T
	next := base
	for n := 0; ; n++ {
		if n > 100 {
			t.Fatalf("%s: the cursor does not advance", base)
		}
		var page apiList[T]
		want(t, e.do(t, as.Token, "GET", next, nil), http.StatusOK, &page)
		if len(page.Items) > limit {
			t.Errorf("a page of %d items with limit %d", len(page.Items), limit)
		}
		if len(page.Items) == 0 && page.NextCursor != "" {
			t.Errorf("an empty page with a next_cursor")
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		next = base + "&cursor=" + page.NextCursor
	}
}

// wantOnceInOrder checks that got holds exactly the ids in want, each once, sorted by date.
func wantOnceInOrder[T any](t *testing.T, got []T, want []string, key func(T) (id, date string)) {
	t.Helper()
	seen := map[string]int{}
	var ids []string
	prev := ""
	for i, it := range got {
		id, date := key(it)
		seen[id]++
		ids = append(ids, id)
		if i > 0 && date < prev {
			t.Errorf("item %d (%s) dated %s follows one dated %s: not in release-date order", i, id, date, prev)
		}
		prev = date
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s listed %d times", id, n)
		}
	}
	if !sameSet(ids, want) {
		t.Errorf("listed %d items %v, want the %d items %v", len(ids), ids, len(want), want)
	}
}
