package api

import (
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// The reports, as JSON or, with Accept: text/csv or ?format=csv, as CSV: a header row and one
// row per line of the report.

type typeFiguresJSON struct {
	Type                   string            `json:"type"`
	Required               int               `json:"required"`
	NotRequired            int               `json:"not_required"`
	NotRequiredReasons     []reasonCountJSON `json:"not_required_reasons"`
	Declined               int               `json:"declined"`
	RequestedBeforeRelease int               `json:"requested_before_release"`
	RespondedBeforeRelease int               `json:"responded_before_release"`
	CompletedBeforeRelease int               `json:"completed_before_release"`
	RequestedPct           *float64          `json:"requested_pct"`
	RespondedPct           *float64          `json:"responded_pct"`
	CompletedPct           *float64          `json:"completed_pct"`
}

type reasonCountJSON struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

type completionJSON struct {
	From   checks.Date       `json:"from"`
	To     checks.Date       `json:"to"`
	Team   string            `json:"team,omitempty"`
	Types  []typeFiguresJSON `json:"types"`
	ByTeam []teamJSON        `json:"by_team"`
}

type teamJSON struct {
	Team  string            `json:"team"`
	Types []typeFiguresJSON `json:"types"`
}

type agencyRowJSON struct {
	Agency          string     `json:"agency"`
	Name            string     `json:"name"`
	Kind            string     `json:"kind"`
	Requests        int        `json:"requests"`
	Answered        int        `json:"answered"`
	Declined        int        `json:"declined"`
	MedianDays      *float64   `json:"median_working_days"`
	P90Days         *float64   `json:"p90_working_days"`
	Overdue         int        `json:"overdue"`
	OldestOpen      *time.Time `json:"oldest_open_requested_at"`
	OldestOpenCheck string     `json:"oldest_open_check_id,omitempty"`
}

type agenciesJSON struct {
	From     checks.Date     `json:"from"`
	To       checks.Date     `json:"to"`
	Team     string          `json:"team,omitempty"`
	Agencies []agencyRowJSON `json:"agencies"`
}

type missingJSON struct {
	CheckID string      `json:"check_id"`
	Type    string      `json:"type"`
	Agency  string      `json:"agency"`
	Status  string      `json:"status"`
	Due     checks.Date `json:"due"`
	Overdue bool        `json:"overdue"`
}

type upcomingReleaseJSON struct {
	ReleaseID            string        `json:"release_id"`
	CRN                  string        `json:"crn"`
	ReleaseDate          checks.Date   `json:"release_date"`
	WorkingDaysToRelease int           `json:"working_days_to_release"`
	Team                 string        `json:"team"`
	COMID                string        `json:"com_id"`
	Missing              []missingJSON `json:"missing"`
}

type upcomingJSON struct {
	Today    checks.Date           `json:"today"`
	Within   int                   `json:"within"`
	Until    checks.Date           `json:"until"`
	Team     string                `json:"team,omitempty"`
	Releases []upcomingReleaseJSON `json:"releases"`
}

func typeFigures(in []checks.TypeFigures) []typeFiguresJSON {
	out := make([]typeFiguresJSON, 0, len(in))
	for _, f := range in {
		reasons := make([]reasonCountJSON, 0, len(f.NotRequiredReasons))
		for _, r := range f.NotRequiredReasons {
			reasons = append(reasons, reasonCountJSON(r))
		}
		out = append(out, typeFiguresJSON{string(f.Type), f.Required, f.NotRequired, reasons, f.Declined,
			f.RequestedBeforeRelease, f.RespondedBeforeRelease, f.CompletedBeforeRelease,
			f.RequestedPct, f.RespondedPct, f.CompletedPct})
	}
	return out
}

func (s *Server) reportScope(c *gin.Context) checks.ReportScope {
	return checks.ReportScope{From: c.Query("from"), To: c.Query("to"), Team: c.Query("team")}
}

func (s *Server) completionReport(c *gin.Context) {
	rep, err := s.svc.Completion(c.Request.Context(), actor(c), s.reportScope(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := completionJSON{From: rep.From, To: rep.To, Team: rep.Team, Types: typeFigures(rep.Types), ByTeam: []teamJSON{}}
	for _, t := range rep.ByTeam {
		out.ByTeam = append(out.ByTeam, teamJSON{t.Team, typeFigures(t.Types)})
	}
	s.report(c, "completion", out, func(w *csv.Writer) {
		row := func(team string, f typeFiguresJSON) {
			var reasons []string
			for _, r := range f.NotRequiredReasons {
				reasons = append(reasons, fmt.Sprintf("%s (%d)", r.Reason, r.Count))
			}
			write(w, team, f.Type, f.Required, f.NotRequired, f.RequestedBeforeRelease, f.RequestedPct,
				f.RespondedBeforeRelease, f.RespondedPct, f.CompletedBeforeRelease, f.CompletedPct, strings.Join(reasons, "; "), f.Declined)
		}
		// declined comes last, so that a spreadsheet reading the columns by position still works.
		write(w, "team", "type", "required", "not_required", "requested_before_release", "requested_pct",
			"responded_before_release", "responded_pct", "completed_before_release", "completed_pct", "not_required_reasons", "declined")
		for _, f := range out.Types {
			row("all", f)
		}
		for _, t := range out.ByTeam {
			for _, f := range t.Types {
				row(t.Team, f)
			}
		}
	})
}

func (s *Server) agenciesReport(c *gin.Context) {
	rep, err := s.svc.AgencyFigures(c.Request.Context(), actor(c), s.reportScope(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := agenciesJSON{From: rep.From, To: rep.To, Team: rep.Team, Agencies: []agencyRowJSON{}}
	for _, a := range rep.Agencies {
		out.Agencies = append(out.Agencies, agencyRowJSON{a.Agency, a.Name, string(a.Kind), a.Requests, a.Answered, a.Declined,
			a.MedianDays, a.P90Days, a.Overdue, optionalTime(a.OldestOpen), a.OldestOpenCheck})
	}
	s.report(c, "agencies", out, func(w *csv.Writer) {
		write(w, "agency", "name", "kind", "requests", "answered", "median_working_days", "p90_working_days",
			"overdue", "oldest_open_requested_at", "oldest_open_check_id", "declined")
		for _, a := range out.Agencies {
			write(w, a.Agency, a.Name, a.Kind, a.Requests, a.Answered, a.MedianDays, a.P90Days, a.Overdue, a.OldestOpen, a.OldestOpenCheck, a.Declined)
		}
	})
}

func (s *Server) upcomingReport(c *gin.Context) {
	within := 10
	if v := c.Query("within"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			s.fail(c, bad("within", "must be a whole number of working days"))
			return
		}
		within = n
	}
	rep, err := s.svc.Upcoming(c.Request.Context(), actor(c), within, c.Query("team"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := upcomingJSON{Today: rep.Today, Within: rep.Within, Until: rep.Until, Team: rep.Team, Releases: []upcomingReleaseJSON{}}
	for _, r := range rep.Releases {
		ur := upcomingReleaseJSON{r.ReleaseID, r.CRN, r.ReleaseDate, r.WorkingDaysToRelease, r.Team, r.COMID, []missingJSON{}}
		for _, m := range r.Missing {
			ur.Missing = append(ur.Missing, missingJSON{m.CheckID, string(m.Type), m.Agency, string(m.Status), m.Due, m.Overdue})
		}
		out.Releases = append(out.Releases, ur)
	}
	s.report(c, "upcoming", out, func(w *csv.Writer) {
		write(w, "release_id", "crn", "release_date", "working_days_to_release", "team", "check_id", "type", "agency", "status", "due", "overdue")
		for _, r := range out.Releases {
			for _, m := range r.Missing {
				write(w, r.ReleaseID, r.CRN, r.ReleaseDate, r.WorkingDaysToRelease, r.Team, m.CheckID, m.Type, m.Agency, m.Status, m.Due, m.Overdue)
			}
		}
	})
}

// report answers JSON, or CSV when the client asks for it.
func (s *Server) report(c *gin.Context, name string, v any, rows func(*csv.Writer)) {
	if !wantsCSV(c) {
		c.JSON(http.StatusOK, v)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.csv"`, name))
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	rows(w)
	w.Flush()
}

func wantsCSV(c *gin.Context) bool {
	if c.Query("format") == "csv" {
		return true
	}
	for _, part := range strings.Split(c.GetHeader("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

// write writes one CSV row. A cell that a spreadsheet would take for a formula is prefixed
// with a quote: reasons are free text typed by users.
func write(w *csv.Writer, values ...any) {
	row := make([]string, len(values))
	for i, v := range values {
		var s string
		switch x := v.(type) {
		case *float64:
			if x != nil {
				s = strconv.FormatFloat(*x, 'f', -1, 64)
			}
		case *time.Time:
			if x != nil {
				s = x.UTC().Format(time.RFC3339)
			}
		default:
			s = fmt.Sprint(v)
		}
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			s = "'" + s
		}
		row[i] = s
	}
	_ = w.Write(row)
}

type auditJSON struct {
	ID         string       `json:"id"`
	At         time.Time    `json:"at"`
	ActorID    string       `json:"actor_id,omitempty"`
	ActorName  string       `json:"actor_name"`
	Role       string       `json:"role,omitempty"`
	Action     string       `json:"action"`
	Resource   string       `json:"resource"`
	ResourceID string       `json:"resource_id"`
	ReleaseID  string       `json:"release_id,omitempty"`
	Changes    []changeJSON `json:"changes"`
}

type changeJSON struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

func auditEntry(e checks.AuditEntry) auditJSON {
	out := auditJSON{e.ID, e.At, e.ActorID, e.ActorName, string(e.Role), e.Action, e.Resource, e.ResourceID, e.ReleaseID, []changeJSON{}}
	for _, ch := range e.Changes {
		out.Changes = append(out.Changes, changeJSON(ch))
	}
	return out
}

func (s *Server) listAudit(c *gin.Context) {
	n, err := queryInt(c, "limit")
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.svc.Audit(c.Request.Context(), actor(c), checks.AuditFilter{
		Actor: c.Query("actor"), Resource: c.Query("resource"), ResourceID: c.Query("resource_id"),
		From: c.Query("from"), To: c.Query("to"), Limit: n, Cursor: c.Query("cursor"),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pageJSON(page, auditEntry))
}

type exportJSON struct {
	Release releaseJSON `json:"release"`
	Audit   []auditJSON `json:"audit"`
}

func (s *Server) exportRelease(c *gin.Context) {
	x, err := s.svc.ExportRelease(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := exportJSON{Release: s.view().release(x.Release), Audit: make([]auditJSON, 0, len(x.Audit))}
	for _, e := range x.Audit {
		out.Audit = append(out.Audit, auditEntry(e))
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="release-%s.json"`, x.Release.ID))
	c.JSON(http.StatusOK, out)
}
