package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// jsonCheck is a check's answer as a map, to see which fields it holds at all.
func (e *env) jsonCheck(t *testing.T, as caller, id string) map[string]any {
	t.Helper()
	var c map[string]any
	want(t, e.do(t, as.Token, "GET", "/api/v1/checks/"+id, nil), http.StatusOK, &c)
	return c
}

// form posts a page form with the session's CSRF token and returns the answer.
func (e *env) form(t *testing.T, session *http.Cookie, path string, values url.Values) pageReply {
	t.Helper()
	if values == nil {
		values = url.Values{}
	}
	values.Set("csrf_token", e.csrfOf(t, session))
	return e.page(t, "POST", path, values, session)
}

func TestTheOldAgencySeesAWithdrawnRequestAsItWasWithdrawnOverTheAPIAndOnItsPage(t *testing.T) {
	tests := []struct {
		name     string
		withdraw func(e *env, r apiRelease, da apiCheck)
		secret   string // a word of the reason, or of the new agency, the Met must never read
	}{
		{"stood down", func(e *env, _ apiRelease, da apiCheck) {
			e.act(t, e.com, da.ID, "stand-down", map[string]any{"reason": "The victim has emigrated to Canada."})
		}, "Canada"},
		{"the address moved", func(e *env, r apiRelease, _ apiCheck) {
			want(t, e.do(t, e.com.Token, "PATCH", "/api/v1/releases/"+r.ID, map[string]any{"police_force": "E23000002"}), http.StatusOK, nil)
		}, "E23000002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.freshRelease(t, 1)
			da := checkOf(t, r, "domestic_abuse")
			e.act(t, e.com, da.ID, "request", nil)
			tt.withdraw(e, r, da)
			want(t, e.do(t, e.com.Token, "PATCH", "/api/v1/releases/"+r.ID, map[string]any{"release_date": "2027-03-01"}), http.StatusOK, nil)

			com := e.jsonCheck(t, e.com, da.ID)
			if com["status"] != "withdrawn" || com["withdrawn_reason"] == nil || com["withdrawn_because"] == nil || com["release"].(map[string]any)["release_date"] != "2027-03-01" {
				t.Errorf("the COM sees %v because %v (%v), release %v", com["status"], com["withdrawn_because"], com["withdrawn_reason"], com["release"])
			}
			met := e.jsonCheck(t, e.police, da.ID)
			if met["status"] != "withdrawn" || met["release"].(map[string]any)["release_date"] != "2027-02-15" {
				t.Errorf("the Met sees %v, release %v; want withdrawn, release as it was (2027-02-15)", met["status"], met["release"])
			}
			for _, hidden := range []string{"withdrawn_reason", "withdrawn_because", "superseded_by", "team", "com_id", "delivery"} {
				if v, ok := met[hidden]; ok {
					t.Errorf("the Met's answer has %s = %v", hidden, v)
				}
			}
			page := e.page(t, "GET", "/checks/"+da.ID, nil, e.signInWithForm(t, e.police.Token))
			if page.status != http.StatusOK || !strings.Contains(page.body, "15 February 2027") || strings.Contains(page.body, "1 March 2027") || strings.Contains(page.body, tt.secret) {
				t.Errorf("the Met's page (%d) shows the later release, or %q: %s", page.status, tt.secret, page.body)
			}
		})
	}
}

func TestARequestThatCouldNotBeEmailedSaysSoEverywhere(t *testing.T) {
	e := newEnv(t)
	want(t, e.do(t, e.admin.Token, "PATCH", "/api/v1/agencies/E23000001", map[string]any{"contact_email": "referrals@met.example.org"}), http.StatusOK, nil)
	r := e.freshRelease(t, 1)
	da, cs := checkOf(t, r, "domestic_abuse"), checkOf(t, r, "child_safeguarding")
	tests := []struct {
		name    string
		id      string
		emailed bool
		reason  string
	}{
		{"an agency with a contact mailbox is waiting for the run", da.ID, false, "waiting for the next escalation run to email it"},
		{"the City of London has none in the directory", cs.ID, false, "the agency has no contact mailbox in the directory"},
	}
	session := e.signInWithForm(t, e.com.Token)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c map[string]any
			res := e.form(t, session, "/checks/"+tt.id+"/request", nil)
			if res.status != http.StatusSeeOther {
				t.Fatalf("the request form answered %d: %s", res.status, res.body)
			}
			if notEmailed := strings.Contains(res.header.Get("Location"), "requested-not-emailed"); notEmailed != (tt.id == cs.ID) {
				t.Errorf("the form sends to %s", res.header.Get("Location"))
			}
			c = e.jsonCheck(t, e.com, tt.id)
			d, _ := c["delivery"].(map[string]any)
			if d == nil || d["emailed"] != tt.emailed || d["reason"] != tt.reason {
				t.Errorf("delivery = %v, want emailed %v because %q", c["delivery"], tt.emailed, tt.reason)
			}
		})
	}
	var listed struct {
		Items []map[string]any `json:"items"`
	}
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/checks?undeliverable=true", nil), http.StatusOK, &listed)
	if len(listed.Items) != 1 || listed.Items[0]["id"] != cs.ID {
		t.Errorf("the admins' list of requests not emailed = %v, want the City's check only", listed.Items)
	}
	page := e.page(t, "GET", "/releases/"+r.ID+"?notice=requested-not-emailed", nil, session)
	if !strings.Contains(page.body, "could not be emailed: the agency has no contact mailbox in the directory") || !strings.Contains(page.body, "its agency could not be emailed") {
		t.Errorf("the release page does not say the City could not be emailed: %s", page.body)
	}
}

func TestMoreTimeIsAskedOnTheLiaisonsPageAndAgreedOrRefusedOnTheReleasePage(t *testing.T) {
	tests := []struct {
		name, button, path string
		due, decision      string
		liaisonReads       string
	}{
		{"agreed", "Agree more time, until 15 December 2026", "/extension/agree", "2026-12-15", "agreed", "The answer is now due 15 December 2026"},
		{"refused", "Refuse more time", "/extension/refuse", "2026-12-08", "refused", "The answer is still due 8 December 2026"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.freshRelease(t, 1)
			da := checkOf(t, r, "domestic_abuse")
			e.act(t, e.com, da.ID, "request", nil)
			police := e.signInWithForm(t, e.police.Token)

			bad := e.form(t, police, "/checks/"+da.ID+"/extension", url.Values{"proposed_date-day": {"8"}, "proposed_date-month": {"12"}, "proposed_date-year": {"2026"}, "extension_note": {"Short of staff."}})
			if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, "Date your agency can answer by must be after the current due date (8 December 2026)") || strings.Contains(bad.body, "Proposed date") || !strings.Contains(bad.body, `value="Short of staff.`) && !strings.Contains(bad.body, ">Short of staff.<") {
				t.Errorf("a date not after the due date: %d %s", bad.status, bad.body)
			}
			res := e.form(t, police, "/checks/"+da.ID+"/extension", url.Values{"proposed_date-day": {"15"}, "proposed_date-month": {"12"}, "proposed_date-year": {"2026"}, "extension_note": {"Short of staff."}})
			if res.status != http.StatusSeeOther {
				t.Fatalf("asking for more time answered %d: %s", res.status, res.body)
			}

			com := e.signInWithForm(t, e.com.Token)
			page := e.page(t, "GET", "/releases/"+r.ID, nil, com)
			if !strings.Contains(page.body, "Waiting for your decision") || !strings.Contains(page.body, tt.button) {
				t.Errorf("the release page lacks the request for more time and its %q button: %s", tt.button, page.body)
			}
			res = e.form(t, com, "/checks/"+da.ID+tt.path, url.Values{"reason": {"The release plan is due that week."}})
			if res.status != http.StatusSeeOther {
				t.Fatalf("deciding answered %d: %s", res.status, res.body)
			}
			c := e.jsonCheck(t, e.com, da.ID)
			ext, _ := c["extension"].(map[string]any)
			if c["due_date"] != tt.due || ext == nil || ext["decision"] != tt.decision || ext["proposed_date"] != "2026-12-15" {
				t.Errorf("after the decision: due %v, extension %v", c["due_date"], c["extension"])
			}
			if again := e.form(t, com, "/checks/"+da.ID+tt.path, nil); again.status != http.StatusConflict || !strings.Contains(again.body, "No request for more time is waiting for a decision") {
				t.Errorf("deciding again: %d %s", again.status, again.body)
			}
			liaison := e.page(t, "GET", "/checks/"+da.ID, nil, police)
			if !strings.Contains(liaison.body, tt.liaisonReads) {
				t.Errorf("the liaison's page does not say %q: %s", tt.liaisonReads, liaison.body)
			}
		})
	}
}

func TestTheCOMStandsDownARequestFromTheReleasePage(t *testing.T) {
	tests := []struct {
		name   string
		reason string
		status int
		says   string
	}{
		{"without a reason the form asks for one", "", http.StatusUnprocessableEntity, "Enter why the request is no longer needed"},
		{"with a reason the request is withdrawn", "The victim has emigrated.", http.StatusSeeOther, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.freshRelease(t, 1)
			da := checkOf(t, r, "domestic_abuse")
			e.act(t, e.com, da.ID, "request", nil)
			com := e.signInWithForm(t, e.com.Token)
			if page := e.page(t, "GET", "/releases/"+r.ID, nil, com); !strings.Contains(page.body, "Stand down the request") {
				t.Fatalf("the release page has no stand-down form: %s", page.body)
			}
			res := e.form(t, com, "/checks/"+da.ID+"/stand-down", url.Values{"reason": {tt.reason}})
			if res.status != tt.status || !strings.Contains(res.body, tt.says) {
				t.Fatalf("stand-down answered %d, want %d saying %q: %s", res.status, tt.status, tt.says, res.body)
			}
			if tt.status != http.StatusSeeOther {
				return
			}
			c := e.jsonCheck(t, e.com, da.ID)
			if c["status"] != "withdrawn" || c["withdrawn_because"] != "stood_down" || c["withdrawn_reason"] != tt.reason {
				t.Errorf("after standing down: %v because %v (%v)", c["status"], c["withdrawn_because"], c["withdrawn_reason"])
			}
		})
	}
}

func TestTheReportsCountADeclinedAnswerApart(t *testing.T) {
	e := newEnv(t)
	r := e.freshRelease(t, 1)
	da := checkOf(t, r, "domestic_abuse")
	e.act(t, e.com, da.ID, "request", nil)
	e.act(t, e.police, da.ID, "response", map[string]any{"outcome": "declined", "summary": "Not without a court order."})
	e.act(t, e.com, da.ID, "complete", asComplete)
	tests := []struct {
		name, path, csvHeader string
	}{
		{"completion", "/api/v1/reports/completion?from=2027-02-01&to=2027-02-28", "not_required_reasons,declined"},
		{"agencies", "/api/v1/reports/agencies?from=2026-11-01&to=2026-11-30", "oldest_open_check_id,declined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.do(t, e.manager.Token, "GET", tt.path, nil)
			body := string(res.body)
			switch tt.name {
			case "completion":
				if !strings.Contains(body, `"declined":1`) || !strings.Contains(body, `"responded_before_release":0`) || !strings.Contains(body, `"completed_before_release":0`) {
					t.Errorf("completion report: %s", body)
				}
			case "agencies":
				if !strings.Contains(body, `"answered":0,"declined":1`) {
					t.Errorf("agencies report: %s", body)
				}
			}
			csv := e.do(t, e.manager.Token, "GET", tt.path+"&format=csv", nil)
			if !strings.Contains(string(csv.body), tt.csvHeader) {
				t.Errorf("the CSV header lacks %q: %s", tt.csvHeader, csv.body)
			}
		})
	}
}
