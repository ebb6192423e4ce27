package api

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var versionField = regexp.MustCompile(`name="version" value="(\d+)"`)

// shownVersion is the version of the release a page's form was shown at.
func shownVersion(t *testing.T, res pageReply) string {
	t.Helper()
	m := versionField.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no version on the page (%d): %s", res.status, res.body)
	}
	return m[1]
}

func (e *env) jsonRelease(t *testing.T, as caller, id string) apiRelease {
	t.Helper()
	var r apiRelease
	want(t, e.do(t, as.Token, "GET", "/api/v1/releases/"+id, nil), http.StatusOK, &r)
	return r
}

func changeValues(version, day, month, year, police string) url.Values {
	return url.Values{"version": {version}, "release_date-day": {day}, "release_date-month": {month}, "release_date-year": {year},
		"police_force": {police}, "local_authority": {"E09000001"}}
}

func TestAReleaseIsChangedOnlyOnceItsChangesAreCheckedAndConfirmed(t *testing.T) {
	tests := []struct {
		name   string
		values func(v string) url.Values
		step   string
		status int
		shows  []string
	}{
		{"the check page shows each change from and to, and changes nothing", func(v string) url.Values { return changeValues(v, "1", "3", "2027", "E23000002") }, "check", 200,
			[]string{"Check your changes to the release", "1 March 2027", "Was: 15 February 2027", "Police force", "Was: Metropolitan Police Service", "Confirm and change the release"}},
		{"changing one's answers shows the form with them", func(v string) url.Values { return changeValues(v, "1", "3", "2027", "E23000002") }, "edit", 200,
			[]string{`id="release_date-day" name="release_date-day" type="text" inputmode="numeric" value="1"`, `value="E23000002" selected`}},
		{"a date without a month is refused in GOV.UK words", func(v string) url.Values { return changeValues(v, "1", "", "2027", "E23000001") }, "check", 422,
			[]string{`href="#release_date-month"`, "Release date must include a month"}},
		{"no change at all asks for one", func(v string) url.Values { return changeValues(v, "15", "2", "2027", "E23000001") }, "check", 422,
			[]string{"Change at least one answer"}},
		{"a date in the past is refused on confirming, written out", func(v string) url.Values { return changeValues(v, "2", "11", "2026", "E23000001") }, "confirm", 422,
			[]string{`href="#release_date-day"`, "Release date must not be before today (24 November 2026)"}},
	}
	e := newEnv(t)
	com := e.signInWithForm(t, e.com.Token)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.freshRelease(t, i+1)
			form := e.page(t, "GET", "/releases/"+r.ID+"/change", nil, com)
			v := tt.values(shownVersion(t, form))
			v.Set("step", tt.step)
			res := e.form(t, com, "/releases/"+r.ID+"/change", v)
			if res.status != tt.status {
				t.Fatalf("answered %d, want %d: %s", res.status, tt.status, res.body)
			}
			for _, s := range tt.shows {
				if !strings.Contains(res.body, s) {
					t.Errorf("the page lacks %s", s)
				}
			}
			if got := e.jsonRelease(t, e.com, r.ID); got.ReleaseDate != "2027-02-15" || got.PoliceForce != "E23000001" || got.Version != r.Version {
				t.Errorf("the release changed before it was confirmed: %+v", got)
			}
		})
	}
}

func TestAConfirmedChangeIsMadeAndAChangeMadeMeanwhileIsShownToBeConfirmedAgain(t *testing.T) {
	e := newEnv(t)
	com := e.signInWithForm(t, e.com.Token)
	r := e.freshRelease(t, 1)
	form := e.page(t, "GET", "/releases/"+r.ID+"/change", nil, com)
	v := changeValues(shownVersion(t, form), "1", "3", "2027", "E23000001")
	v.Set("step", "check")
	answers := e.form(t, com, "/releases/"+r.ID+"/change", v)
	// Someone else changes the police force between the check page and the confirmation.
	want(t, e.do(t, e.com.Token, "PATCH", "/api/v1/releases/"+r.ID, map[string]any{"police_force": "E23000002"}), http.StatusOK, nil)
	confirm := url.Values{"step": {"confirm"}}
	for _, k := range []string{"version", "release_date-day", "release_date-month", "release_date-year", "police_force", "local_authority"} {
		m := regexp.MustCompile(`name="` + k + `" value="([^"]*)"`).FindStringSubmatch(answers.body)
		if m == nil {
			t.Fatalf("the check page lacks the answer %s: %s", k, answers.body)
		}
		confirm.Set(k, m[1])
	}
	stale := e.form(t, com, "/releases/"+r.ID+"/change", confirm)
	if stale.status != http.StatusConflict || !strings.Contains(stale.body, "Someone else changed this release") || !strings.Contains(stale.body, "Was: Cumbria Constabulary") {
		t.Fatalf("a confirmation at the old version answered %d: %s", stale.status, stale.body)
	}
	if got := e.jsonRelease(t, e.com, r.ID); got.ReleaseDate != "2027-02-15" {
		t.Fatalf("the stale confirmation changed the date: %+v", got)
	}
	// Confirmed again at the version shown: the answers as they were, the Met again.
	confirm.Set("version", shownVersion(t, stale))
	res := e.form(t, com, "/releases/"+r.ID+"/change", confirm)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/releases/"+r.ID+"?notice=release-changed" {
		t.Fatalf("confirming again answered %d %s: %s", res.status, res.header.Get("Location"), res.body)
	}
	if got := e.jsonRelease(t, e.com, r.ID); got.ReleaseDate != "2027-03-01" || got.PoliceForce != "E23000001" {
		t.Errorf("after confirming: %+v", got)
	}
}

func TestAReleaseIsCancelledWithAReasonOnlyOnceConfirmed(t *testing.T) {
	e := newEnv(t)
	com := e.signInWithForm(t, e.com.Token)
	r := e.freshRelease(t, 1)
	e.act(t, e.com, checkOf(t, r, "domestic_abuse").ID, "request", nil)
	version := shownVersion(t, e.page(t, "GET", "/releases/"+r.ID+"/cancel", nil, com))
	tests := []struct {
		name   string
		values url.Values
		status int
		shows  string
	}{
		{"without a reason the form asks for one", url.Values{"step": {"check"}, "version": {version}}, 422, "Enter why the release is cancelled"},
		{"with one the check page says what will happen", url.Values{"step": {"check"}, "version": {version}, "cancel_reason": {"Recalled before release."}}, 200, "Every open check of the release is withdrawn"},
		{"changing one's answer shows the reason again", url.Values{"step": {"edit"}, "version": {version}, "cancel_reason": {"Recalled before release."}}, 200, ">Recalled before release.</textarea>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.form(t, com, "/releases/"+r.ID+"/cancel", tt.values)
			if res.status != tt.status || !strings.Contains(res.body, tt.shows) {
				t.Errorf("answered %d, want %d with %q: %s", res.status, tt.status, tt.shows, res.body)
			}
			if got := e.jsonRelease(t, e.com, r.ID); got.Status != "active" {
				t.Errorf("the release is %s before it was confirmed", got.Status)
			}
		})
	}
	// Someone else changes the release before the cancellation is confirmed: the check page
	// again, at the new version.
	want(t, e.do(t, e.com.Token, "PATCH", "/api/v1/releases/"+r.ID, map[string]any{"prison_code": "MAN"}), http.StatusOK, nil)
	stale := e.form(t, com, "/releases/"+r.ID+"/cancel", url.Values{"step": {"confirm"}, "version": {version}, "cancel_reason": {"Recalled before release."}})
	if stale.status != http.StatusConflict || !strings.Contains(stale.body, "Someone else changed this release") || shownVersion(t, stale) == version {
		t.Fatalf("a confirmation at the old version answered %d: %s", stale.status, stale.body)
	}
	if got := e.jsonRelease(t, e.com, r.ID); got.Status != "active" {
		t.Fatalf("the stale confirmation cancelled the release")
	}
	res := e.form(t, com, "/releases/"+r.ID+"/cancel", url.Values{"step": {"confirm"}, "version": {shownVersion(t, stale)}, "cancel_reason": {"Recalled before release."}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("confirming answered %d: %s", res.status, res.body)
	}
	got := e.jsonRelease(t, e.com, r.ID)
	if got.Status != "cancelled" || e.getCheck(t, e.com, checkOf(t, r, "domestic_abuse").ID).Status != "withdrawn" {
		t.Errorf("after confirming: release %s, DA check %s", got.Status, e.getCheck(t, e.com, checkOf(t, r, "domestic_abuse").ID).Status)
	}
	page := e.page(t, "GET", "/releases/"+r.ID+"?notice=release-cancelled", nil, com)
	if !strings.Contains(page.body, "The release is cancelled") || !strings.Contains(page.body, "Recalled before release.") || strings.Contains(page.body, "/cancel\"") {
		t.Errorf("the cancelled release's page: %s", page.body)
	}
	if again := e.page(t, "GET", "/releases/"+r.ID+"/cancel", nil, com); again.status != http.StatusNotFound {
		t.Errorf("the cancel form of a cancelled release answered %d, want 404", again.status)
	}
}
