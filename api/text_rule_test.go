package api

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The characters names and free text refuse, by class: each can forge what a reader sees in
// a page, a CSV report or the command line's lists. Every character of a class is tried.
var refusedEverywhere = []struct {
	class string
	runes []rune
}{
	{"a C0 control character", []rune{'\x00', '\x07', '\x08', '\x0b', '\x0c', '\x1b', '\x1f'}},
	{"a carriage return on its own", []rune{'\r'}},
	{"DEL", []rune{'\x7f'}},
	{"a C1 control character", []rune{'\u0080', '\u0085', '\u009b', '\u009f'}},
	{"a bidirectional embedding or override", []rune{'\u202a', '\u202b', '\u202c', '\u202d', '\u202e'}},
	{"a bidirectional isolate", []rune{'\u2066', '\u2067', '\u2068', '\u2069'}},
	{"a bidirectional mark", []rune{'\u200e', '\u200f', '\u061c'}},
	{"a Unicode line or paragraph separator", []rune{'\u2028', '\u2029'}},
}

// refusedInNames are allowed in multi-line text (notes, reasons, summaries) only.
var refusedInNames = []struct {
	class string
	runes []rune
}{
	{"a line break", []rune{'\n'}},
	{"a tab", []rune{'\t'}},
}

// Text that must pass: accents, Welsh, Irish, apostrophes straight and curly, hyphens, and a
// right-to-left script (its letters are not controls).
var goodNames = []string{"Siân Llŷr ap Dafydd", "Seán O'Brien-Ní Bhriain", "Zoë D’Arcy", "Anne-Marie Łukasiewicz", "Yusuf محمد"}
var goodMailboxes = []string{"o'brien@met.example.org", "referrals-team@heddlu.example.org"}
var goodMultiLine = []string{"Spoke to DS Jones.\nShe will reply by Friday.\tRef 12/345", "Typed in a browser:\r\ntwo lines"}

// textField is a field of the API holding a name or free text.
type textField struct {
	what      string // how the test speaks of it
	field     string // as the problem names it
	multiLine bool
	good      []string
	// target makes what a value is sent to (a release, a check, a user) and returns how to send
	// one. A refusal leaves the target as it was, so the bad values share one; each good value
	// gets its own.
	target func(t *testing.T) func(t *testing.T, v string) *reply
}

// textFields are every field of the API that holds a name (a person's, a user's, a token's
// label, a mailbox) or free text (a reason, a note, a summary).
func (e *env) textFields() []textField {
	n := 0
	next := func() int { n++; return n }
	release := func(t *testing.T) apiRelease {
		t.Helper()
		return e.createRelease(t, e.com, map[string]any{"crn": fmt.Sprintf("T%06d", next())})
	}
	send := func(as caller, method, path string, body func(v string) map[string]any) func(*testing.T, string) *reply {
		return func(t *testing.T, v string) *reply { return e.do(t, as.Token, method, path, body(v)) }
	}
	field := func(name string) func(string) map[string]any {
		return func(v string) map[string]any { return map[string]any{name: v} }
	}
	labels := slices.Concat(goodNames, []string{"Ffôn gwaith – Caerdydd"})
	text := slices.Concat(goodNames, goodMultiLine)
	return []textField{
		{"a release's full name", "full_name", false, goodNames, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.com, "POST", "/api/v1/releases", func(v string) map[string]any {
				return withFields(map[string]any{"full_name": v, "crn": fmt.Sprintf("T%06d", next())})
			})
		}},
		{"a user's name", "name", false, goodNames, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.admin, "POST", "/api/v1/users", func(v string) map[string]any {
				return map[string]any{"name": v, "email": fmt.Sprintf("user%d@example.org", next()), "role": "admin"}
			})
		}},
		{"a user's mailbox", "email", false, goodMailboxes, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.admin, "POST", "/api/v1/users", func(v string) map[string]any {
				return map[string]any{"name": "Nia New", "email": v, "role": "admin"}
			})
		}},
		{"a token's label", "label", false, labels, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.admin, "POST", "/api/v1/users/"+e.com.ID+"/tokens", field("label"))
		}},
		{"an agency's contact mailbox", "contact_email", false, goodMailboxes, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.admin, "PATCH", "/api/v1/agencies/E23000001", field("contact_email"))
		}},
		{"an agency's escalation mailbox", "escalation_email", false, goodMailboxes, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.admin, "PATCH", "/api/v1/agencies/E23000001", field("escalation_email"))
		}},
		{"the reason a release is cancelled", "reason", true, text, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.com, "POST", "/api/v1/releases/"+release(t).ID+"/cancel", field("reason"))
		}},
		{"the reason a check is not required", "reason", true, text, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.com, "POST", "/api/v1/checks/"+checkOf(t, release(t), "child_safeguarding").ID+"/not-required", field("reason"))
		}},
		{"the note of a request", "note", true, text, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.com, "POST", "/api/v1/checks/"+checkOf(t, release(t), "domestic_abuse").ID+"/request", field("note"))
		}},
		{"a note added to a check", "note", true, text, func(t *testing.T) func(*testing.T, string) *reply {
			return send(e.com, "POST", "/api/v1/checks/"+checkOf(t, release(t), "domestic_abuse").ID+"/notes", field("note"))
		}},
		{"the note of a completion", "note", true, text, func(t *testing.T) func(*testing.T, string) *reply {
			da := checkOf(t, release(t), "domestic_abuse").ID
			e.act(t, e.com, da, "request", nil)
			e.act(t, e.police, da, "response", asResponse)
			return send(e.com, "POST", "/api/v1/checks/"+da+"/complete", field("note"))
		}},
		{"the summary of a response", "summary", true, text, func(t *testing.T) func(*testing.T, string) *reply {
			da := checkOf(t, release(t), "domestic_abuse").ID
			e.act(t, e.com, da, "request", nil)
			return send(e.police, "POST", "/api/v1/checks/"+da+"/response", func(v string) map[string]any {
				return map[string]any{"outcome": "information_held", "summary": v}
			})
		}},
	}
}

func TestNamesAndFreeTextRefuseControlAndBidirectionalCharactersNamingTheField(t *testing.T) {
	e := newEnv(t)
	fields, cases := e.textFields(), 0
	for _, f := range fields {
		send := f.target(t)
		classes := refusedEverywhere
		if !f.multiLine {
			classes = slices.Concat(classes, refusedInNames)
		}
		for _, c := range classes {
			for _, r := range c.runes {
				cases++
				t.Run(fmt.Sprintf("%s refuses %s U+%04X", f.what, c.class, r), func(t *testing.T) {
					// In the middle, where trimming the ends cannot take it away; in a
					// mailbox, in its local part.
					v := "Jane" + string(r) + "Smith"
					if strings.HasSuffix(f.field, "email") {
						v = "jane" + string(r) + "smith@met.example.org"
					}
					p := wantProblem(t, send(t, v), http.StatusUnprocessableEntity, f.field)
					for _, fe := range p.Errors {
						if fe.Field == f.field && !strings.Contains(fe.Reason, fmt.Sprintf("U+%04X", r)) {
							t.Errorf("the reason %q does not name the character U+%04X", fe.Reason, r)
						}
					}
				})
			}
		}
	}
	t.Logf("%d fields, %d cases", len(fields), cases)
}

func TestNamesAndFreeTextAcceptAccentsWelshApostrophesAndHyphens(t *testing.T) {
	e := newEnv(t)
	for _, f := range e.textFields() {
		for _, v := range f.good {
			t.Run(fmt.Sprintf("%s accepts %q", f.what, v), func(t *testing.T) {
				send := f.target(t)
				if res := send(t, v); res.status != http.StatusOK && res.status != http.StatusCreated {
					t.Errorf("%s", res)
				}
			})
		}
	}
}

// The pages go through the same service: they refuse the same characters and say why.
func TestThePagesRefuseControlAndBidirectionalCharactersSayingWhy(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	session := e.signInWithForm(t, e.com.Token)
	form := func(path string) string {
		t.Helper()
		page := e.page(t, "GET", path, nil, session)
		m := csrfField.FindStringSubmatch(page.body)
		if page.status != http.StatusOK || m == nil {
			t.Fatalf("GET %s: %d, or no CSRF token", path, page.status)
		}
		return m[1]
	}
	tests := []struct {
		name, path, form string
		values           url.Values
	}{
		{"the form to record a release refuses a name with a right-to-left override", "/releases/new", "/releases/new", url.Values{
			"full_name": {"John\u202eSmith"}, "crn": {"X654321"}, "noms_number": {"A1234BC"}, "prison_code": {"LEI"},
			"police_force": {"E23000001"}, "local_authority": {"E09000001"},
			"address-line-1": {"1 Example Street"}, "address-town": {"London"}, "address-postcode": {"EC1A 1BB"},
			"date_of_birth-day": {"2"}, "date_of_birth-month": {"3"}, "date_of_birth-year": {"1985"},
			"release_date-day": {"15"}, "release_date-month": {"2"}, "release_date-year": {"2027"}}},
		{"the not-required form refuses a reason with an escape character", "/checks/" + checkOf(t, r, "child_safeguarding").ID + "/not-required",
			"/releases/" + r.ID, url.Values{"reason": {"No children\x1b[2K in the household"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.values.Set("csrf_token", form(tc.form))
			res := e.page(t, "POST", tc.path, tc.values, session)
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "must not contain") {
				t.Errorf("POST %s answered %d, want 422 saying what the text must not contain", tc.path, res.status)
			}
		})
	}
}
