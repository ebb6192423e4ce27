package api

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

// requestedForAgency records a release of a COM with a phone, with an address and people,
// requests its domestic abuse check with a note, and leaves behind what the police must not
// see: a COM's own note on the check, and the other agency's check marked not required
// with a reason. It returns the check and the COM.
func (e *env) requestedForAgency(t *testing.T) (apiCheck, apiRelease, checks.User) {
	t.Helper()
	com, secret, err := e.svc.CreateUser(context.Background(), checks.System("test"), checks.UserInput{
		Name: "Pip Phone", Email: "pip@probation.example.org", Role: "com", Team: "N07-T1", Phone: "0161 496 0000"})
	if err != nil {
		t.Fatal(err)
	}
	as := caller{ID: com.ID, Email: com.Email, Token: secret}
	r := e.createRelease(t, as, map[string]any{
		"address": map[string]any{"line_1": "Flat 2", "line_2": "10 Example Road", "town": "London", "postcode": "nw51xa"},
		"people": []map[string]any{
			{"name": "Robin Smith", "date_of_birth": "1990-05-06", "relationship": "partner", "lives_there": true},
			{"name": "Alex Smith", "date_of_birth": "2019-01-02", "relationship": "child", "lives_there": true},
			{"name": "Jo Former", "relationship": "former_partner", "lives_there": false},
		},
	})
	da, cs := checkOf(t, r, "domestic_abuse"), checkOf(t, r, "child_safeguarding")
	e.act(t, as, da.ID, "request", map[string]any{"note": "Partner disclosed a past incident at the address."})
	e.act(t, as, da.ID, "notes", map[string]any{"note": "Internal: prison OMU says no visits since March."})
	e.act(t, e.police, da.ID, "notes", map[string]any{"note": "We need five more working days."})
	e.act(t, as, cs.ID, "not-required", map[string]any{"reason": "Children's services already hold a current plan."})
	return e.getCheck(t, e.admin, da.ID), r, com
}

func keysOf(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// at reads a value at a path of keys and list indexes from decoded JSON.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestALiaisonSeesExactlyWhatTheAgencyNeeds(t *testing.T) {
	e := newEnv(t)
	c, r, com := e.requestedForAgency(t)
	res := e.do(t, e.police.Token, "GET", "/api/v1/checks/"+c.ID, nil)
	var got map[string]any
	want(t, res, http.StatusOK, &got)

	t.Run("the answer has exactly the allowed keys", func(t *testing.T) {
		for _, tc := range []struct {
			where string
			value any
			keys  []string
		}{
			{"the check", got, []string{"agency", "com", "due_date", "extension", "id", "notes", "overdue", "release", "request_note", "requested_at",
				"response", "status", "type", "urgent", "version", "working_days_to_release"}},
			{"release", got["release"], []string{"address", "crn", "date_of_birth", "full_name", "noms_number", "people", "release_date", "release_workday"}},
			{"com", got["com"], []string{"email", "name", "phone", "team"}},
			{"release.address", at(got, "release", "address"), []string{"line_1", "line_2", "line_3", "postcode", "town"}},
			{"release.people[0]", at(got, "release", "people", 0), []string{"date_of_birth", "lives_there", "name", "relationship"}},
		} {
			m, _ := tc.value.(map[string]any)
			if k := keysOf(m); !slices.Equal(k, tc.keys) {
				t.Errorf("%s has keys %v, want exactly %v", tc.where, k, tc.keys)
			}
		}
	})

	for _, tc := range []struct {
		name string
		path []any
		want any
	}{
		{"the name is shown", []any{"release", "full_name"}, "John Smith"},
		{"the date of birth is shown", []any{"release", "date_of_birth"}, "1985-03-02"},
		{"the NOMS number is shown", []any{"release", "noms_number"}, "A1234BC"},
		{"the CRN is shown", []any{"release", "crn"}, r.CRN},
		{"the release date is shown", []any{"release", "release_date"}, "2027-02-15"},
		{"the address's first line is shown", []any{"release", "address", "line_1"}, "Flat 2"},
		{"the address's second line is shown", []any{"release", "address", "line_2"}, "10 Example Road"},
		{"the town is shown", []any{"release", "address", "town"}, "London"},
		{"the postcode is shown as normalised", []any{"release", "address", "postcode"}, "NW5 1XA"},
		{"a connected person's name is shown", []any{"release", "people", 1, "name"}, "Alex Smith"},
		{"a connected person's date of birth is shown", []any{"release", "people", 1, "date_of_birth"}, "2019-01-02"},
		{"a connected person's relationship is shown", []any{"release", "people", 1, "relationship"}, "child"},
		{"whether a connected person lives there is shown", []any{"release", "people", 2, "lives_there"}, false},
		{"an unknown date of birth is null", []any{"release", "people", 2, "date_of_birth"}, nil},
		{"the COM's name is shown", []any{"com", "name"}, "Pip Phone"},
		{"the COM's team is shown", []any{"com", "team"}, "N07-T1"},
		{"the COM's email is shown", []any{"com", "email"}, com.Email},
		{"the COM's phone is shown", []any{"com", "phone"}, "0161 496 0000"},
		{"the request's note is shown", []any{"request_note"}, "Partner disclosed a past incident at the address."},
		{"the agency's own note is shown", []any{"notes", 0, "note"}, "We need five more working days."},
		{"the check is requested", []any{"status"}, "requested"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v := at(got, tc.path...); fmt.Sprint(v) != fmt.Sprint(tc.want) {
				t.Errorf("%v = %v, want %v", tc.path, v, tc.want)
			}
		})
	}

	other := checkOf(t, r, "child_safeguarding")
	for _, tc := range []struct{ name, text string }{
		{"probation's own note on the check is not shown", "prison OMU"},
		{"the other agency's check is not shown", other.ID},
		{"the other agency's not-required reason is not shown", "current plan"},
		{"the prison is not shown", "LEI"},
		{"the release's id is not shown", r.ID},
		{"the COM's id is not shown", com.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(string(res.body), tc.text) {
				t.Errorf("the liaison's answer holds %q: %s", tc.text, res.body)
			}
		})
	}

	t.Run("the liaison's list shows whom a check is about and no more", func(t *testing.T) {
		var listed apiList[map[string]any]
		want(t, e.do(t, e.police.Token, "GET", "/api/v1/checks", nil), http.StatusOK, &listed)
		if len(listed.Items) != 1 {
			t.Fatalf("the liaison lists %d checks, want 1", len(listed.Items))
		}
		item := listed.Items[0]
		allowed := []string{"agency", "due_date", "id", "overdue", "release", "requested_at", "response", "status", "type", "urgent", "version", "working_days_to_release"}
		if k := keysOf(item); !slices.Equal(k, allowed) {
			t.Errorf("a listed check has keys %v, want %v", k, allowed)
		}
		rel, _ := item["release"].(map[string]any)
		if k := keysOf(rel); !slices.Equal(k, []string{"crn", "date_of_birth", "full_name", "release_date", "release_workday"}) {
			t.Errorf("a listed check's release has keys %v", k)
		}
	})

	t.Run("the liaison's answer to a note is the same view", func(t *testing.T) {
		var after map[string]any
		want(t, e.do(t, e.police.Token, "POST", "/api/v1/checks/"+c.ID+"/notes", map[string]any{"note": "Thank you."}), http.StatusOK, &after)
		if k := keysOf(after); !slices.Equal(k, keysOf(got)) {
			t.Errorf("the note's answer has keys %v, want %v", k, keysOf(got))
		}
		if b, _ := json.Marshal(after); strings.Contains(string(b), "prison OMU") {
			t.Errorf("the note's answer holds probation's note: %s", b)
		}
	})
}

func TestTheLiaisonsPageShowsWhatTheAgencyNeedsAndNothingElse(t *testing.T) {
	e := newEnv(t)
	c, r, com := e.requestedForAgency(t)
	session := e.signInWithForm(t, e.police.Token)
	page := e.page(t, "GET", "/checks/"+c.ID, nil, session)
	if page.status != http.StatusOK {
		t.Fatalf("the request's page: %d", page.status)
	}
	for _, tc := range []struct{ name, text string }{
		{"the name", "John Smith"}, {"the date of birth", "2 March 1985"}, {"the NOMS number", "A1234BC"},
		{"the CRN", r.CRN}, {"the release date", "15 February 2027"},
		{"the address", "10 Example Road"}, {"the postcode", "NW5 1XA"},
		{"a connected person", "Robin Smith"}, {"a child's date of birth", "2 January 2019"}, {"a relationship", "Former partner"},
		{"the COM's name", "Pip Phone"}, {"the COM's team", "N07-T1"}, {"the COM's email", com.Email}, {"the COM's phone", "0161 496 0000"},
		{"the request's note", "Partner disclosed a past incident at the address."},
	} {
		t.Run("the page shows "+tc.name, func(t *testing.T) {
			if !strings.Contains(page.body, tc.text) {
				t.Errorf("the page lacks %q", tc.text)
			}
		})
	}
	for _, tc := range []struct{ name, text string }{
		{"probation's own note", "prison OMU"}, {"the other agency's not-required reason", "current plan"},
		{"the prison", "LEI"}, {"the COM's id", com.ID}, {"the release's id", r.ID},
	} {
		t.Run("the page does not show "+tc.name, func(t *testing.T) {
			if strings.Contains(page.body, tc.text) {
				t.Errorf("the page holds %q", tc.text)
			}
		})
	}
}

func TestALiaisonOfAnotherAgencyOrBeforeTheRequestFindsNothing(t *testing.T) {
	e := newEnv(t)
	c, r, _ := e.requestedForAgency(t)
	unrequested := checkOf(t, e.freshRelease(t, 7), "child_safeguarding")
	for _, tc := range []struct {
		name string
		as   caller
		id   string
	}{
		{"a liaison of another police force", e.otherPolice, c.ID},
		{"a children's services liaison, for the police's check", e.childrens, c.ID},
		{"the agency's own liaison, before the check is requested", e.childrens, unrequested.ID},
		{"a liaison, for the other agency's check stood down before any request", e.childrens, checkOf(t, r, "child_safeguarding").ID},
	} {
		t.Run(tc.name+" gets 404 from the API", func(t *testing.T) {
			wantProblem(t, e.do(t, tc.as.Token, "GET", "/api/v1/checks/"+tc.id, nil), http.StatusNotFound, "")
		})
		t.Run(tc.name+" gets Page not found", func(t *testing.T) {
			if p := e.page(t, "GET", "/checks/"+tc.id, nil, e.signInWithForm(t, tc.as.Token)); p.status != http.StatusNotFound {
				t.Errorf("the page answered %d, want 404", p.status)
			}
		})
	}
}
