package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		token  string
		method string
		path   string
		status int
	}{
		{"an unknown path under /api is not found", "", "GET", "/api/nope", 404},
		{"an unknown API path is not found, even with a token", e.admin.Token, "GET", "/api/v1/prisoners", 404},
		{"an unknown API version is not found", e.admin.Token, "GET", "/api/v2/releases", 404},
		{"a check action that does not exist is not found", e.admin.Token, "POST", "/api/v1/checks/" + "aaaaaaaaaaaaaaaaaaaaaaaa" + "/approve", 404},
		{"DELETE on the releases is not allowed", e.admin.Token, "DELETE", "/api/v1/releases", 405},
		{"PUT on a release is not allowed", e.admin.Token, "PUT", "/api/v1/releases/aaaaaaaaaaaaaaaaaaaaaaaa", 405},
		{"GET on a transition is not allowed", e.admin.Token, "GET", "/api/v1/checks/aaaaaaaaaaaaaaaaaaaaaaaa/request", 405},
		{"POST on the health check is not allowed", "", "POST", "/healthz", 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, tc.token, tc.method, tc.path, nil)
			wantProblem(t, res, tc.status, "")
			if tc.status == 405 && (res.header.Get("Allow") == "" || strings.Contains(res.header.Get("Allow"), tc.method)) {
				t.Errorf("Allow = %q, want the methods the route takes, without %s", res.header.Get("Allow"), tc.method)
			}
		})
	}
}

func TestHealthAndReadinessAnswerWithoutAToken(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, path, status string
	}{
		{"the service says it is alive", "/healthz", "ok"},
		{"the service says it is ready while the database answers", "/readyz", "ready"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, "", "GET", tc.path, nil)
			var body struct {
				Status string `json:"status"`
			}
			want(t, res, http.StatusOK, &body)
			if body.Status != tc.status {
				t.Errorf("status = %q, want %q", body.Status, tc.status)
			}
			if res.header.Get("X-Request-ID") == "" || res.header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v lack X-Request-ID or Cache-Control: no-store", res.header)
			}
		})
	}
}

func TestCreatingAReleaseAnswersItWithBothChecksRequired(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		as      caller
		changes map[string]any
		team    string
		com     string
	}{
		{"a COM records a release for its own team and becomes its COM", e.com, nil, "N07-T1", e.com.ID},
		{"a manager records a release for one of its teams, naming the COM", e.manager, map[string]any{"crn": "M000001", "team": "N07-T1", "com_id": e.com.ID}, "N07-T1", e.com.ID},
		{"an admin records a release for any team, naming the COM", e.admin, map[string]any{"crn": "A000001", "team": "N08-T2", "com_id": e.otherCOM.ID}, "N08-T2", e.otherCOM.ID},
		{"lower-case codes are taken and normalised", e.com, map[string]any{"crn": "x000002", "noms_number": "a1234bc", "prison_code": "lei", "police_force": "e23000001"}, "N07-T1", e.com.ID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := validRelease()
			for k, v := range tc.changes {
				body[k] = v
			}
			res := e.do(t, tc.as.Token, "POST", "/api/v1/releases", body)
			var r apiRelease
			want(t, res, http.StatusCreated, &r)
			if res.header.Get("Location") != "/api/v1/releases/"+r.ID || r.ID == "" {
				t.Errorf("Location = %q for release %q", res.header.Get("Location"), r.ID)
			}
			if res.header.Get("ETag") != quoted(r.Version) {
				t.Errorf("ETag = %q, want %q", res.header.Get("ETag"), quoted(r.Version))
			}
			if r.Team != tc.team || r.COMID != tc.com || r.Status != "active" || r.ReleaseDate != "2027-02-15" ||
				r.PoliceForce != "E23000001" || r.LocalAuthority != "E09000001" || r.FullName != "John Smith" ||
				r.NOMSNumber != "A1234BC" || r.PrisonCode != "LEI" || r.DateOfBirth != "1985-03-02" || r.CRN == "" || r.CRN != strings.ToUpper(body["crn"].(string)) {
				t.Errorf("created %+v; want team %s, COM %s, active, and the fields sent", r, tc.team, tc.com)
			}
			wantAgency := map[string]string{"domestic_abuse": "E23000001", "child_safeguarding": "E09000001"}
			if len(r.Checks) != 2 {
				t.Fatalf("%d checks, want 2", len(r.Checks))
			}
			for _, c := range r.Checks {
				// 30 working days before Monday 15 February 2027.
				if c.Status != "required" || c.RequestBy != "2027-01-04" || c.Agency != wantAgency[c.Type] || c.ReleaseID != r.ID || c.RequestedAt != "" {
					t.Errorf("%s check = status %s request_by %s agency %s release %s requested_at %q; want required, 2027-01-04, %s, %s, none",
						c.Type, c.Status, c.RequestBy, c.Agency, c.ReleaseID, c.RequestedAt, wantAgency[c.Type], r.ID)
				}
				delete(wantAgency, c.Type)
			}
			if len(wantAgency) != 0 {
				t.Errorf("no check of type %v", wantAgency)
			}

			var got apiRelease
			want(t, e.do(t, tc.as.Token, "GET", res.header.Get("Location"), nil), http.StatusOK, &got)
			a, _ := json.Marshal(r)
			b, _ := json.Marshal(got)
			if string(a) != string(b) {
				t.Errorf("GET Location differs from the answer to the POST:\n%s\n%s", a, b)
			}
		})
	}
	t.Run("the same person released on the same day twice conflicts", func(t *testing.T) {
		wantProblem(t, e.do(t, e.com.Token, "POST", "/api/v1/releases", validRelease()), http.StatusConflict, "")
	})
}

func TestACheckGoesThroughItsWholeLifecycleOverHTTP(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	id := checkOf(t, r, "domestic_abuse").ID

	c := e.act(t, e.com, id, "request", asRequest)
	if c.Status != "requested" || c.RequestedAt != "2026-11-24T09:00:00Z" || c.DueDate == "" {
		t.Errorf("after the request: status %s requested_at %s due %s", c.Status, c.RequestedAt, c.DueDate)
	}
	c = e.act(t, e.police, id, "notes", asNote)
	if c.Status != "requested" {
		t.Errorf("a note changed the status to %s", c.Status)
	}
	c = e.act(t, e.police, id, "response", asResponse)
	if c.Status != "responded" || c.Response == nil || c.Response.Outcome != "information_held" ||
		c.Response.Summary != asResponse["summary"] || c.Response.RespondedBy != e.police.ID || c.Response.RespondedAt == "" {
		t.Errorf("after the answer: %+v", c)
	}
	c = e.act(t, e.com, id, "complete", asComplete)
	if c.Status != "completed" || c.CompletedAt == "" || c.CompletionNote != asComplete["note"] {
		t.Errorf("after completion: status %s completed_at %s note %q", c.Status, c.CompletedAt, c.CompletionNote)
	}
	var actions []string
	for _, h := range c.History {
		actions = append(actions, h.Action+"/"+h.Role)
	}
	wantActions := []string{"create/com", "request/com", "note/liaison", "respond/liaison", "complete/com"}
	if len(actions) != len(wantActions) || c.Version != 5 {
		t.Fatalf("history %v at version %d, want %v at version 5", actions, c.Version, wantActions)
	}
	for i := range actions {
		if actions[i] != wantActions[i] {
			t.Errorf("history %v, want %v", actions, wantActions)
			break
		}
	}
}
