// The release address and the people connected to it, in the form that records a release:
// a GOV.UK address, and a row of inputs per person. More rows come with "Add another
// person", a submit that shows the form again with one more row and records nothing, so
// the form needs no JavaScript.

package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// blankPeopleRows is how many people rows a new form offers: a household of three is
// common; more come with "Add another person".
const blankPeopleRows = 3

// personRow is one person's inputs in the form: their names start with Prefix.
type personRow struct {
	Number int
	Prefix string
}

func personRows(n int) []personRow {
	rows := make([]personRow, n)
	for i := range rows {
		rows[i] = personRow{i + 1, fmt.Sprintf("person-%d", i)}
	}
	return rows
}

func relationshipOptions() []option {
	names := map[checks.Relationship]string{
		checks.RelPartner: "Partner", checks.RelFormerPartner: "Former partner", checks.RelChild: "Their child",
		checks.RelOtherAdult: "Another adult", checks.RelOtherChild: "Another child",
	}
	var out []option
	for _, r := range checks.Relationships() {
		out = append(out, option{string(r), names[r]})
	}
	return out
}

// addressFields are the form's address inputs, each with its domain field.
var addressFields = []struct{ input, field, label string }{
	{"address-line-1", "address.line_1", "First line"}, {"address-line-2", "address.line_2", "Address line 2"},
	{"address-line-3", "address.line_3", "Address line 3"}, {"address-town", "address.town", "Town or city"},
	{"address-postcode", "address.postcode", "Postcode"},
}

// personFields are the inputs of one person, after its prefix.
var personFields = []string{"name", "dob-day", "dob-month", "dob-year", "relationship", "lives-there"}

// peopleRowsOf is how many people rows the form posted had (at least the blank ones, at
// most the most people a release can hold).
func peopleRowsOf(c *gin.Context) int {
	n, err := strconv.Atoi(c.PostForm("people_rows"))
	if err != nil || n < blankPeopleRows {
		n = blankPeopleRows
	}
	return min(n, checks.MaxPeople)
}

// readAddressAndPeople copies the address and people inputs into form and returns them as
// the domain takes them. An empty row is no person.
func readAddressAndPeople(c *gin.Context, form map[string]string, rows int, dates datesRead) (*checks.AddressInput, []checks.PersonInput) {
	for _, a := range addressFields {
		form[a.input] = strings.TrimSpace(c.PostForm(a.input))
	}
	addr := &checks.AddressInput{Line1: form["address-line-1"], Line2: form["address-line-2"], Line3: form["address-line-3"],
		Town: form["address-town"], Postcode: form["address-postcode"]}
	var people []checks.PersonInput
	for i := range rows {
		prefix := fmt.Sprintf("person-%d-", i)
		empty := true
		for _, f := range personFields {
			form[prefix+f] = strings.TrimSpace(c.PostForm(prefix + f))
			empty = empty && form[prefix+f] == ""
		}
		if empty {
			continue
		}
		p := checks.PersonInput{Name: form[prefix+"name"], DateOfBirth: dates.read(form, dateInput{prefix + "dob", fmt.Sprintf("Date of birth of person %d", i+1)}),
			Relationship: form[prefix+"relationship"]}
		switch form[prefix+"lives-there"] {
		case "yes":
			p.LivesThere = new(bool)
			*p.LivesThere = true
		case "no":
			p.LivesThere = new(bool)
		}
		// The domain names a person by their place among those given; the form by their
		// row. They differ when a row is left empty: rowOf maps them back.
		form[fmt.Sprintf("row-of-%d", len(people))] = strconv.Itoa(i)
		people = append(people, p)
	}
	return addr, people
}

var personField = regexp.MustCompile(`^people\[(\d+)\]\.(\w+)$`)

// addressAndPeopleErrors points the errors about the address and the people at their
// inputs, in words for a person rather than field names.
func addressAndPeopleErrors(errs []formError, err error, form map[string]string) []formError {
	e, ok := err.(*checks.Error)
	if !ok {
		return errs
	}
	reasons := map[string]string{}
	for _, f := range e.Fields {
		reasons[f.Field] = f.Reason
	}
	for i := range errs {
		field, reason := errs[i].Field, reasons[errs[i].Field]
		plain := checks.AboutCharacters(reason)
		switch {
		case field == "address":
			errs[i] = formError{"address-line-1", "Enter the release address"}
		case strings.HasPrefix(field, "address."):
			for _, a := range addressFields {
				if a.field == field {
					errs[i].Field = a.input
					switch {
					case plain:
					case strings.HasPrefix(reason, "is required"):
						errs[i].Text = "Enter the " + strings.ToLower(a.label[:1]) + a.label[1:] + " of the release address"
					case field == "address.postcode":
						errs[i].Text = "Enter a real postcode, like SW1A 1AA"
					default:
						errs[i].Text = a.label + " " + reason
					}
				}
			}
		case field == "people":
			errs[i] = formError{"person-0-name", "Person " + reason}
		case personField.MatchString(field):
			m := personField.FindStringSubmatch(field)
			row, _ := strconv.Atoi(form["row-of-"+m[1]])
			prefix, who := fmt.Sprintf("person-%d", row), fmt.Sprintf("person %d", row+1)
			text := map[string]string{
				"name":          "Enter the full name of " + who,
				"relationship":  "Choose how " + who + " is related to the person released",
				"lives_there":   "Choose whether " + who + " lives at the release address",
				"date_of_birth": "Date of birth of " + who + " " + reason,
			}[m[2]]
			if plain || m[2] == "name" && !strings.Contains(reason, "required") {
				text = "The name of " + who + " " + reason
			}
			input := map[string]string{"name": "-name", "relationship": "-relationship", "lives_there": "-lives-there", "date_of_birth": "-dob-day"}[m[2]]
			errs[i] = formError{prefix + input, text}
		}
	}
	return errs
}

// addressView is the form that changes a release's address and people (and so, perhaps,
// its agencies): what was typed, and the agencies to choose from.
type addressView struct {
	Release             checks.Release
	Form                map[string]string
	Police, Authorities []option

	People        []personRow
	Relationships []option
	CanAddPerson  bool
}

// addressPage shows the form filled in with the release's address and people, and a blank
// row for one more.
func (s *Server) addressPage(c *gin.Context) {
	r, err := s.changeableRelease(c)
	if err != nil {
		s.failPage(c, err)
		return
	}
	form := map[string]string{"police_force": r.PoliceForce, "local_authority": r.LocalAuthority}
	for _, a := range addressFields {
		form[a.input] = map[string]string{"address.line_1": r.Address.Line1, "address.line_2": r.Address.Line2,
			"address.line_3": r.Address.Line3, "address.town": r.Address.Town, "address.postcode": r.Address.Postcode}[a.field]
	}
	for i, p := range r.People {
		prefix := fmt.Sprintf("person-%d-", i)
		form[prefix+"name"], form[prefix+"relationship"] = p.Name, string(p.Relationship)
		form[prefix+"lives-there"] = map[bool]string{true: "yes", false: "no"}[p.LivesThere]
		if !p.DateOfBirth.IsZero() {
			t := p.DateOfBirth.Start()
			form[prefix+"dob-day"], form[prefix+"dob-month"], form[prefix+"dob-year"] =
				strconv.Itoa(t.Day()), strconv.Itoa(int(t.Month())), strconv.Itoa(t.Year())
		}
	}
	s.renderAddress(c, http.StatusOK, r, form, min(max(len(r.People)+1, blankPeopleRows), checks.MaxPeople), nil)
}

// addressForm changes the address and the people as the form says, replacing the list of
// people as a whole, at the version the form was shown at.
func (s *Server) addressForm(c *gin.Context) {
	r, err := s.changeableRelease(c)
	if err != nil {
		s.failPage(c, err)
		return
	}
	form := map[string]string{"police_force": strings.TrimSpace(c.PostForm("police_force")),
		"local_authority": strings.TrimSpace(c.PostForm("local_authority"))}
	rows := peopleRowsOf(c)
	dates := datesRead{}
	addr, people := readAddressAndPeople(c, form, rows, dates)
	if c.PostForm("add_person") != "" {
		s.renderAddress(c, http.StatusOK, r, form, min(rows+1, checks.MaxPeople), nil)
		return
	}
	version, perr := strconv.ParseInt(c.PostForm("version"), 10, 64)
	if perr != nil {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	p := checks.ReleasePatch{Address: addr, People: &people}
	if police := form["police_force"]; police != r.PoliceForce {
		p.PoliceForce = &police
	}
	if authority := form["local_authority"]; authority != r.LocalAuthority {
		p.LocalAuthority = &authority
	}
	_, err = s.svc.UpdateRelease(c.Request.Context(), actor(c), r.ID, &version, p)
	if checks.ErrorCode(err) == checks.EINVALID {
		errs := formErrors(err, map[string]string{
			"police_force": "Choose the police force for the release address", "local_authority": "Choose the children's services for the release address",
		})
		s.renderAddress(c, http.StatusUnprocessableEntity, r, form, rows, dates.fix(addressAndPeopleErrors(errs, err, form), nil))
		return
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/releases/"+r.ID+"?notice=address-changed")
}

// changeableRelease reads the release of the page for someone who may change it: a liaison,
// or a release cancelled, is a page not found.
func (s *Server) changeableRelease(c *gin.Context) (checks.Release, error) {
	if actor(c).Role == checks.RoleLiaison {
		return checks.Release{}, checks.ErrNotFound
	}
	r, err := s.svc.Release(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		return checks.Release{}, err
	}
	if r.Status != checks.ReleaseActive {
		return checks.Release{}, checks.ErrNotFound
	}
	return r, nil
}

func (s *Server) renderAddress(c *gin.Context, status int, r checks.Release, form map[string]string, rows int, errs []formError) {
	view := addressView{Release: r, Form: form, People: personRows(rows), Relationships: relationshipOptions(), CanAddPerson: rows < checks.MaxPeople}
	var err error
	if view.Police, err = s.agencyOptions(c, checks.KindPolice); err == nil {
		view.Authorities, err = s.agencyOptions(c, checks.KindChildrensServices)
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.render(c, status, "release-address", pageData{Title: "Change the address and people", Errors: errs, Data: view})
}
