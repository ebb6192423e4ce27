package api

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The GOV.UK basics every page shares (issue 15).

var (
	summaryLink = regexp.MustCompile(`<li><a href="#([^"]+)">`)
	fieldID     = regexp.MustCompile(`<(?:input|select|textarea)[^>]* id="([^"]+)"`)
)

func TestTheErrorSummaryListsTheMistakesInTheOrderOfTheForm(t *testing.T) {
	e := newEnv(t)
	session := e.signInWithForm(t, e.com.Token)
	csrf := csrfField.FindStringSubmatch(e.page(t, "GET", "/releases/new", nil, session).body)[1]
	// Every field wrong or missing at once, so that the service finds several mistakes.
	res := e.page(t, "POST", "/releases/new", url.Values{"csrf_token": {csrf}, "crn": {"123"}, "noms_number": {"x"},
		"address-postcode": {"nowhere"}, "release_date-day": {"31"}, "release_date-month": {"2"}, "release_date-year": {"2027"}}, session)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("POST /releases/new with mistakes: %d", res.status)
	}
	var listed []string
	for _, m := range summaryLink.FindAllStringSubmatch(res.body, -1) {
		listed = append(listed, m[1])
	}
	if len(listed) < 3 {
		t.Fatalf("the error summary lists %d mistakes, want several: %q", len(listed), listed)
	}
	// The order of the inputs in the form, after the summary.
	form := res.body[strings.Index(res.body, "</ul>"):]
	var order []string
	for _, m := range fieldID.FindAllStringSubmatch(form, -1) {
		order = append(order, m[1])
	}
	at := func(id string) int {
		i := slices.Index(order, id)
		if i < 0 {
			t.Errorf("the summary links to #%s, which is no field of the form", id)
		}
		return i
	}
	for i := 1; i < len(listed); i++ {
		if at(listed[i-1]) > at(listed[i]) {
			t.Errorf("the summary lists #%s before #%s, against the order of the form: %q", listed[i-1], listed[i], listed)
		}
	}
}

func TestInFormOrderSortsErrorsByWhereTheirFieldIsOnThePage(t *testing.T) {
	page := []byte(`<input id="crn"><input id="full_name"><input id="release_date-day">`)
	tests := []struct {
		name    string
		in      []string
		want    []string
		changed bool
	}{
		{"errors out of order are put in the form's order", []string{"release_date-day", "crn", "full_name"}, []string{"crn", "full_name", "release_date-day"}, true},
		{"errors in order stay as they are", []string{"crn", "release_date-day"}, []string{"crn", "release_date-day"}, false},
		{"an error about no field of the page goes last", []string{"", "full_name", "crn"}, []string{"crn", "full_name", ""}, true},
		{"one error is left alone", []string{"full_name"}, []string{"full_name"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []formError
			for _, f := range tt.in {
				errs = append(errs, formError{Field: f, Text: "wrong"})
			}
			changed := inFormOrder(errs, page)
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
			}
			if !slices.Equal(got, tt.want) || changed != tt.changed {
				t.Errorf("got %q (changed %v), want %q (changed %v)", got, changed, tt.want, tt.changed)
			}
		})
	}
}

func TestEveryPageHasAPhaseBannerAndFooterLinksToTheServicesOwnPages(t *testing.T) {
	e := newEnvWith(t, nil, func(o *Options) { o.SupportEmail = "support@probation.example.org" })
	com := e.signInWithForm(t, e.com.Token)
	pages := []struct {
		name, path string
		signedIn   bool
		says       string
	}{
		{"the sign-in page", "/sign-in?hop=1", false, "Sign in"},
		{"the accessibility statement, before signing in", "/accessibility", false, "WCAG"},
		{"the privacy notice, before signing in", "/privacy", false, "Information Commissioner"},
		{"the cookies page, before signing in", "/cookies", false, "sg_session"},
		{"a COM's releases", "/releases", true, "Releases"},
		{"a page that does not exist", "/nowhere", true, "Page not found"},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) {
			var res pageReply
			if p.signedIn {
				res = e.page(t, "GET", p.path, nil, com)
			} else {
				res = e.page(t, "GET", p.path, nil)
			}
			for _, want := range []string{p.says, `class="govuk-phase-banner"`, ">Beta<", `href="/accessibility"`, `href="/privacy"`, `href="/cookies"`,
				`href="mailto:support@probation.example.org"`} {
				if !strings.Contains(res.body, want) {
					t.Errorf("%s (%d) lacks %s", p.path, res.status, want)
				}
			}
		})
	}
}

func TestWithoutASupportAddressThePagesSayWhomToAsk(t *testing.T) {
	e := newEnv(t)
	res := e.page(t, "GET", "/accessibility", nil)
	if strings.Contains(res.body, "mailto:") || !strings.Contains(res.body, "tell the probation team that asked you to use the service") {
		t.Errorf("the accessibility statement without a support address: %s", res.body)
	}
}

func TestTheCookiesPageNamesEveryCookieThePagesSet(t *testing.T) {
	e := newEnv(t)
	set := map[string]bool{}
	keep := func(h http.Header) {
		for _, c := range (&http.Response{Header: h}).Cookies() {
			set[c.Name] = true
		}
	}
	// Signing in and out, as a browser does.
	form := e.page(t, "GET", "/sign-in?hop=1", nil)
	keep(form.header)
	pre := cookieNamed(form.header, "sg_signin")
	signedIn := e.page(t, "POST", "/sign-in", url.Values{"csrf_token": {csrfField.FindStringSubmatch(form.body)[1]}, "token": {e.com.Token}, "next": {"/"}}, pre)
	keep(signedIn.header)
	session := cookieNamed(signedIn.header, "sg_session")
	home := e.page(t, "GET", "/releases", nil, session)
	keep(home.header)
	keep(e.page(t, "POST", "/sign-out", url.Values{"csrf_token": {csrfField.FindStringSubmatch(home.body)[1]}}, session).header)
	if len(set) < 2 {
		t.Fatalf("signing in and out set %d cookies, want the sign-in form's and the session's", len(set))
	}
	cookies := e.page(t, "GET", "/cookies", nil).body
	for name := range set {
		if !strings.Contains(cookies, "<td class=\"govuk-table__cell\">"+name+"</td>") {
			t.Errorf("the cookies page does not name the cookie %s", name)
		}
	}
}

func TestPagesHaveABackLinkToWhereTheUserCameFrom(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	da := checkOf(t, r, "domestic_abuse")
	want(t, e.do(t, e.com.Token, "POST", "/api/v1/checks/"+da.ID+"/request", nil), http.StatusOK, nil)
	com, police := e.signInWithForm(t, e.com.Token), e.signInWithForm(t, e.police.Token)
	tests := []struct {
		name, path string
		session    *http.Cookie
		back       string
	}{
		{"a release goes back to the releases", "/releases/" + r.ID, com, "/releases"},
		{"recording a release goes back to the releases", "/releases/new", com, "/releases"},
		{"changing an address goes back to its release", "/releases/" + r.ID + "/address", com, "/releases/" + r.ID},
		{"a request waiting for an answer goes back to the queue", "/checks/" + da.ID, police, "/queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.page(t, "GET", tt.path, nil, tt.session)
			if want := `<a href="` + tt.back + `" class="govuk-back-link">Back</a>`; !strings.Contains(res.body, want) {
				t.Errorf("%s (%d) lacks %s", tt.path, res.status, want)
			}
		})
	}
}

func TestARefusalOnAPageCarriesNoInternalValues(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a date is written out", "more time, until 2027-02-10, was already asked for", "more time, until 10 February 2027, was already asked for"},
		{"a status is named as the pages name it", "cannot complete a check that is not_required", "cannot complete a check that is not required"},
		{"an answered check is called answered", "cannot request a check that is responded", "cannot request a check that is answered"},
		{"a version number is left out", "version 3 is no longer current (now 4): read it again and retry", "it changed since you opened the page: read it again and retry"},
		{"a field's reason keeps its words", "Summary is required", "Summary is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plainMessage(tt.in); got != tt.want {
				t.Errorf("plainMessage(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAConflictOnAPageNamesTheStatusInWords(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	da := checkOf(t, r, "domestic_abuse")
	want(t, e.do(t, e.com.Token, "POST", "/api/v1/checks/"+da.ID+"/not-required", map[string]any{"reason": "No partner."}), http.StatusOK, nil)
	session := e.signInWithForm(t, e.com.Token)
	csrf := csrfField.FindStringSubmatch(e.page(t, "GET", "/releases/"+r.ID, nil, session).body)[1]
	// The page was open before the check was marked not required: its request button is sent.
	res := e.page(t, "POST", "/checks/"+da.ID+"/request", url.Values{"csrf_token": {csrf}}, session)
	if res.status != http.StatusConflict {
		t.Fatalf("requesting a check marked not required: %d", res.status)
	}
	if !strings.Contains(res.body, "not required") || strings.Contains(res.body, "not_required") {
		t.Errorf("the refusal does not name the status in words: %s", res.body)
	}
}
