package api

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestADateInputIsReadAsGOVUKAsks(t *testing.T) {
	tests := []struct {
		name             string
		day, month, year string
		value            string
		field, text      string
	}{
		{"nothing typed is no date", "", "", "", "", "", ""},
		{"a whole date is read", "15", "2", "2027", "2027-02-15", "", ""},
		{"a month may be written as its name", "3", "March", "2027", "2027-03-03", "", ""},
		{"or its first three letters", "03", "dec", "2026", "2026-12-03", "", ""},
		{"a missing month is asked for on the month", "15", "", "2027", unreadableDate, "release_date-month", "Release date must include a month"},
		{"a missing day and year are asked for on the day", "", "2", "", unreadableDate, "release_date-day", "Release date must include a day and year"},
		{"30 February is not a real date", "30", "2", "2027", unreadableDate, "release_date-day", "Release date must be a real date"},
		{"a thirteenth month is not a real date", "1", "13", "2027", unreadableDate, "release_date-month", "Release date must be a real date"},
		{"a word for a day is not a real date", "first", "2", "2027", unreadableDate, "release_date-day", "Release date must be a real date"},
		{"a two-figure year asks for four", "15", "2", "27", unreadableDate, "release_date-year", "Release date must include a year with 4 numbers, for example 2027"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := map[string]string{"release_date-day": tt.day, "release_date-month": tt.month, "release_date-year": tt.year}
			value, problem := dateInput{"release_date", "Release date"}.read(form)
			if value != tt.value {
				t.Errorf("value = %q, want %q", value, tt.value)
			}
			switch {
			case tt.field == "" && problem != nil:
				t.Errorf("error %+v, want none", *problem)
			case tt.field != "" && (problem == nil || problem.Field != tt.field || problem.Text != tt.text):
				t.Errorf("error %+v, want {%s %s}", problem, tt.field, tt.text)
			}
		})
	}
}

func TestEveryDateFormSaysWhatIsWrongWithTheDateInGOVUKWordsAndKeepsWhatWasTyped(t *testing.T) {
	e := newEnv(t)
	r := e.freshRelease(t, 1)
	da := checkOf(t, r, "domestic_abuse")
	e.act(t, e.com, da.ID, "request", nil)
	com := e.signInWithForm(t, e.com.Token)
	police := e.signInWithForm(t, e.police.Token)
	release := url.Values{"crn": {"X555002"}, "noms_number": {"A1234BC"}, "full_name": {"Jo Dates"}, "prison_code": {"LEI"},
		"police_force": {"E23000001"}, "local_authority": {"E09000001"},
		"date_of_birth-day": {"2"}, "date_of_birth-month": {"3"}, "date_of_birth-year": {"1985"},
		"address-line-1": {"1 Example Street"}, "address-town": {"London"}, "address-postcode": {"EC1A 1BB"}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name    string
		session *http.Cookie
		path    string
		form    url.Values
		shows   []string
	}{
		{"a release date without a month", com, "/releases/new", with(release, "release_date-day", "15", "release_date-year", "2027"),
			[]string{`href="#release_date-month"`, "Release date must include a month", `id="release_date-day" name="release_date-day" type="text" inputmode="numeric" value="15"`}},
		{"a release date that is not a real date", com, "/releases/new", with(release, "release_date-day", "30", "release_date-month", "2", "release_date-year", "2027"),
			[]string{`href="#release_date-day"`, "Release date must be a real date"}},
		{"no release date at all", com, "/releases/new", release,
			[]string{`href="#release_date-day"`, "Enter the release date"}},
		{"a release date in the past, written out", com, "/releases/new", with(release, "release_date-day", "1", "release_date-month", "11", "release_date-year", "2026"),
			[]string{`href="#release_date-day"`, "Release date must not be before today (24 November 2026)"}},
		{"a person's date of birth without a year", com, "/releases/new", with(release, "release_date-day", "15", "release_date-month", "2", "release_date-year", "2027",
			"person-0-name", "Sam Dates", "person-0-relationship", "partner", "person-0-lives-there", "yes", "person-0-dob-day", "1", "person-0-dob-month", "1"),
			[]string{`href="#person-0-dob-year"`, "Date of birth of person 1 must include a year"}},
		{"the liaison's date for more time without a day", police, "/checks/" + da.ID + "/extension",
			url.Values{"proposed_date-month": {"12"}, "proposed_date-year": {"2026"}, "extension_note": {"Short of staff."}},
			[]string{`href="#proposed_date-day"`, "The date your agency can answer by must include a day", `value="12"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.form(t, tt.session, tt.path, tt.form)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("answered %d, want 422: %s", res.status, res.body)
			}
			for _, s := range tt.shows {
				if !strings.Contains(res.body, s) {
					t.Errorf("the page lacks %s", s)
				}
			}
		})
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	want(t, e.do(t, e.com.Token, "GET", "/api/v1/releases", nil), http.StatusOK, &list)
	if len(list.Items) != 1 {
		t.Errorf("%d releases recorded, want only the first: a date refused must write nothing", len(list.Items))
	}
}
