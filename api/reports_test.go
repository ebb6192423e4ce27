package api

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
)

// answeredRelease records a release whose DA check is requested and answered, and whose CS
// check is marked not required.
func (e *env) answeredRelease(t *testing.T) apiRelease {
	t.Helper()
	r := e.createRelease(t, e.com, nil)
	da := checkOf(t, r, "domestic_abuse")
	e.act(t, e.com, da.ID, "request", asRequest)
	e.act(t, e.police, da.ID, "response", asResponse)
	e.act(t, e.com, checkOf(t, r, "child_safeguarding").ID, "not-required", asReason)
	return r
}

func TestTheCompletionReportAnswersJSONOrCSV(t *testing.T) {
	e := newEnv(t)
	e.answeredRelease(t)
	path := "/api/v1/reports/completion?from=2027-02-01&to=2027-02-28"
	var rep struct {
		From  string `json:"from"`
		Types []struct {
			Type               string   `json:"type"`
			Required           int      `json:"required"`
			NotRequired        int      `json:"not_required"`
			RequestedPct       *float64 `json:"requested_pct"`
			RespondedPct       *float64 `json:"responded_pct"`
			CompletedPct       *float64 `json:"completed_pct"`
			NotRequiredReasons []struct {
				Reason string `json:"reason"`
				Count  int    `json:"count"`
			} `json:"not_required_reasons"`
		} `json:"types"`
		ByTeam []struct {
			Team string `json:"team"`
		} `json:"by_team"`
	}
	want(t, e.do(t, e.manager.Token, "GET", path, nil), http.StatusOK, &rep)
	da, cs := rep.Types[0], rep.Types[1]
	if da.Type != "domestic_abuse" || da.Required != 1 || *da.RequestedPct != 100 || *da.RespondedPct != 100 || *da.CompletedPct != 0 {
		t.Errorf("DA figures = %+v", da)
	}
	if cs.Required != 0 || cs.NotRequired != 1 || cs.RequestedPct != nil || len(cs.NotRequiredReasons) != 1 || cs.NotRequiredReasons[0].Count != 1 {
		t.Errorf("CS figures = %+v", cs)
	}
	if len(rep.ByTeam) != 1 || rep.ByTeam[0].Team != "N07-T1" {
		t.Errorf("teams = %+v", rep.ByTeam)
	}

	for _, how := range []struct{ name, path, accept string }{
		{"format=csv", path + "&format=csv", ""},
		{"Accept: text/csv", path, "text/csv"},
	} {
		t.Run("as CSV with "+how.name, func(t *testing.T) {
			res := e.do(t, e.manager.Token, "GET", how.path, nil, "Accept", how.accept)
			want(t, res, http.StatusOK, nil)
			if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("Content-Type = %q", ct)
			}
			rows, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
			if err != nil {
				t.Fatalf("not CSV: %v\n%s", err, res.body)
			}
			// A header, then all teams' two types, then N07-T1's two.
			if len(rows) != 5 || rows[0][0] != "team" || rows[1][0] != "all" || rows[1][1] != "domestic_abuse" || rows[1][5] != "100" || rows[3][0] != "N07-T1" {
				t.Errorf("rows = %q", rows)
			}
		})
	}
}

func TestReportsRefuseBadInputAndOutOfScopeTeams(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		as     caller
		path   string
		status int
		field  string
	}{
		{"a missing period", e.manager, "/api/v1/reports/completion", http.StatusUnprocessableEntity, "from"},
		{"a period backwards", e.manager, "/api/v1/reports/completion?from=2027-02-01&to=2027-01-01", http.StatusUnprocessableEntity, "to"},
		{"a malformed date", e.manager, "/api/v1/reports/agencies?from=2027-02-30&to=2027-03-01", http.StatusUnprocessableEntity, "from"},
		{"another team's figures", e.manager, "/api/v1/reports/completion?from=2027-02-01&to=2027-02-28&team=N08-T2", http.StatusNotFound, ""},
		{"another team's upcoming releases", e.manager, "/api/v1/reports/upcoming?team=N08-T2", http.StatusNotFound, ""},
		{"a window out of range", e.manager, "/api/v1/reports/upcoming?within=61", http.StatusUnprocessableEntity, "within"},
		{"a window that is not a number", e.manager, "/api/v1/reports/upcoming?within=soon", http.StatusBadRequest, "within"},
		{"a liaison asking for figures", e.police, "/api/v1/reports/agencies?from=2027-02-01&to=2027-02-28", http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, e.do(t, tt.as.Token, "GET", tt.path, nil), tt.status, tt.field)
		})
	}
}

func TestTheAgencyAndUpcomingReports(t *testing.T) {
	e := newEnv(t)
	r := e.answeredRelease(t)
	var agencies struct {
		Agencies []struct {
			Agency     string   `json:"agency"`
			Name       string   `json:"name"`
			Requests   int      `json:"requests"`
			Answered   int      `json:"answered"`
			MedianDays *float64 `json:"median_working_days"`
		} `json:"agencies"`
	}
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/reports/agencies?from=2026-11-01&to=2026-11-30", nil), http.StatusOK, &agencies)
	if len(agencies.Agencies) != 1 || agencies.Agencies[0].Agency != "E23000001" || agencies.Agencies[0].Requests != 1 ||
		agencies.Agencies[0].Answered != 1 || *agencies.Agencies[0].MedianDays != 0 {
		t.Errorf("agencies = %+v", agencies.Agencies)
	}
	var upcoming struct {
		Releases []struct {
			ReleaseID string `json:"release_id"`
			Missing   []struct {
				Type   string `json:"type"`
				Status string `json:"status"`
			} `json:"missing"`
		} `json:"releases"`
	}
	want(t, e.do(t, e.com.Token, "GET", "/api/v1/reports/upcoming?within=60", nil), http.StatusOK, &upcoming)
	if len(upcoming.Releases) != 1 || upcoming.Releases[0].ReleaseID != r.ID || len(upcoming.Releases[0].Missing) != 1 ||
		upcoming.Releases[0].Missing[0].Status != "responded" {
		t.Errorf("upcoming = %+v", upcoming.Releases)
	}
	res := e.do(t, e.com.Token, "GET", "/api/v1/reports/upcoming?within=60&format=csv", nil)
	want(t, res, http.StatusOK, nil)
	if lines := strings.Split(strings.TrimSpace(string(res.body)), "\n"); len(lines) != 2 || !strings.Contains(lines[1], r.ID) {
		t.Errorf("upcoming CSV = %q", res.body)
	}
}

func TestTheAuditTrailIsReadOnlyAndAdminsOnly(t *testing.T) {
	e := newEnv(t)
	r := e.answeredRelease(t)
	var list apiList[struct {
		ID       string `json:"id"`
		Action   string `json:"action"`
		ActorID  string `json:"actor_id"`
		Resource string `json:"resource"`
		Changes  []struct {
			Field, Before, After string
		} `json:"changes"`
	}]
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/audit?resource=release", nil), http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Action != "release.create" || list.Items[0].ActorID != e.com.ID {
		t.Fatalf("release audit = %+v", list.Items)
	}
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/audit?actor="+e.police.ID, nil), http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Action != "check.respond" {
		t.Errorf("the liaison's audit = %+v", list.Items)
	}
	for _, who := range []caller{e.com, e.manager, e.police} {
		wantProblem(t, e.do(t, who.Token, "GET", "/api/v1/audit", nil), http.StatusForbidden, "")
	}
	// No endpoint changes or deletes an entry.
	for _, method := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		res := e.do(t, e.admin.Token, method, "/api/v1/audit", nil)
		if res.status != http.StatusMethodNotAllowed {
			t.Errorf("%s /api/v1/audit: %d, want 405", method, res.status)
		}
	}
	res := e.do(t, e.admin.Token, "DELETE", "/api/v1/audit/"+list.Items[0].ID, nil)
	if res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
		t.Errorf("DELETE one entry: %d", res.status)
	}

	var x struct {
		Release apiRelease `json:"release"`
		Audit   []struct {
			Action string `json:"action"`
		} `json:"audit"`
	}
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/releases/"+r.ID+"/export", nil), http.StatusOK, &x)
	if x.Release.FullName != "John Smith" || len(x.Release.Checks) != 2 || x.Release.Checks[0].Response == nil || len(x.Audit) < 6 {
		t.Errorf("export = %+v with %d audit entries", x.Release, len(x.Audit))
	}
	wantProblem(t, e.do(t, e.com.Token, "GET", "/api/v1/releases/"+r.ID+"/export", nil), http.StatusForbidden, "")
}
