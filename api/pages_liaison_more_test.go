package api

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

// The liaisons' pages of issue 15: what their agency answered, notes, and how overdue a
// request is, in words.

// answered records a release of crn, requests its check of typ and answers it as the
// liaison, on the env's clock; it returns the check's id.
func (e *env) answered(t *testing.T, crn, typ string, liaison caller, outcome, summary string) string {
	t.Helper()
	ch := checkOf(t, e.createRelease(t, e.com, map[string]any{"crn": crn}), typ)
	want(t, e.do(t, e.com.Token, "POST", "/api/v1/checks/"+ch.ID+"/request", nil), http.StatusOK, nil)
	if outcome != "" {
		want(t, e.do(t, liaison.Token, "POST", "/api/v1/checks/"+ch.ID+"/response",
			map[string]any{"outcome": outcome, "summary": summary}), http.StatusOK, nil)
	}
	return ch.ID
}

func (e *env) summaryReads(t *testing.T) int {
	t.Helper()
	n := 0
	f := checks.AuditFilter{Resource: "check", Limit: 200}
	for {
		page, err := e.svc.Audit(context.Background(), checks.System("test"), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.Items {
			if a.Action == "check.read_summary" {
				n++
			}
		}
		if page.NextCursor == "" {
			return n
		}
		f.Cursor = page.NextCursor
	}
}

func TestALiaisonSeesWhatItsAgencyAnsweredInTheLast90DaysLatestFirst(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	// 100 days ago: too old for the list.
	e.clock.Set(now.AddDate(0, 0, -100))
	old := e.answered(t, "X100001", "domestic_abuse", e.police, "no_information", "")
	// 80 days ago, then today: both listed, today's first.
	e.clock.Set(now.AddDate(0, 0, -80))
	earlier := e.answered(t, "X100002", "domestic_abuse", e.police, "information_held", "Two call-outs to the address in 2024.")
	e.clock.Set(now)
	latest := e.answered(t, "X100003", "domestic_abuse", e.police, "declined", "Refused under section 29.")
	// Completed by probation since: still listed, as read.
	want(t, e.do(t, e.com.Token, "POST", "/api/v1/checks/"+earlier+"/complete", map[string]any{"note": "Plan updated."}), http.StatusOK, nil)
	// Waiting for an answer, and answered by another agency: not listed.
	waiting := e.answered(t, "X100004", "domestic_abuse", e.police, "", "")
	childrens := e.answered(t, "X100005", "child_safeguarding", e.childrens, "no_information", "")

	reads := e.summaryReads(t)
	res := e.page(t, "GET", "/answered", nil, e.signInWithForm(t, e.police.Token))
	if res.status != http.StatusOK {
		t.Fatalf("GET /answered: %d", res.status)
	}
	tests := []struct {
		name, id string
		listed   bool
	}{
		{"an answer given today is listed", latest, true},
		{"an answer given 80 days ago, completed since, is listed", earlier, true},
		{"an answer given 100 days ago is not", old, false},
		{"a request not yet answered is not", waiting, false},
		{"another agency's answer is not", childrens, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Contains(res.body, `href="/checks/`+tt.id+`"`); got != tt.listed {
				t.Errorf("the check is listed: %v, want %v", got, tt.listed)
			}
		})
	}
	if i, j := strings.Index(res.body, latest), strings.Index(res.body, earlier); i < 0 || j < 0 || i > j {
		t.Errorf("today's answer (at %d) should come before the one of 80 days ago (at %d)", i, j)
	}
	for _, want := range []string{"2 answered requests", "Declined", "Information held", "Waiting for probation to read it", "Read by probation", "X100003"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	// A list is not a read of the answers: it shows none, and audits none.
	if strings.Contains(res.body, "call-outs") || strings.Contains(res.body, "section 29") {
		t.Errorf("the list shows an answer's summary")
	}
	if got := e.summaryReads(t); got != reads {
		t.Errorf("listing the answers audited %d reads of summaries, want none", got-reads)
	}
	// The request's page goes back to the list.
	page := e.page(t, "GET", "/checks/"+latest, nil, e.signInWithForm(t, e.police.Token))
	if !strings.Contains(page.body, `<a href="/answered" class="govuk-back-link">Back</a>`) {
		t.Errorf("an answered request's page has no back link to the answered list")
	}
}

func TestTheQueueAndTheRequestSayHowManyWorkingDaysARequestIsOverdueInWords(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		// Requested Tuesday 24 November 2026 at 09:00: due Tuesday 8 December.
		{"ten working days before the due date", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), "10 working days left"},
		{"the day before", time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC), "1 working day left"},
		{"on the due date", time.Date(2026, 12, 8, 9, 0, 0, 0, time.UTC), "Due today"},
		{"the next day", time.Date(2026, 12, 9, 9, 0, 0, 0, time.UTC), "1 working day overdue"},
		// Wednesday 16 December: 9, 10, 11, 14, 15 and 16 December.
		{"six working days later", time.Date(2026, 12, 16, 9, 0, 0, 0, time.UTC), "6 working days overdue"},
	}
	e := newEnv(t)
	id := e.answered(t, "X123456", "domestic_abuse", e.police, "", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Set(tt.at)
			// A session lasts hours, not days.
			session := e.signInWithForm(t, e.police.Token)
			for _, path := range []string{"/queue", "/checks/" + id} {
				body := e.page(t, "GET", path, nil, session).body
				if !strings.Contains(body, tt.want) {
					t.Errorf("%s does not say %q", path, tt.want)
				}
				if regexp.MustCompile(`>-\d`).MatchString(body) {
					t.Errorf("%s shows a negative number", path)
				}
			}
		})
	}
}

func TestALiaisonAddsANoteFromTheRequestPageAndProbationSeesIt(t *testing.T) {
	e := newEnv(t)
	id := e.answered(t, "X123456", "domestic_abuse", e.police, "", "")
	session := e.signInWithForm(t, e.police.Token)
	page := e.page(t, "GET", "/checks/"+id, nil, session)
	csrf := csrfField.FindStringSubmatch(page.body)[1]
	if !strings.Contains(page.body, `action="/checks/`+id+`/notes"`) {
		t.Fatalf("the request page has no note form")
	}
	tests := []struct {
		name   string
		note   string
		status int
		says   string
	}{
		{"an empty note is refused with the error in the summary", "  ", http.StatusUnprocessableEntity, `<a href="#note">Enter a note</a>`},
		{"a note too long is refused, and what was typed is kept", strings.Repeat("a", 1001), http.StatusUnprocessableEntity, strings.Repeat("a", 1001) + "</textarea>"},
		{"a note is added", "We will answer by Friday 4 December.", http.StatusSeeOther, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.page(t, "POST", "/checks/"+id+"/notes", url.Values{"csrf_token": {csrf}, "note": {tt.note}}, session)
			if res.status != tt.status {
				t.Fatalf("POST the note: %d, want %d: %s", res.status, tt.status, res.body)
			}
			if tt.says != "" && (!strings.Contains(res.body, tt.says) || !strings.Contains(res.body, "There is a problem")) {
				t.Errorf("the page lacks %q", tt.says)
			}
		})
	}
	page = e.page(t, "GET", "/checks/"+id+"?notice=note-added", nil, session)
	if !strings.Contains(page.body, "We will answer by Friday 4 December.") || !strings.Contains(page.body, "Your note was added") {
		t.Errorf("the request page does not show the note added")
	}
	c, err := e.svc.Check(context.Background(), checks.System("test"), id)
	if err != nil {
		t.Fatal(err)
	}
	release := e.page(t, "GET", "/releases/"+c.ReleaseID, nil, e.signInWithForm(t, e.com.Token))
	if !strings.Contains(release.body, "We will answer by Friday 4 December.") {
		t.Errorf("the COM's release page does not show the liaison's note")
	}
}
