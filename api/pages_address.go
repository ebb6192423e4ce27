// The release address and the people connected to it, in the form that records a release:
// a GOV.UK address, and a row of inputs per person. More rows come with "Add another
// person", a submit that shows the form again with one more row and records nothing, so
// the form needs no JavaScript.

package api

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
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

// addressForm takes the address and the people, and the agencies, to a check-your-answers
// page (see pages_change.go), back to the form, or, confirmed, to the service: the list of
// people is replaced as a whole, at the version the form was shown at.
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
	step := c.PostForm("step")
	if c.PostForm("add_person") != "" || step == stepEdit {
		if c.PostForm("add_person") != "" {
			rows = min(rows+1, checks.MaxPeople)
		}
		s.renderAddress(c, http.StatusOK, r, form, rows, nil)
		return
	}
	version, ok := postedVersion(c)
	if !ok {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	refused := func(err error) {
		errs := formErrors(err, map[string]string{
			"police_force": "Choose the police force for the release address", "local_authority": "Choose the children's services for the release address",
		})
		s.renderAddress(c, http.StatusUnprocessableEntity, r, form, rows, dates.fix(addressAndPeopleErrors(errs, err, form), nil))
	}
	p := checks.ReleasePatch{Address: addr, People: &people}
	if police := form["police_force"]; police != r.PoliceForce {
		p.PoliceForce = &police
	}
	if authority := form["local_authority"]; authority != r.LocalAuthority {
		p.LocalAuthority = &authority
	}
	if step != stepConfirm {
		kept, keptPeople, err := s.svc.ReadAddressAndPeople(*addr, people)
		if err == nil {
			err = s.agenciesChosen(c, form)
		}
		if err != nil {
			refused(err)
			return
		}
		answers := s.addressAnswers(r, form, rows, kept, keptPeople, version)
		if len(answers.Rows) == 0 {
			s.renderAddress(c, http.StatusUnprocessableEntity, r, form, rows, []formError{{"address-line-1", "Change at least one answer, or go back to the release"}})
			return
		}
		s.renderAnswers(c, http.StatusOK, answers, nil)
		return
	}
	_, err = s.svc.UpdateRelease(c.Request.Context(), actor(c), r.ID, &version, p)
	switch checks.ErrorCode(err) {
	case "":
		c.Redirect(http.StatusSeeOther, "/releases/"+r.ID+"?notice=address-changed")
	case checks.EINVALID:
		refused(err)
	case checks.EPRECONDITION:
		kept, keptPeople, rerr := s.svc.ReadAddressAndPeople(*addr, people)
		if rerr != nil {
			refused(rerr)
			return
		}
		s.renderAnswers(c, http.StatusConflict, s.addressAnswers(r, form, rows, kept, keptPeople, r.Version), changedMeanwhile)
	default:
		s.failPage(c, err)
	}
}

// agenciesChosen refuses a police force or children's services that is not one of the
// form's choices, as the service would.
func (s *Server) agenciesChosen(c *gin.Context, form map[string]string) error {
	e := &checks.Error{Code: checks.EINVALID, Message: "the request has invalid fields"}
	for _, k := range []struct {
		field string
		kind  checks.AgencyKind
	}{{"police_force", checks.KindPolice}, {"local_authority", checks.KindChildrensServices}} {
		opts, err := s.agencyOptions(c, k.kind)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(opts, func(o option) bool { return o.Value == form[k.field] }) {
			e.Fields = append(e.Fields, checks.FieldError{Field: k.field, Reason: "must be an active agency of its kind"})
		}
	}
	if e.Fields != nil {
		return e
	}
	return nil
}

// addressAnswers is the check page of a change of the address, the people or the agencies:
// what differs from the release, and every input of the form to confirm it with.
func (s *Server) addressAnswers(r checks.Release, form map[string]string, rows int, addr checks.Address, people []checks.Person, version int64) answersView {
	v := answersView{Release: r, Heading: "Check your changes to the address and people", Action: "/releases/" + r.ID + "/address",
		Version: version, Confirm: "Confirm and change the address and people"}
	if addr != r.Address {
		from := "Not recorded"
		if r.Address.Recorded() {
			from = strings.Join(r.Address.Lines(), ", ")
		}
		v.Rows = append(v.Rows, answerRow{"Release address", from, strings.Join(addr.Lines(), "\n")})
	}
	if !slices.Equal(people, r.People) {
		v.Rows = append(v.Rows, answerRow{"People connected to the address", peopleText(r.People, ", "), peopleText(people, "\n")})
		v.Consequences = append(v.Consequences, "An agency asked already sees the new address and people with its request.")
	}
	if form["police_force"] != r.PoliceForce {
		v.Rows = append(v.Rows, answerRow{"Police force", s.agencyName(r.PoliceForce), s.agencyName(form["police_force"])})
	}
	if form["local_authority"] != r.LocalAuthority {
		v.Rows = append(v.Rows, answerRow{"Children's services", s.agencyName(r.LocalAuthority), s.agencyName(form["local_authority"])})
	}
	if form["police_force"] != r.PoliceForce || form["local_authority"] != r.LocalAuthority {
		v.Consequences = append(v.Consequences, "An open request to an old agency is withdrawn (it is told, without the reason) and a new check is created for the new one. An answer already given stays.")
	}
	v.Hidden = append(v.Hidden, option{"police_force", form["police_force"]}, option{"local_authority", form["local_authority"]},
		option{"people_rows", strconv.Itoa(rows)})
	for _, a := range addressFields {
		v.Hidden = append(v.Hidden, option{a.input, form[a.input]})
	}
	for i := range rows {
		for _, f := range personFields {
			name := fmt.Sprintf("person-%d-%s", i, f)
			v.Hidden = append(v.Hidden, option{name, form[name]})
		}
	}
	return v
}

// peopleText lists people in a line each (or joined by sep): name, relationship, whether
// they live there, and their date of birth when known.
func peopleText(people []checks.Person, sep string) string {
	if len(people) == 0 {
		return "None"
	}
	var lines []string
	for _, p := range people {
		line := p.Name + ", " + strings.ToLower(relationshipText(p.Relationship))
		if p.LivesThere {
			line += ", lives there"
		} else {
			line += ", lives elsewhere"
		}
		if !p.DateOfBirth.IsZero() {
			line += ", born " + p.DateOfBirth.Midday().Format("2 January 2006")
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, sep)
}

func relationshipText(r checks.Relationship) string {
	for _, o := range relationshipOptions() {
		if o.Value == string(r) {
			return o.Text
		}
	}
	return string(r)
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
	s.render(c, status, "release-address", pageData{Title: "Change the address and people", Errors: errs, Back: "/releases/" + r.ID, Data: view})
}
