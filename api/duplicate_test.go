package api

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// withFields returns validRelease with the fields changed, as a JSON body.
func withFields(changes map[string]any) map[string]any {
	b := validRelease()
	for k, v := range changes {
		b[k] = v
	}
	return b
}

// A release can be recorded once per person and release date, whichever team records it.
// The refusal is the only thing a caller learns: the same answer whether the release it
// duplicates is the caller's own team's or another's, naming nothing of it, and audited so
// that an admin can follow up.
func TestRecordingADuplicateReleaseSaysNothingOfTheReleaseItDuplicates(t *testing.T) {
	var logs lockedBuffer
	e := newEnvWith(t, slog.New(slog.NewJSONHandler(&logs, nil)), nil)
	// Team N07-T1's: John Smith, X123456, 15 February 2027, prison number C2468DE (not the
	// form's example, A1234BC).
	held := e.createRelease(t, e.com, map[string]any{"noms_number": "C2468DE"})
	// The other team's attempt gives a name and prison number of its own, so that whatever
	// of the held release an answer shows can be told from what the caller typed.
	attempt := withFields(map[string]any{"full_name": "Jon Smyth", "noms_number": "B7654DC"})
	// What the answers must not hold: the held release's id, team, COM and person. (The
	// logs name the user of each request, so the COM's id is looked for in answers only.)
	secrets := []string{held.ID, held.Team, held.COMID, "Colm Oman", "John Smith", "C2468DE"}
	leaks := func(t *testing.T, where, text string, secrets ...string) {
		t.Helper()
		for _, s := range secrets {
			if i := strings.Index(text, s); i >= 0 {
				t.Errorf("%s holds %q, a detail of the release it duplicates: ...%s...", where, s, text[max(0, i-80):min(len(text), i+len(s)+80)])
			}
		}
	}

	var answers []apiProblem
	tests := []struct {
		name string
		as   caller
		body map[string]any
	}{
		{"another team's COM is refused without a word about the release", e.otherCOM, attempt},
		{"another team's manager is refused the same way", e.otherManager, withFields(map[string]any{"team": "N08-T2", "com_id": e.otherCOM.ID})},
		{"the team's own COM is refused the same way", e.com, validRelease()},
		{"the team's manager is refused the same way", e.manager, withFields(map[string]any{"team": "N07-T1", "com_id": e.com.ID})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, tc.as.Token, "POST", "/api/v1/releases", tc.body)
			p := wantProblem(t, res, http.StatusConflict, "")
			// The CRN and date the caller typed are not echoed either: the answer is one
			// sentence for every duplicate.
			leaks(t, "the problem", string(res.body), slices.Concat(secrets, []string{"X123456", "2027-02-15"})...)
			answers = append(answers, p)
		})
	}
	t.Run("a change of release date onto the held release's is refused the same way", func(t *testing.T) {
		other := e.createRelease(t, e.otherCOM, map[string]any{"release_date": "2027-03-01"})
		res := e.do(t, e.otherCOM.Token, "PATCH", "/api/v1/releases/"+other.ID, map[string]any{"release_date": "2027-02-15"})
		p := wantProblem(t, res, http.StatusConflict, "")
		leaks(t, "the problem", string(res.body), secrets...)
		answers = append(answers, p)
	})
	t.Run("every answer is the same", func(t *testing.T) {
		if len(answers) != len(tests)+1 {
			t.Fatalf("%d answers to compare, want %d", len(answers), len(tests)+1)
		}
		for i, p := range answers[1:] {
			if p.Detail != answers[0].Detail || p.Title != answers[0].Title || p.Type != answers[0].Type || len(p.Errors) != 0 {
				t.Errorf("answer %d = %q %q %q %v, want the first's %q %q %q and no field errors",
					i+2, p.Type, p.Title, p.Detail, p.Errors, answers[0].Type, answers[0].Title, answers[0].Detail)
			}
		}
	})

	t.Run("the page form answers 409 without a word about the release", func(t *testing.T) {
		session := e.signInWithForm(t, e.otherCOM.Token)
		form := e.page(t, "GET", "/releases/new", nil, session)
		m := csrfField.FindStringSubmatch(form.body)
		if form.status != http.StatusOK || m == nil {
			t.Fatalf("the form to record a release: %d", form.status)
		}
		res := e.page(t, "POST", "/releases/new", url.Values{
			"csrf_token": {m[1]}, "crn": {"X123456"}, "noms_number": {"B7654DC"}, "full_name": {"Jon Smyth"}, "prison_code": {"LEI"},
			"police_force": {"E23000001"}, "local_authority": {"E09000001"},
			"address-line-1": {"1 Example Street"}, "address-town": {"London"}, "address-postcode": {"EC1A 1BB"},
			"date_of_birth-day": {"2"}, "date_of_birth-month": {"3"}, "date_of_birth-year": {"1985"},
			"release_date-day": {"15"}, "release_date-month": {"2"}, "release_date-year": {"2027"},
		}, session)
		if res.status != http.StatusConflict || !strings.Contains(res.body, "already recorded") {
			t.Errorf("the page answered %d, want 409 saying the release is already recorded", res.status)
		}
		leaks(t, "the page", res.body, secrets...)
	})

	t.Run("each attempt is audited against the held release, for an admin to follow up", func(t *testing.T) {
		entries := listAll[struct {
			Action    string `json:"action"`
			ActorID   string `json:"actor_id"`
			ReleaseID string `json:"release_id"`
		}](t, e, e.admin, "/api/v1/audit?resource_id="+held.ID)
		var by []string
		for _, en := range entries {
			if en.Action == "release.duplicate_refused" {
				by = append(by, en.ActorID)
				if en.ReleaseID != held.ID {
					t.Errorf("a refusal is linked to release %q, want the held one %s", en.ReleaseID, held.ID)
				}
			}
		}
		want := []string{e.otherCOM.ID, e.otherManager.ID, e.com.ID, e.manager.ID, e.otherCOM.ID, e.otherCOM.ID}
		if strings.Join(by, " ") != strings.Join(want, " ") {
			t.Errorf("refusals audited for %v, want %v (the four creations, the change and the page)", by, want)
		}
	})

	t.Run("the logs hold nothing of the held release", func(t *testing.T) {
		leaks(t, "the log", logs.String(), held.ID, "John Smith", "C2468DE", "X123456", "2027-02-15")
	})
}
