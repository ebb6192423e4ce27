package api

import (
	"net/http"
	"strings"
	"testing"
)

// A read of a response summary is audited where the summary is shown, and only there: the
// list of releases, in the API and as a page, shows none and records none; a release, a
// check and the list of checks show it and record the read.
func TestOnlyAReadThatShowsASummaryIsAuditedAsOne(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	da := checkOf(t, r, "domestic_abuse")
	e.act(t, e.com, da.ID, "request", asRequest)
	e.act(t, e.police, da.ID, "response", asResponse)
	session := e.signInWithForm(t, e.com.Token)
	summary := asResponse["summary"].(string)
	reads := func() int {
		t.Helper()
		var trail apiList[struct {
			Action string `json:"action"`
		}]
		want(t, e.do(t, e.admin.Token, "GET", "/api/v1/audit?resource_id="+da.ID, nil), http.StatusOK, &trail)
		n := 0
		for _, entry := range trail.Items {
			if entry.Action == "check.read_summary" {
				n++
			}
		}
		return n
	}

	for _, tc := range []struct {
		name      string
		page      bool // a page, with the session, rather than the API with the token
		path      string
		shows     bool
		wantReads int
	}{
		{"the API's list of releases shows no summary and records no read", false, "/api/v1/releases", false, 0},
		{"the releases page shows no summary and records no read", true, "/releases", false, 0},
		{"the API's release shows the summary and records its read", false, "/api/v1/releases/" + r.ID, true, 1},
		{"the API's check shows the summary and records its read", false, "/api/v1/checks/" + da.ID, true, 1},
		{"the API's list of checks shows the summary and records its read", false, "/api/v1/checks", true, 1},
		{"the release page shows the summary and records its read", true, "/releases/" + r.ID, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := reads()
			var body string
			if tc.page {
				res := e.page(t, "GET", tc.path, nil, session)
				if res.status != http.StatusOK {
					t.Fatalf("GET %s: %d", tc.path, res.status)
				}
				body = res.body
			} else {
				res := e.do(t, e.com.Token, "GET", tc.path, nil)
				want(t, res, http.StatusOK, nil)
				body = string(res.body)
			}
			if shown := strings.Contains(body, summary); shown != tc.shows {
				t.Errorf("the summary shown: %v, want %v", shown, tc.shows)
			}
			if got := reads() - before; got != tc.wantReads {
				t.Errorf("%d summary reads recorded, want %d", got, tc.wantReads)
			}
		})
	}
}
