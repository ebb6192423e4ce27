// The manager's dashboard leads with what is overdue now, by team and COM.

package api

import (
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// overdueNow is every check overdue today in the viewer's scope, by team, then COM.
type overdueNow struct {
	Count int
	Teams []overdueTeam
}

type overdueTeam struct {
	Team  string
	Count int
	Rows  []overdueRow
}

// overdueRow is one overdue check: whose it is, and what is late about it.
type overdueRow struct {
	COM   string
	Check checks.Check
	// Request: it was never requested by its request-by date; otherwise it was requested
	// and its answer is past its due date.
	Request bool
	Since   checks.Date // the request-by or due date it is late against
	Days    int         // working days since then
}

// yearStart is 1 January of the year of today.
func yearStart(today checks.Date) checks.Date {
	d, _ := checks.ParseDate(today.String()[:4] + "-01-01") // always a real date
	return d
}

// overdueNow reads the checks overdue today that the viewer may see, through the same list
// as the API's GET /checks?overdue=true, and groups them by team and COM, the most overdue
// first within each COM.
func (s *Server) overdueNow(c *gin.Context) (overdueNow, error) {
	ctx, u := c.Request.Context(), actor(c)
	today := s.svc.Today()
	var all []checks.Check
	f := checks.CheckFilter{Overdue: "true", Limit: 200}
	for {
		page, err := s.svc.Checks(ctx, u, f)
		if err != nil {
			return overdueNow{}, err
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	names, err := s.comNames(c)
	if err != nil {
		return overdueNow{}, err
	}
	byTeam := map[string]*overdueTeam{}
	for _, ch := range all {
		row := overdueRow{COM: names[ch.COMID], Check: ch, Request: ch.Status == checks.StatusRequired, Since: ch.DueDate}
		if row.Request {
			row.Since = ch.RequestBy
		}
		if row.COM == "" {
			// A COM sees its team's checks but knows only its own name; a manager, only its
			// teams' active COMs.
			row.COM = map[bool]string{true: "Another COM of your team", false: "A COM no longer active"}[u.Role == checks.RoleCOM]
		}
		row.Days = s.svc.Deadlines().Calendar.WorkdaysBetween(row.Since, today)
		t := byTeam[ch.Team]
		if t == nil {
			t = &overdueTeam{Team: ch.Team}
			byTeam[ch.Team] = t
		}
		t.Rows = append(t.Rows, row)
		t.Count++
	}
	out := overdueNow{Count: len(all)}
	for _, t := range byTeam {
		slices.SortFunc(t.Rows, func(a, b overdueRow) int {
			if c := strings.Compare(a.COM, b.COM); c != 0 {
				return c
			}
			if a.Days != b.Days {
				return b.Days - a.Days
			}
			return strings.Compare(a.Check.CRN, b.Check.CRN)
		})
		out.Teams = append(out.Teams, *t)
	}
	slices.SortFunc(out.Teams, func(a, b overdueTeam) int { return strings.Compare(a.Team, b.Team) })
	return out, nil
}

// comNames maps the ids of the COMs whose checks the viewer sees to their names: a COM's
// own, a manager's teams' (an admin's: every team's) active COMs.
func (s *Server) comNames(c *gin.Context) (map[string]string, error) {
	u := actor(c)
	if u.Role == checks.RoleCOM {
		return map[string]string{u.ID: u.Name}, nil
	}
	coms, err := s.svc.TeamCOMs(c.Request.Context(), u)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(coms))
	for _, m := range coms {
		out[m.ID] = m.Name
	}
	return out, nil
}
