package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// withField returns validRelease with one field set to v, as a JSON body.
func withField(field string, v any) map[string]any {
	b := validRelease()
	b[field] = v
	return b
}

// withoutField returns validRelease without one field.
func withoutField(field string) map[string]any {
	b := validRelease()
	delete(b, field)
	return b
}

// oversized is a body of more than 64 KiB: a valid release whose name is too long to read.
func oversized() raw {
	return raw(`{"crn":"X123456","full_name":"` + strings.Repeat("a", 70<<10) + `"}`)
}

func TestCreatingAReleaseRefusesBadInputAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		body   any
		header []string
		status int
		field  string
	}{
		{"an unknown JSON field is refused and named", withField("colour", "red"), nil, 400, "colour"},
		{"a number where the CRN string goes is refused and named", withField("crn", 123456), nil, 400, "crn"},
		{"an object where the date of birth goes is refused and named", withField("date_of_birth", map[string]any{"y": 1985}), nil, 400, "date_of_birth"},
		{"a JSON array instead of an object is refused", raw(`[]`), nil, 400, "body"},
		{"a JSON string instead of an object is refused", raw(`"release"`), nil, 400, "body"},
		{"malformed JSON is refused", raw(`{"crn": "X123456",`), nil, 400, "body"},
		{"JSON with a syntax error is refused", raw(`{"crn" "X123456"}`), nil, 400, "body"},
		{"an empty body is refused", raw(``), nil, 400, "body"},
		{"two JSON objects in one body are refused", raw(`{"crn":"X123456"}{"crn":"X123457"}`), nil, 400, "body"},
		{"a valid release followed by a second object is refused", raw(mustJSON(t, validRelease()) + `{}`), nil, 400, "body"},
		{"a body sent as text/plain is refused", raw(mustJSON(t, validRelease())), []string{"Content-Type", "text/plain"}, 415, ""},
		{"a body sent as a form is refused", raw(`crn=X123456`), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, ""},
		{"a body with an unparseable Content-Type is refused", raw(mustJSON(t, validRelease())), []string{"Content-Type", "json;;;"}, 415, ""},
		{"a body over 64 KiB is refused", oversized(), nil, 413, ""},
		{"a valid release padded past 64 KiB is refused", raw(mustJSON(t, validRelease()) + strings.Repeat(" ", 70<<10)), nil, 413, ""},

		{"a CRN without its letter is invalid", withField("crn", "1234567"), nil, 422, "crn"},
		{"a CRN of five digits is invalid", withField("crn", "X12345"), nil, 422, "crn"},
		{"a missing CRN is invalid", withoutField("crn"), nil, 422, "crn"},
		{"a NOMS number in the wrong shape is invalid", withField("noms_number", "AB1234C"), nil, 422, "noms_number"},
		{"a missing NOMS number is invalid", withoutField("noms_number"), nil, 422, "noms_number"},
		{"a blank full name is invalid", withField("full_name", "   "), nil, 422, "full_name"},
		{"a full name over 200 characters is invalid", withField("full_name", strings.Repeat("a", 201)), nil, 422, "full_name"},
		{"a full name with a control character is invalid", withField("full_name", "John\u0007Smith"), nil, 422, "full_name"},
		{"an impossible date of birth is invalid", withField("date_of_birth", "1985-02-30"), nil, 422, "date_of_birth"},
		{"a date of birth in another format is invalid", withField("date_of_birth", "02/03/1985"), nil, 422, "date_of_birth"},
		{"a date of birth five years ago is invalid", withField("date_of_birth", "2021-06-01"), nil, 422, "date_of_birth"},
		{"a date of birth in 1850 is invalid", withField("date_of_birth", "1850-06-01"), nil, 422, "date_of_birth"},
		{"a missing date of birth is invalid", withoutField("date_of_birth"), nil, 422, "date_of_birth"},
		{"a release date yesterday is invalid", withField("release_date", "2026-11-23"), nil, 422, "release_date"},
		{"a release date in another format is invalid", withField("release_date", "15/02/2027"), nil, 422, "release_date"},
		{"a release date decades ahead is invalid", withField("release_date", "2099-01-01"), nil, 422, "release_date"},
		{"a missing release date is invalid", withoutField("release_date"), nil, 422, "release_date"},
		{"a prison code with a digit is invalid", withField("prison_code", "LE1"), nil, 422, "prison_code"},
		{"a missing prison code is invalid", withoutField("prison_code"), nil, 422, "prison_code"},
		{"an unknown police force is invalid", withField("police_force", "E23999999"), nil, 422, "police_force"},
		{"a local authority given as the police force is invalid", withField("police_force", "E09000001"), nil, 422, "police_force"},
		{"a missing police force is invalid", withoutField("police_force"), nil, 422, "police_force"},
		{"an unknown local authority is invalid", withField("local_authority", "E09999999"), nil, 422, "local_authority"},
		{"a police force given as the local authority is invalid", withField("local_authority", "E23000001"), nil, 422, "local_authority"},
		{"a missing local authority is invalid", withoutField("local_authority"), nil, 422, "local_authority"},
		{"another team than the COM's own is invalid", withField("team", "N08-T2"), nil, 422, "team"},
		{"a COM id that is not an id is invalid", withField("com_id", "colm"), nil, 422, "com_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, e.com.Token, "POST", "/api/v1/releases", tc.body, tc.header...)
			wantProblem(t, r, tc.status, tc.field)
		})
	}

	t.Run("none of them wrote anything", func(t *testing.T) {
		for _, path := range []string{"/api/v1/releases", "/api/v1/checks"} {
			var list apiList[map[string]any]
			want(t, e.do(t, e.admin.Token, "GET", path, nil), http.StatusOK, &list)
			if len(list.Items) != 0 {
				t.Errorf("GET %s lists %d items after refused requests, want none", path, len(list.Items))
			}
		}
	})

	t.Run("the same valid release is then accepted", func(t *testing.T) {
		e.createRelease(t, e.com, nil)
	})
}

func TestCheckTransitionsRefuseBadInputAndChangeNothing(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	required := checkOf(t, r, "child_safeguarding").ID
	requested := e.act(t, e.com, checkOf(t, r, "domestic_abuse").ID, "request", nil).ID

	tests := []struct {
		name   string
		as     caller
		path   string
		body   any
		header []string
		status int
		field  string
	}{
		{"completing with an unknown field is refused and named", e.com, "/checks/" + requested + "/complete", map[string]any{"note": "x", "colour": "red"}, nil, 400, "colour"},
		{"answering with a number as the summary is refused and named", e.police, "/checks/" + requested + "/response", map[string]any{"outcome": "no_information", "summary": 7}, nil, 400, "summary"},
		{"answering with a list as the outcome is refused and named", e.police, "/checks/" + requested + "/response", map[string]any{"outcome": []string{"declined"}}, nil, 400, "outcome"},
		{"answering with malformed JSON is refused", e.police, "/checks/" + requested + "/response", raw(`{"outcome":`), nil, 400, "body"},
		{"answering with an empty body is refused", e.police, "/checks/" + requested + "/response", raw(``), nil, 400, "body"},
		{"completing with an empty body is refused", e.com, "/checks/" + requested + "/complete", raw(``), nil, 400, "body"},
		{"marking not required with an empty body is refused", e.com, "/checks/" + required + "/not-required", raw(``), nil, 400, "body"},
		{"adding a note with an empty body is refused", e.com, "/checks/" + required + "/notes", raw(``), nil, 400, "body"},
		{"requesting with two JSON objects is refused", e.com, "/checks/" + required + "/request", raw(`{}{}`), nil, 400, "body"},
		{"requesting with malformed JSON is refused", e.com, "/checks/" + required + "/request", raw(`{`), nil, 400, "body"},
		{"requesting with an unknown field is refused and named", e.com, "/checks/" + required + "/request", map[string]any{"urgent": true}, nil, 400, "urgent"},
		{"answering as text/plain is refused", e.police, "/checks/" + requested + "/response", raw(`{"outcome":"no_information"}`), []string{"Content-Type", "text/plain"}, 415, ""},
		{"requesting with a body as text/plain is refused", e.com, "/checks/" + required + "/request", raw(`{}`), []string{"Content-Type", "text/plain"}, 415, ""},
		{"answering with a body over 64 KiB is refused", e.police, "/checks/" + requested + "/response", raw(`{"outcome":"declined","summary":"` + strings.Repeat("x", 70<<10) + `"}`), nil, 413, ""},
		{"a note over 64 KiB is refused", e.com, "/checks/" + required + "/notes", raw(`{"note":"` + strings.Repeat("x", 70<<10) + `"}`), nil, 413, ""},
		{"requesting a check whose id is not an id is refused", e.com, "/checks/not-an-id/request", nil, nil, 400, "id"},
		{"completing a check whose id is upper-case hex is refused", e.com, "/checks/" + strings.ToUpper(requested) + "/complete", asComplete, nil, 400, "id"},
		{"answering a check whose id is too short is refused", e.police, "/checks/abc123/response", asResponse, nil, 400, "id"},
		{"requesting with a malformed If-Match is refused", e.com, "/checks/" + required + "/request", nil, []string{"If-Match", "yesterday"}, 400, "If-Match"},
		{"completing with a weak If-Match is refused", e.com, "/checks/" + requested + "/complete", asComplete, []string{"If-Match", `W/"2"`}, 400, "If-Match"},

		{"answering without an outcome is invalid", e.police, "/checks/" + requested + "/response", map[string]any{"summary": "x"}, nil, 422, "outcome"},
		{"answering with an unknown outcome is invalid", e.police, "/checks/" + requested + "/response", map[string]any{"outcome": "maybe", "summary": "x"}, nil, 422, "outcome"},
		{"answering information held without a summary is invalid", e.police, "/checks/" + requested + "/response", map[string]any{"outcome": "information_held"}, nil, 422, "summary"},
		{"answering with a summary over 1000 characters is invalid", e.police, "/checks/" + requested + "/response", map[string]any{"outcome": "information_held", "summary": strings.Repeat("s", 1001)}, nil, 422, "summary"},
		{"completing without a note is invalid", e.com, "/checks/" + requested + "/complete", map[string]any{"note": " "}, nil, 422, "note"},
		{"marking not required without a reason is invalid", e.com, "/checks/" + required + "/not-required", map[string]any{}, nil, 422, "reason"},
		{"a note over 1000 characters is invalid", e.com, "/checks/" + required + "/notes", map[string]any{"note": strings.Repeat("n", 1001)}, nil, 422, "note"},
		{"a request note over 1000 characters is invalid", e.com, "/checks/" + required + "/request", map[string]any{"note": strings.Repeat("n", 1001)}, nil, 422, "note"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, tc.as.Token, "POST", "/api/v1"+tc.path, tc.body, tc.header...), tc.status, tc.field)
		})
	}

	t.Run("none of them changed a check", func(t *testing.T) {
		for id, status := range map[string]string{required: "required", requested: "requested"} {
			c := e.getCheck(t, e.admin, id)
			wantVersion := int64(1)
			if status == "requested" {
				wantVersion = 2
			}
			if c.Status != status || c.Version != wantVersion || len(c.History) != int(wantVersion) {
				t.Errorf("check %s is %s at version %d with %d history entries, want %s at version %d", id, c.Status, c.Version, len(c.History), status, wantVersion)
			}
		}
	})
}

func TestMalformedIDsAndQueriesAreRefused(t *testing.T) {
	e := newEnv(t)
	e.createRelease(t, e.com, nil)
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		field  string
	}{
		{"a release id that is not hex is refused", "GET", "/api/v1/releases/zzzzzzzzzzzzzzzzzzzzzzzz", nil, 400, "id"},
		{"a release id that is too long is refused", "GET", "/api/v1/releases/" + strings.Repeat("a", 25), nil, 400, "id"},
		{"a check id with a quote in it is refused", "GET", "/api/v1/checks/abc%27def", nil, 400, "id"},
		{"patching a release with a malformed id is refused", "PATCH", "/api/v1/releases/1", map[string]any{"prison_code": "MAN"}, 400, "id"},
		{"cancelling a release with a malformed id is refused", "POST", "/api/v1/releases/1/cancel", nil, 400, "id"},
		{"a user id that is not an id is refused", "GET", "/api/v1/users/admin", nil, 400, "id"},
		{"a limit that is not a number is refused", "GET", "/api/v1/releases?limit=ten", nil, 400, "limit"},
		{"a limit with a fraction is refused", "GET", "/api/v1/checks?limit=1.5", nil, 400, "limit"},
		{"a negative limit is refused", "GET", "/api/v1/releases?limit=-1", nil, 422, "limit"},
		{"a limit over 200 is refused", "GET", "/api/v1/checks?limit=201", nil, 422, "limit"},
		{"an absurd limit is refused", "GET", "/api/v1/checks?limit=99999999999999999999", nil, 400, "limit"},
		{"a release_from that is not a date is refused", "GET", "/api/v1/releases?release_from=tomorrow", nil, 422, "release_from"},
		{"an unknown release status is refused", "GET", "/api/v1/releases?status=deleted", nil, 422, "status"},
		{"an unknown check status is refused", "GET", "/api/v1/checks?status=lost", nil, 422, "status"},
		{"an unknown check type is refused", "GET", "/api/v1/checks?type=financial", nil, 422, "type"},
		{"an overdue filter that is not true or false is refused", "GET", "/api/v1/checks?overdue=yes", nil, 422, "overdue"},
		{"a release_before that is not a date is refused", "GET", "/api/v1/checks?release_before=soon", nil, 422, "release_before"},
		{"an unknown agency kind is refused", "GET", "/api/v1/agencies?kind=fire", nil, 422, "kind"},
		{"an agency code of the wrong shape is refused", "GET", "/api/v1/agencies/POLICE", nil, 400, "code"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, e.admin.Token, tc.method, tc.path, tc.body), tc.status, tc.field)
		})
	}
	t.Run("a limit in range is accepted", func(t *testing.T) {
		var list apiList[apiRelease]
		want(t, e.do(t, e.admin.Token, "GET", "/api/v1/releases?limit=200", nil), http.StatusOK, &list)
		if len(list.Items) != 1 {
			t.Errorf("listed %d releases, want 1", len(list.Items))
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFieldNamesMustBeSentExactlyOnceAsDocumented(t *testing.T) {
	e := newEnv(t)
	body := mustJSON(t, validRelease())
	tests := []struct {
		name  string
		body  string
		field string
	}{
		{"a field name in capitals is an unknown field", strings.Replace(body, `"crn"`, `"CRN"`, 1), "CRN"},
		{"a field name in camel case is an unknown field", strings.Replace(body, `"full_name"`, `"Full_Name"`, 1), "Full_Name"},
		{"a field given twice is refused", strings.Replace(body, `"crn":"X123456"`, `"crn":"X123456","crn":"Y654321"`, 1), "crn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(tc.body, tc.field) {
				t.Fatalf("the test body %s does not hold %s", tc.body, tc.field)
			}
			wantProblem(t, e.do(t, e.com.Token, "POST", "/api/v1/releases", raw(tc.body)), http.StatusBadRequest, tc.field)
		})
	}
	var list apiList[apiRelease]
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/releases", nil), http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Errorf("%d releases were written from bodies with undocumented field names", len(list.Items))
	}
}
