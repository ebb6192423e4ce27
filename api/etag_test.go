package api

import (
	"net/http"
	"strconv"
	"testing"
)

func quoted(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

func TestChecksAndReleasesCarryTheirVersionAsETag(t *testing.T) {
	e := newEnv(t)
	created := e.do(t, e.com.Token, "POST", "/api/v1/releases", validRelease())
	var r apiRelease
	want(t, created, http.StatusCreated, &r)
	if got := created.header.Get("ETag"); got != quoted(r.Version) {
		t.Errorf("create answered ETag %q, want %q", got, quoted(r.Version))
	}
	id := checkOf(t, r, "domestic_abuse").ID
	e.act(t, e.com, id, "request", nil)

	for _, tc := range []struct {
		name string
		path string
	}{
		{"a release's ETag is its quoted version", "/api/v1/releases/" + r.ID},
		{"a check's ETag is its quoted version", "/api/v1/checks/" + id},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, e.com.Token, "GET", tc.path, nil)
			var v struct {
				Version int64 `json:"version"`
			}
			want(t, res, http.StatusOK, &v)
			if v.Version < 1 || res.header.Get("ETag") != quoted(v.Version) {
				t.Errorf("ETag %q, version %d: want the quoted version", res.header.Get("ETag"), v.Version)
			}
		})
	}
	if c := e.getCheck(t, e.com, id); c.Version != 2 {
		t.Errorf("a requested check is at version %d, want 2", c.Version)
	}
}

func TestIfMatchGuardsEveryWrite(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	da, cs := checkOf(t, r, "domestic_abuse"), checkOf(t, r, "child_safeguarding")

	tests := []struct {
		name    string
		path    string
		as      caller
		body    any
		ifMatch string
		status  int
	}{
		{"a request naming a stale version fails its precondition", "/api/v1/checks/" + da.ID + "/request", e.com, nil, quoted(da.Version + 1), 412},
		{"a request naming version zero fails its precondition", "/api/v1/checks/" + da.ID + "/request", e.com, nil, `"0"`, 412},
		{"a request naming the current version succeeds", "/api/v1/checks/" + da.ID + "/request", e.com, nil, quoted(da.Version), 200},
		{"an answer naming the version before the request fails its precondition", "/api/v1/checks/" + da.ID + "/response", e.police, asResponse, quoted(da.Version), 412},
		{"an answer naming the current version succeeds", "/api/v1/checks/" + da.ID + "/response", e.police, asResponse, quoted(da.Version + 1), 200},
		{"a completion naming a stale version fails its precondition", "/api/v1/checks/" + da.ID + "/complete", e.com, asComplete, quoted(da.Version + 1), 412},
		{"a completion with If-Match * succeeds", "/api/v1/checks/" + da.ID + "/complete", e.com, asComplete, "*", 200},
		{"a not-required naming a stale version fails its precondition", "/api/v1/checks/" + cs.ID + "/not-required", e.com, asReason, `"7"`, 412},
		{"a note naming a stale version fails its precondition", "/api/v1/checks/" + cs.ID + "/notes", e.com, asNote, `"7"`, 412},
		{"a note naming the current version succeeds", "/api/v1/checks/" + cs.ID + "/notes", e.com, asNote, quoted(cs.Version), 200},
		{"a malformed If-Match is refused", "/api/v1/checks/" + cs.ID + "/notes", e.com, asNote, "version 2", 400},
		{"a weak If-Match is refused", "/api/v1/checks/" + cs.ID + "/notes", e.com, asNote, `W/"2"`, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, tc.as.Token, "POST", tc.path, tc.body, "If-Match", tc.ifMatch)
			if tc.status != 200 {
				field := ""
				if tc.status == 400 {
					field = "If-Match"
				}
				wantProblem(t, res, tc.status, field)
				return
			}
			var c apiCheck
			want(t, res, 200, &c)
			if res.header.Get("ETag") != quoted(c.Version) {
				t.Errorf("ETag %q after the change, want %q", res.header.Get("ETag"), quoted(c.Version))
			}
		})
	}

	t.Run("only the successful writes changed the checks", func(t *testing.T) {
		if c := e.getCheck(t, e.admin, da.ID); c.Status != "completed" || c.Version != da.Version+3 {
			t.Errorf("DA check is %s at version %d, want completed at %d", c.Status, c.Version, da.Version+3)
		}
		if c := e.getCheck(t, e.admin, cs.ID); c.Status != "required" || c.Version != cs.Version+1 {
			t.Errorf("child safeguarding check is %s at version %d, want required at %d (one note)", c.Status, c.Version, cs.Version+1)
		}
	})
}

func TestIfMatchGuardsReleaseChanges(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	path := "/api/v1/releases/" + r.ID
	patch := map[string]any{"prison_code": "MAN"}

	wantProblem(t, e.do(t, e.com.Token, "PATCH", path, patch, "If-Match", quoted(r.Version+1)), http.StatusPreconditionFailed, "")
	wantProblem(t, e.do(t, e.com.Token, "PATCH", path, patch, "If-Match", "one"), http.StatusBadRequest, "If-Match")
	wantProblem(t, e.do(t, e.com.Token, "POST", path+"/cancel", map[string]any{"reason": "recalled"}, "If-Match", `"99"`), http.StatusPreconditionFailed, "")

	res := e.do(t, e.com.Token, "PATCH", path, patch, "If-Match", quoted(r.Version))
	var got apiRelease
	want(t, res, http.StatusOK, &got)
	if got.PrisonCode != "MAN" || got.Version <= r.Version || res.header.Get("ETag") != quoted(got.Version) {
		t.Errorf("patch answered prison %s version %d ETag %q; want MAN, a version after %d, and its ETag", got.PrisonCode, got.Version, res.header.Get("ETag"), r.Version)
	}
	// The version the client held before its own patch is now stale.
	wantProblem(t, e.do(t, e.com.Token, "PATCH", path, map[string]any{"prison_code": "LEI"}, "If-Match", quoted(r.Version)), http.StatusPreconditionFailed, "")
	var now apiRelease
	want(t, e.do(t, e.com.Token, "GET", path, nil), http.StatusOK, &now)
	if now.PrisonCode != "MAN" || now.Status != "active" {
		t.Errorf("release is %s at %s, want active at MAN: a refused write changed it", now.Status, now.PrisonCode)
	}
}

func TestATransitionTheLifecycleForbidsIsAConflictNamingTheCurrentStatus(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	required := checkOf(t, r, "child_safeguarding").ID
	da := checkOf(t, r, "domestic_abuse").ID
	e.act(t, e.com, da, "request", nil)
	other := e.createRelease(t, e.com, map[string]any{"crn": "Y654321"})
	done := checkOf(t, other, "domestic_abuse").ID
	e.act(t, e.com, done, "request", nil)
	e.act(t, e.police, done, "response", asResponse)
	e.act(t, e.com, done, "complete", asComplete)
	notRequired := checkOf(t, other, "child_safeguarding").ID
	e.act(t, e.com, notRequired, "not-required", asReason)

	tests := []struct {
		name    string
		as      caller
		id      string
		action  string
		body    any
		current string
	}{
		{"completing a check that was never requested conflicts", e.com, required, "complete", asComplete, "required"},
		{"requesting a check twice conflicts", e.com, da, "request", nil, "requested"},
		{"marking a requested check not required conflicts", e.com, da, "not-required", asReason, "requested"},
		{"completing a check before its answer conflicts", e.manager, da, "complete", asComplete, "requested"},
		{"answering a completed check conflicts", e.police, done, "response", asResponse, "completed"},
		{"requesting a completed check conflicts", e.com, done, "request", nil, "completed"},
		{"requesting a check marked not required conflicts", e.com, notRequired, "request", nil, "not_required"},
		{"marking a check not required twice conflicts", e.com, notRequired, "not-required", asReason, "not_required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := e.getCheck(t, e.admin, tc.id)
			p := wantProblem(t, e.do(t, tc.as.Token, "POST", "/api/v1/checks/"+tc.id+"/"+tc.action, tc.body), http.StatusConflict, "")
			if p.CurrentStatus != tc.current {
				t.Errorf("current_status = %q, want %q", p.CurrentStatus, tc.current)
			}
			if after := e.getCheck(t, e.admin, tc.id); after.Version != before.Version || after.Status != before.Status {
				t.Errorf("the refused transition changed the check from %s v%d to %s v%d", before.Status, before.Version, after.Status, after.Version)
			}
		})
	}
}

func TestCancellingAReleaseWithdrawsItsOpenChecksAndFreezesThem(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	da := checkOf(t, r, "domestic_abuse").ID
	e.act(t, e.com, da, "request", nil)
	var got apiRelease
	want(t, e.do(t, e.com.Token, "POST", "/api/v1/releases/"+r.ID+"/cancel", map[string]any{"reason": "recalled"}, "If-Match", quoted(r.Version)), http.StatusOK, &got)
	if got.Status != "cancelled" {
		t.Errorf("release status = %q, want cancelled", got.Status)
	}
	for _, c := range got.Checks {
		if c.Status != "withdrawn" {
			t.Errorf("%s check is %s after the cancel, want withdrawn", c.Type, c.Status)
		}
	}
	p := wantProblem(t, e.do(t, e.police.Token, "POST", "/api/v1/checks/"+da+"/response", asResponse), http.StatusConflict, "")
	if p.CurrentStatus != "withdrawn" {
		t.Errorf("current_status = %q, want withdrawn", p.CurrentStatus)
	}
	wantProblem(t, e.do(t, e.com.Token, "POST", "/api/v1/checks/"+da+"/notes", asNote), http.StatusConflict, "")
}
