package api

import (
	"context"
	"net/http"
	"testing"
	"time"
)

type apiPlan struct {
	AsOf       string `json:"as_of"`
	DryRun     bool   `json:"dry_run"`
	OpenChecks int    `json:"open_checks"`
	Items      []struct {
		CheckID       string   `json:"check_id"`
		CRN           string   `json:"crn"`
		Rule          string   `json:"rule"`
		To            []string `json:"to"`
		Undeliverable []string `json:"undeliverable"`
		Recorded      bool     `json:"recorded"`
	} `json:"items"`
	Emails []struct {
		ID      string `json:"id"`
		To      string `json:"to"`
		Missing string `json:"missing"`
		Items   int    `json:"items"`
		Queued  bool   `json:"queued"`
	} `json:"emails"`
}

type apiEmail struct {
	ID        string   `json:"id"`
	To        string   `json:"to"`
	Missing   string   `json:"missing"`
	Subject   string   `json:"subject"`
	Status    string   `json:"status"`
	Attempts  int      `json:"attempts"`
	LastError string   `json:"last_error"`
	Items     []string `json:"items"`
	Text      string   `json:"text"`
}

func TestAnAdminRunsTheLadderDryOrForReal(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)

	var dry apiPlan
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/escalations/run", map[string]any{"as_of": "2027-01-04T07:00:00Z", "dry_run": true}), http.StatusOK, &dry)
	if !dry.DryRun || dry.OpenChecks != 2 || len(dry.Items) != 2 || len(dry.Emails) != 1 || dry.Emails[0].Queued {
		t.Fatalf("dry run = %+v; want 2 reminders in 1 email, nothing queued", dry)
	}
	for _, it := range dry.Items {
		if it.Rule != "request_reminder" || it.CRN != r.CRN || len(it.To) != 1 || it.To[0] != e.com.Email || it.Recorded {
			t.Errorf("dry-run item %+v", it)
		}
	}
	var outbox apiList[apiEmail]
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/outbox", nil), http.StatusOK, &outbox)
	if len(outbox.Items) != 0 {
		t.Fatalf("a dry run queued %d emails", len(outbox.Items))
	}

	var real apiPlan
	// A run that writes stands at now, not later: the clock is at the as-of time.
	e.clock.Set(time.Date(2027, 1, 4, 7, 0, 0, 0, time.UTC))
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/escalations/run", map[string]any{"as_of": "2027-01-04T07:00:00Z"}), http.StatusOK, &real)
	if len(real.Emails) != 1 || !real.Emails[0].Queued || !real.Items[0].Recorded {
		t.Fatalf("run = %+v; want the email queued and the rungs recorded", real)
	}
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/outbox?status=pending", nil), http.StatusOK, &outbox)
	if len(outbox.Items) != 1 || outbox.Items[0].To != e.com.Email || len(outbox.Items[0].Items) != 2 {
		t.Fatalf("outbox = %+v", outbox.Items)
	}
	var one apiEmail
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/outbox/"+outbox.Items[0].ID, nil), http.StatusOK, &one)
	if one.Text == "" || one.Subject == "" {
		t.Errorf("one email lacks its text or subject: %+v", one)
	}
	// The check shows the rung it got.
	var c struct {
		RequestBy   string `json:"request_by"`
		Escalations map[string]struct {
			Basis string   `json:"basis"`
			Due   string   `json:"due"`
			To    []string `json:"to"`
		} `json:"escalations"`
	}
	want(t, e.do(t, e.com.Token, "GET", "/api/v1/checks/"+r.Checks[0].ID, nil), http.StatusOK, &c)
	if got := c.Escalations["request_reminder"]; len(got.To) != 1 || got.To[0] != e.com.Email || got.Basis != c.RequestBy || got.Due != c.RequestBy {
		t.Errorf("check escalations = %+v; want the reminder to the COM against the request-by date %s", c.Escalations, c.RequestBy)
	}
}

func TestAnAdminSeesUndeliverableEmailsAndRetriesThem(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	e.act(t, e.com, checkOf(t, r, "domestic_abuse").ID, "request", nil)
	var plan apiPlan
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/escalations/run", nil), http.StatusOK, &plan)
	// The request notice finds no mailbox for the Met; the COM is told so (request_not_emailed).
	var notice, told int
	for _, it := range plan.Items {
		switch {
		case it.Rule == "request_notice" && len(it.Undeliverable) == 1:
			notice++
		case it.Rule == "request_not_emailed" && len(it.To) == 1 && it.To[0] == e.com.Email:
			told++
		}
	}
	if len(plan.Emails) != 2 || notice != 1 || told != 1 {
		t.Fatalf("plan = %+v; want the request notice undeliverable (the Met has no contact set) and the COM told", plan)
	}
	var list apiList[apiEmail]
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/outbox?status=undeliverable", nil), http.StatusOK, &list)
	if len(list.Items) != 1 {
		t.Fatalf("undeliverable = %+v", list.Items)
	}
	id := list.Items[0].ID
	wantProblem(t, e.do(t, e.admin.Token, "POST", "/api/v1/outbox/"+id+"/retry", nil), http.StatusConflict, "")

	want(t, e.do(t, e.admin.Token, "PATCH", "/api/v1/agencies/E23000001", map[string]any{"contact_email": "referrals@met.example.org"}), http.StatusOK, nil)
	var retried apiList[apiEmail]
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/outbox/"+id+"/retry", nil), http.StatusOK, &retried)
	if len(retried.Items) != 1 || retried.Items[0].To != "referrals@met.example.org" || retried.Items[0].Status != "pending" {
		t.Fatalf("retried = %+v", retried.Items)
	}
	if _, err := e.sender.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := e.smtp.To("referrals@met.example.org"); len(got) != 1 {
		t.Errorf("the Met's contact got %d emails, want 1", len(got))
	}
}

func TestOnlyAdminsRunEscalationsAndSeeTheOutbox(t *testing.T) {
	e := newEnv(t)
	for _, who := range []caller{e.com, e.manager, e.police} {
		wantProblem(t, e.do(t, who.Token, "POST", "/api/v1/escalations/run", nil), http.StatusForbidden, "")
		wantProblem(t, e.do(t, who.Token, "GET", "/api/v1/outbox", nil), http.StatusForbidden, "")
		wantProblem(t, e.do(t, who.Token, "POST", "/api/v1/outbox/"+fakeEmailID+"/retry", nil), http.StatusForbidden, "")
	}
	wantProblem(t, e.do(t, "", "GET", "/api/v1/outbox", nil), http.StatusUnauthorized, "")
}

const fakeEmailID = "0000000000000000000000000000000000000000000000000000000000000000"

func TestEscalationAndOutboxInputIsChecked(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"an as_of that is not a time", "POST", "/api/v1/escalations/run", map[string]any{"as_of": "monday"}, http.StatusUnprocessableEntity, "as_of"},
		{"an as_of later than now without dry_run", "POST", "/api/v1/escalations/run", map[string]any{"as_of": "2026-11-24T09:01:00Z"}, http.StatusBadRequest, "as_of"},
		{"an as_of later than now with dry_run false", "POST", "/api/v1/escalations/run", map[string]any{"as_of": "2027-01-04T07:00:00Z", "dry_run": false}, http.StatusBadRequest, "as_of"},
		{"dry_run that is not a boolean", "POST", "/api/v1/escalations/run", map[string]any{"dry_run": "yes"}, http.StatusBadRequest, "dry_run"},
		{"an unknown field", "POST", "/api/v1/escalations/run", map[string]any{"asof": "x"}, http.StatusBadRequest, "asof"},
		{"an unknown outbox status", "GET", "/api/v1/outbox?status=lost", nil, http.StatusUnprocessableEntity, "status"},
		{"a limit out of range", "GET", "/api/v1/outbox?limit=500", nil, http.StatusUnprocessableEntity, "limit"},
		{"a malformed email id", "GET", "/api/v1/outbox/xyz", nil, http.StatusBadRequest, "id"},
		{"an unknown email", "GET", "/api/v1/outbox/" + fakeEmailID, nil, http.StatusNotFound, ""},
		{"retrying an unknown email", "POST", "/api/v1/outbox/" + fakeEmailID + "/retry", nil, http.StatusNotFound, ""},
		{"a garbage cursor", "GET", "/api/v1/outbox?cursor=" + fakeEmailID, nil, http.StatusBadRequest, "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, e.do(t, e.admin.Token, tt.method, tt.path, tt.body), tt.status, tt.field)
		})
	}
}
