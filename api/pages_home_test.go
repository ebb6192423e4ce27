package api

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTheHomePageLeadsWithWhatNeedsTheCOMNowWithCountsAndASearch(t *testing.T) {
	e := newEnv(t)
	mk := func(crn, name, release string) apiRelease {
		return e.createRelease(t, e.com, map[string]any{"crn": crn, "full_name": name, "release_date": release})
	}
	later := mk("A100001", "Alex Later", "2027-02-15")
	overdue := mk("B100002", "Bea Overdue", "2027-02-19")
	e.act(t, e.com, checkOf(t, overdue, "domestic_abuse").ID, "request", nil)
	answered := mk("C100003", "Cal Answered", "2027-03-01")
	da := checkOf(t, answered, "domestic_abuse")
	e.act(t, e.com, da.ID, "request", nil)
	e.act(t, e.police, da.ID, "response", asResponse)
	// Three weeks on: the request of B is overdue, and two releases are close.
	e.clock.Advance(21 * 24 * time.Hour)
	toRequest := mk("D100004", "Dee Request", "2026-12-30")
	soon := mk("E100005", "Eli Soon", "2026-12-24")
	for _, typ := range []string{"domestic_abuse", "child_safeguarding"} {
		e.act(t, e.com, checkOf(t, soon, typ).ID, "request", nil)
	}
	com := e.signInWithForm(t, e.com.Token)

	page := e.page(t, "GET", "/releases", nil, com)
	if page.status != http.StatusOK {
		t.Fatalf("the home page answered %d", page.status)
	}
	order := []struct{ heading, crn string }{
		{"To request now (1)", toRequest.CRN}, {"Answered: read and complete (1)", answered.CRN},
		{"Answer overdue (1)", overdue.CRN}, {"Released within 10 working days (1)", soon.CRN}, {"Everything else (1)", later.CRN},
	}
	at := 0
	for _, o := range order {
		h := strings.Index(page.body[at:], o.heading)
		if h < 0 {
			t.Fatalf("%q is missing, or not after the groups before it", o.heading)
		}
		at += h
		c := strings.Index(page.body[at:], o.crn)
		next := len(page.body)
		if i := strings.Index(page.body[at+1:], `<h2 class="govuk-heading-m"`); i >= 0 {
			next = at + 1 + i
		}
		if c < 0 || at+c > next {
			t.Errorf("%s is not in the group %q", o.crn, o.heading)
		}
	}
	for _, count := range []string{`href="#to-request"><strong>1</strong>`, `href="#overdue"><strong>1</strong>`, `href="#others"><strong>1</strong>`} {
		if !strings.Contains(page.body, count) {
			t.Errorf("the counts lack %s", count)
		}
	}

	tests := []struct {
		name, q string
		shows   []string
		lacks   []string
	}{
		{"a CRN in any case finds its release", "c100003", []string{"1 release matches", answered.CRN}, []string{later.CRN, toRequest.CRN}},
		{"part of a name finds the release", "soon", []string{"1 release matches", soon.CRN}, []string{overdue.CRN}},
		{"nothing found says so", "Nobody", []string{"0 releases match", "No release matches your search"}, []string{later.CRN}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.page(t, "GET", "/releases?q="+tt.q, nil, com)
			for _, s := range tt.shows {
				if !strings.Contains(res.body, s) {
					t.Errorf("the search lacks %q", s)
				}
			}
			for _, s := range tt.lacks {
				if strings.Contains(res.body, s) {
					t.Errorf("the search shows %s", s)
				}
			}
			if !strings.Contains(res.body, `value="`+tt.q+`"`) {
				t.Error("the search box does not keep what was typed")
			}
		})
	}
}
