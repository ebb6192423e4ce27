// The COM's home page, /releases: what needs them now first, in groups with their counts at
// the top, then everything else; a search by CRN or name.

package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

type releaseRow struct {
	ID, CRN, Name, Team string
	ReleaseDate         checks.Date
	WorkdaysLeft        int
	Cancelled           bool
	Cells               []checkCell
}

type checkCell struct {
	Status   checks.Status
	Overdue  bool
	DueLabel string
	Due      checks.Date
}

// releaseGroup is one group of the home page: its anchor, heading, what it asks of the COM,
// and its releases.
type releaseGroup struct {
	ID, Heading, Hint string
	Rows              []releaseRow
}

// imminentDays is how near a release, in working days, puts it in the group of releases
// coming up.
const imminentDays = 10

// homeGroups are the groups in the order the page shows them: a release goes in the first
// whose test it meets.
var homeGroups = []struct {
	id, heading, hint string
	in                func(today checks.Date, r checks.Release, left int) bool
}{
	{"to-request", "To request now", "The date by which a check should be requested has come.", func(today checks.Date, r checks.Release, _ int) bool {
		return anyCurrent(r, func(c checks.Check) bool { return c.Status == checks.StatusRequired && !today.Before(c.RequestBy) })
	}},
	{"to-complete", "Answered: read and complete", "The agency has answered: record what the answer changes.", func(_ checks.Date, r checks.Release, _ int) bool {
		return anyCurrent(r, func(c checks.Check) bool { return c.Status == checks.StatusResponded })
	}},
	{"overdue", "Answer overdue", "The agency has not answered by the date it was due: chase it.", func(today checks.Date, r checks.Release, _ int) bool {
		return anyCurrent(r, func(c checks.Check) bool { return c.Overdue(today) })
	}},
	{"soon", "Released within 10 working days", "A check is still open and the release is close.", func(_ checks.Date, r checks.Release, left int) bool {
		return left <= imminentDays && anyCurrent(r, func(c checks.Check) bool { return c.Status.Open() })
	}},
}

// anyCurrent reports whether a current (not superseded) check of an active release meets ok.
func anyCurrent(r checks.Release, ok func(checks.Check) bool) bool {
	if r.Status != checks.ReleaseActive {
		return false
	}
	return slices.ContainsFunc(r.Checks, func(c checks.Check) bool { return !c.Superseded() && ok(c) })
}

// homeView is the home page: the groups that need the COM now (with their counts), then
// everything else, and the search as typed.
type homeView struct {
	Scope     string
	CanCreate bool
	Query     string
	Groups    []releaseGroup
	Others    []releaseRow
	Total     int
}

// matches reports whether a release is what a search asked for: its CRN, or a part of its
// name, in any case.
func matches(r checks.Release, q string) bool {
	if q == "" {
		return true
	}
	q = strings.ToLower(q)
	return strings.HasPrefix(strings.ToLower(r.CRN), q) || strings.Contains(strings.ToLower(r.FullName), q)
}

func (s *Server) releasesPage(c *gin.Context) {
	u := actor(c)
	if u.Role == checks.RoleLiaison {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	q := strings.Join(strings.Fields(c.Query("q")), " ")
	if len(q) > 100 {
		q = q[:100]
	}
	var all []checks.Release
	f := checks.ReleaseFilter{Limit: 200}
	for {
		page, err := s.svc.Releases(c.Request.Context(), u, f)
		if err != nil {
			s.failPage(c, err)
			return
		}
		for _, r := range page.Items {
			if matches(r, q) {
				all = append(all, r)
			}
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	// Soonest release first within each group; cancelled ones last of everything else.
	slices.SortStableFunc(all, func(a, b checks.Release) int {
		if ca, cb := a.Status == checks.ReleaseCancelled, b.Status == checks.ReleaseCancelled; ca != cb {
			if ca {
				return 1
			}
			return -1
		}
		return strings.Compare(a.ReleaseDate.String(), b.ReleaseDate.String())
	})
	today := s.svc.Today()
	view := homeView{Query: q, CanCreate: true, Total: len(all)}
	for _, g := range homeGroups {
		view.Groups = append(view.Groups, releaseGroup{ID: g.id, Heading: g.heading, Hint: g.hint})
	}
	for _, r := range all {
		left := s.svc.Deadlines().WorkdaysToRelease(today, r.ReleaseDate)
		row := s.releaseRowOf(today, r, left)
		placed := false
		for i, g := range homeGroups {
			if g.in(today, r, left) {
				view.Groups[i].Rows = append(view.Groups[i].Rows, row)
				placed = true
				break
			}
		}
		if !placed {
			view.Others = append(view.Others, row)
		}
	}
	view.Scope = "All teams"
	if u.Role != checks.RoleAdmin {
		view.Scope = "Team " + strings.Join(u.Teams, ", ")
	}
	s.render(c, http.StatusOK, "releases", pageData{Title: "Releases", Notice: notice(c), Data: view})
}

func (s *Server) releaseRowOf(today checks.Date, r checks.Release, left int) releaseRow {
	row := releaseRow{ID: r.ID, CRN: r.CRN, Name: r.FullName, Team: r.Team, ReleaseDate: r.ReleaseDate,
		WorkdaysLeft: left, Cancelled: r.Status == checks.ReleaseCancelled}
	for _, t := range checks.CheckTypes() {
		var cell checkCell
		for _, ch := range r.Checks {
			if ch.Type == t && !ch.Superseded() {
				cell = checkCell{Status: ch.Status, Overdue: ch.Overdue(today), DueLabel: "answer due", Due: ch.DueDate}
				if ch.Status == checks.StatusRequired {
					cell.DueLabel, cell.Due = "request by", ch.RequestBy
				}
			}
		}
		row.Cells = append(row.Cells, cell)
	}
	return row
}
