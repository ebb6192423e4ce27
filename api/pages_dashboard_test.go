package api

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

func TestTheDashboardLeadsWithWhatIsOverdueNowByTeamAndCOM(t *testing.T) {
	e := newEnv(t)
	otherTeamCOM := e.user(t, checks.UserInput{Name: "Tess Three", Email: "tess@example.org", Role: "com", Team: "N07-T3"})
	// A: requested on 24 November, its answer due 8 December. C: released soon, never
	// requested. B: of the manager's other team, never requested.
	a := e.createRelease(t, e.com, map[string]any{"crn": "A111111"})
	e.act(t, e.com, checkOf(t, a, "domestic_abuse").ID, "request", nil)
	e.act(t, e.com, checkOf(t, a, "child_safeguarding").ID, "not-required", map[string]any{"reason": "No children."})
	e.createRelease(t, e.com, map[string]any{"crn": "C333333", "release_date": "2027-01-08"})
	e.createRelease(t, otherTeamCOM, map[string]any{"crn": "B222222", "release_date": "2027-01-15"})
	e.clock.Set(time.Date(2026, 12, 11, 9, 0, 0, 0, time.UTC)) // Friday: 3 working days after A's due date

	page := e.page(t, "GET", "/dashboard", nil, e.signInWithForm(t, e.manager.Token))
	body := page.body
	if page.status != http.StatusOK {
		t.Fatalf("the dashboard: %d", page.status)
	}
	order := []string{"Overdue now", "Team N07-T1: 3 overdue", "C333333", "A111111", "Team N07-T3: 2 overdue", "B222222",
		"Releases in the next 10 working days", "Checks done before release"}
	last := -1
	for _, w := range order {
		i := strings.Index(body, w)
		if i < 0 {
			t.Fatalf("the dashboard lacks %q", w)
		}
		if i < last {
			t.Errorf("%q comes before what should precede it (want the order %v)", w, order)
		}
		last = i
	}
	for _, w := range []string{"Answer overdue", "Metropolitan Police Service, due 8 December 2026", "3 working days overdue",
		"Request overdue", "Colm Oman", "Tess Three",
		// The figures' period: the year to date.
		`id="from" name="from" type="text" value="2026-01-01"`, `id="to" name="to" type="text" value="2026-12-11"`} {
		if !strings.Contains(body, w) {
			t.Errorf("the dashboard lacks %q", w)
		}
	}

	other := e.page(t, "GET", "/dashboard", nil, e.signInWithForm(t, e.otherManager.Token))
	if !strings.Contains(other.body, "Nothing is overdue") || strings.Contains(other.body, "A111111") || strings.Contains(other.body, "B222222") {
		t.Errorf("a manager of another team sees the team's overdue checks")
	}
	com := e.page(t, "GET", "/dashboard", nil, e.signInWithForm(t, e.com.Token))
	if !strings.Contains(com.body, "Team N07-T1: 3 overdue") || strings.Contains(com.body, "B222222") {
		t.Errorf("the COM's dashboard shows other than its team's overdue checks")
	}
}
