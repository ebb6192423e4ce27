package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// freshRelease records another release of the COM's team, with its own CRN.
func (e *env) freshRelease(t *testing.T, n int) apiRelease {
	t.Helper()
	return e.createRelease(t, e.com, map[string]any{"crn": fmt.Sprintf("X%06d", 100000+n)})
}

// daCheckIn returns the domestic abuse check (agency E23000001) of a fresh release of the
// COM's team, brought to state by the COM and the police liaison.
func (e *env) daCheckIn(t *testing.T, n int, state string) apiCheck {
	t.Helper()
	c := checkOf(t, e.freshRelease(t, n), "domestic_abuse")
	steps := []struct {
		as     caller
		action string
		body   any
		then   string
	}{
		{e.com, "request", asRequest, "requested"},
		{e.police, "response", asResponse, "responded"},
		{e.com, "complete", asComplete, "completed"},
	}
	for _, s := range steps {
		if c.Status == state {
			return c
		}
		c = e.act(t, s.as, c.ID, s.action, s.body)
		if c.Status != s.then {
			t.Fatalf("after %s the check is %s, want %s", s.action, c.Status, s.then)
		}
	}
	if c.Status != state {
		t.Fatalf("cannot bring a check to %s", state)
	}
	return c
}

func TestEachRoleMayTakeOnlyItsOwnTransitionsOnChecksInItsScope(t *testing.T) {
	e := newEnv(t)
	type row struct {
		who    string
		as     caller
		status int
	}
	// Who sees the check but may not act gets 403; who does not see it gets 404.
	tests := []struct {
		action string
		state  string
		body   any
		rows   []row
	}{
		{"request", "required", asRequest, []row{
			{"an admin", e.admin, 403},
			{"the team's COM", e.com, 200},
			{"another team's COM", e.otherCOM, 404},
			{"the team's manager", e.manager, 200},
			{"another team's manager", e.otherManager, 404},
			{"the agency's liaison, before the request", e.police, 404},
			{"another police force's liaison", e.otherPolice, 404},
			{"the children's services liaison of the same release", e.childrens, 404},
		}},
		{"response", "requested", asResponse, []row{
			{"an admin", e.admin, 403},
			{"the team's COM", e.com, 403},
			{"another team's COM", e.otherCOM, 404},
			{"the team's manager", e.manager, 403},
			{"another team's manager", e.otherManager, 404},
			{"the agency's liaison", e.police, 200},
			{"another police force's liaison", e.otherPolice, 404},
			{"the children's services liaison of the same release", e.childrens, 404},
		}},
		{"complete", "responded", asComplete, []row{
			{"an admin", e.admin, 403},
			{"the team's COM", e.com, 200},
			{"another team's COM", e.otherCOM, 404},
			{"the team's manager", e.manager, 200},
			{"another team's manager", e.otherManager, 404},
			{"the agency's liaison", e.police, 403},
			{"another police force's liaison", e.otherPolice, 404},
		}},
		{"not-required", "required", asReason, []row{
			{"an admin", e.admin, 403},
			{"the team's COM", e.com, 200},
			{"another team's COM", e.otherCOM, 404},
			{"the team's manager", e.manager, 200},
			{"another team's manager", e.otherManager, 404},
			{"the agency's liaison, before the request", e.police, 404},
			{"another police force's liaison", e.otherPolice, 404},
		}},
		{"not-required", "requested", asReason, []row{
			{"the agency's liaison, after the request", e.police, 403},
			{"another police force's liaison", e.otherPolice, 404},
		}},
		{"notes", "required", asNote, []row{
			{"an admin", e.admin, 403},
			{"the team's COM", e.com, 200},
			{"another team's COM", e.otherCOM, 404},
			{"the team's manager", e.manager, 200},
			{"another team's manager", e.otherManager, 404},
			{"the agency's liaison, before the request", e.police, 404},
		}},
		{"notes", "requested", asNote, []row{
			{"the agency's liaison, after the request", e.police, 200},
			{"another police force's liaison", e.otherPolice, 404},
			{"another team's COM", e.otherCOM, 404},
		}},
	}
	n := 0
	for _, tc := range tests {
		for _, r := range tc.rows {
			n++
			verdict := map[int]string{200: "may", 403: "sees but may not", 404: "does not see and so cannot"}[r.status]
			name := fmt.Sprintf("%s %s %s a %s check", r.who, verdict, tc.action, tc.state)
			t.Run(name, func(t *testing.T) {
				c := e.daCheckIn(t, n, tc.state)
				res := e.do(t, r.as.Token, "POST", "/api/v1/checks/"+c.ID+"/"+tc.action, tc.body)
				after := e.getCheck(t, e.admin, c.ID)
				if r.status == 200 {
					var got apiCheck
					want(t, res, 200, &got)
					if got.Version != c.Version+1 || after.Version != got.Version {
						t.Errorf("version %d -> answered %d, stored %d; want one bump", c.Version, got.Version, after.Version)
					}
					// A liaison's answer carries no history (see TestALiaisonSeesExactlyWhatTheAgencyNeeds): the admin's view does.
					last := after.History[len(after.History)-1]
					if last.ActorID != r.as.ID {
						t.Errorf("history records %+v, want the caller %s", last, r.as.ID)
					}
					return
				}
				wantProblem(t, res, r.status, "")
				if after.Version != c.Version || after.Status != c.Status {
					t.Errorf("a refused %s changed the check: %s v%d -> %s v%d", tc.action, c.Status, c.Version, after.Status, after.Version)
				}
			})
		}
	}
}

func TestEachRoleReadsOnlyWhatIsInItsScope(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	da, cs := checkOf(t, r, "domestic_abuse"), checkOf(t, r, "child_safeguarding")
	other := e.createRelease(t, e.otherCOM, map[string]any{"crn": "Z999999"})
	if other.Team != "N08-T2" {
		t.Fatalf("the other COM's release is in team %s, want N08-T2", other.Team)
	}

	type row struct {
		who       string
		as        caller
		release   int      // GET /releases/{id}
		check     int      // GET /checks/{DA id}
		releases  int      // GET /releases status
		listed    []string // release ids in GET /releases
		checkList []string // check ids in GET /checks
	}
	otherChecks := []string{other.Checks[0].ID, other.Checks[1].ID}
	both := []string{da.ID, cs.ID}
	before := []row{
		{"an admin", e.admin, 200, 200, 200, []string{r.ID, other.ID}, append(slices.Clone(both), otherChecks...)},
		{"the team's COM", e.com, 200, 200, 200, []string{r.ID}, both},
		{"another team's COM", e.otherCOM, 404, 404, 200, []string{other.ID}, otherChecks},
		{"the team's manager", e.manager, 200, 200, 200, []string{r.ID}, both},
		{"another team's manager", e.otherManager, 404, 404, 200, []string{other.ID}, otherChecks},
		{"the check's police liaison", e.police, 404, 404, 403, nil, nil},
		{"another police force's liaison", e.otherPolice, 404, 404, 403, nil, nil},
	}
	run := func(t *testing.T, when string, rows []row) {
		for _, tc := range rows {
			t.Run(tc.who+" "+when, func(t *testing.T) {
				check := func(path string, status int) {
					t.Helper()
					res := e.do(t, tc.as.Token, "GET", path, nil)
					if status == 200 {
						want(t, res, 200, nil)
					} else {
						wantProblem(t, res, status, "")
					}
				}
				check("/api/v1/releases/"+r.ID, tc.release)
				check("/api/v1/checks/"+da.ID, tc.check)
				if tc.releases == 200 {
					got := ids(listAll[apiRelease](t, e, tc.as, "/api/v1/releases"))
					if !sameSet(got, tc.listed) {
						t.Errorf("GET /releases lists %v, want %v", got, tc.listed)
					}
				} else {
					check("/api/v1/releases", tc.releases)
				}
				got := checkIDs(listAll[apiCheck](t, e, tc.as, "/api/v1/checks"))
				if !sameSet(got, tc.checkList) {
					t.Errorf("GET /checks lists %v, want %v", got, tc.checkList)
				}
			})
		}
	}
	run(t, "before the request", before)

	e.act(t, e.com, da.ID, "request", nil)
	after := slices.Clone(before)
	after[5] = row{"the check's police liaison", e.police, 404, 200, 403, nil, []string{da.ID}}
	run(t, "after the request", after)

	t.Run("the children's services liaison does not see the requested DA check, nor its own unrequested check", func(t *testing.T) {
		wantProblem(t, e.do(t, e.childrens.Token, "GET", "/api/v1/checks/"+da.ID, nil), http.StatusNotFound, "")
		wantProblem(t, e.do(t, e.childrens.Token, "GET", "/api/v1/checks/"+cs.ID, nil), http.StatusNotFound, "")
		if got := listAll[apiCheck](t, e, e.childrens, "/api/v1/checks"); len(got) != 0 {
			t.Errorf("children's services liaison lists %d checks, want none", len(got))
		}
	})
	t.Run("a liaison filtering by another agency sees nothing", func(t *testing.T) {
		if got := listAll[apiCheck](t, e, e.police, "/api/v1/checks?agency=E23000002"); len(got) != 0 {
			t.Errorf("police liaison lists %d checks of another agency", len(got))
		}
	})
	t.Run("a liaison cannot record a release", func(t *testing.T) {
		body := validRelease()
		body["crn"] = "L111111"
		wantProblem(t, e.do(t, e.police.Token, "POST", "/api/v1/releases", body), http.StatusForbidden, "")
	})
}

func TestOnlyTheTeamCanChangeOrCancelARelease(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		who    string
		as     caller
		status int
	}{
		{"an admin", e.admin, 200},
		{"the team's COM", e.com, 200},
		{"the team's manager", e.manager, 200},
		{"another team's COM", e.otherCOM, 404},
		{"another team's manager", e.otherManager, 404},
		{"the police liaison", e.police, 404},
	}
	for i, tc := range tests {
		r := e.freshRelease(t, i)
		for _, op := range []struct {
			verb, method, path string
			body               any
		}{
			{"change", "PATCH", "/api/v1/releases/" + r.ID, map[string]any{"prison_code": "MAN"}},
			{"cancel", "POST", "/api/v1/releases/" + r.ID + "/cancel", map[string]any{"reason": "recalled"}},
		} {
			verdict := map[int]string{200: "may", 404: "cannot see and so cannot"}[tc.status]
			t.Run(fmt.Sprintf("%s %s %s a release", tc.who, verdict, op.verb), func(t *testing.T) {
				res := e.do(t, tc.as.Token, op.method, op.path, op.body)
				if tc.status == 200 {
					want(t, res, 200, nil)
				} else {
					wantProblem(t, res, tc.status, "")
				}
			})
		}
		var got apiRelease
		want(t, e.do(t, e.admin.Token, "GET", "/api/v1/releases/"+r.ID, nil), 200, &got)
		changed := got.PrisonCode == "MAN" && got.Status == "cancelled"
		if changed != (tc.status == 200) {
			t.Errorf("%s: release is %s at %s afterwards", tc.who, got.Status, got.PrisonCode)
		}
	}
}

func TestALiaisonSeesOnlyTheReleaseFieldsACheckNeeds(t *testing.T) {
	e := newEnv(t)
	c := e.daCheckIn(t, 1, "completed")
	secretNote := asComplete["note"].(string)

	var full map[string]any
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/checks/"+c.ID, nil), 200, &full)
	for _, k := range []string{"team", "com_id", "completion_note"} {
		if v, ok := full[k].(string); !ok || v == "" {
			t.Errorf("the admin's view has no %s: the liaison test below would prove nothing", k)
		}
	}

	var listed apiList[map[string]any]
	want(t, e.do(t, e.police.Token, "GET", "/api/v1/checks", nil), 200, &listed)
	if len(listed.Items) != 1 {
		t.Fatalf("the liaison lists %d checks, want 1", len(listed.Items))
	}
	single := e.do(t, e.police.Token, "GET", "/api/v1/checks/"+c.ID, nil)
	var one map[string]any
	want(t, single, 200, &one)

	for name, view := range map[string]map[string]any{"GET /checks/{id}": one, "GET /checks": listed.Items[0]} {
		t.Run("a liaison's "+name+" hides probation's own fields", func(t *testing.T) {
			for _, k := range []string{"team", "com_id", "completion_note", "not_required_reason", "escalations"} {
				if _, ok := view[k]; ok {
					t.Errorf("the liaison sees %s = %v", k, view[k])
				}
			}
			rel, _ := view["release"].(map[string]any)
			wantRel := map[string]string{"crn": "X100001", "full_name": "John Smith", "date_of_birth": "1985-03-02", "release_date": "2027-02-15"}
			for k, v := range wantRel {
				if rel[k] != v {
					t.Errorf("release.%s = %v, want %s", k, rel[k], v)
				}
			}
			for _, k := range []string{"prison_code", "com_id", "team"} {
				if _, ok := rel[k]; ok {
					t.Errorf("the liaison sees release.%s", k)
				}
			}
			if view["status"] != "completed" || view["id"] != c.ID {
				t.Errorf("the liaison sees status %v id %v, want completed %s", view["status"], view["id"], c.ID)
			}
			b, _ := json.Marshal(view)
			if strings.Contains(string(b), secretNote) {
				t.Errorf("the completion note reaches the liaison: %s", b)
			}
		})
	}
	if strings.Contains(string(single.body), secretNote) {
		t.Errorf("the completion note is in the liaison's answer")
	}
}

func ids(rs []apiRelease) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func checkIDs(cs []apiCheck) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestALiaisonIsNotToldWhoTheCOMIs(t *testing.T) {
	e := newEnv(t)
	c := e.daCheckIn(t, 1, "requested")
	for _, path := range []string{"/api/v1/checks/" + c.ID, "/api/v1/checks"} {
		t.Run("a liaison's "+path+" carries no id of the COM", func(t *testing.T) {
			res := e.do(t, e.police.Token, "GET", path, nil)
			want(t, res, http.StatusOK, nil)
			if strings.Contains(string(res.body), e.com.ID) {
				t.Errorf("the COM's id %s reaches the liaison (com_id is hidden, but not requested_by or history[].actor_id): %s", e.com.ID, res.body)
			}
		})
	}
}
