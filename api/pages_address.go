// The release address and the people connected to it, in the form that records a release:
// a GOV.UK address, and a row of inputs per person. More rows come with "Add another
// person", a submit that shows the form again with one more row and records nothing, so
// the form needs no JavaScript.

package api

import (
	"fmt"
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
func readAddressAndPeople(c *gin.Context, form map[string]string, rows int) (*checks.AddressInput, []checks.PersonInput) {
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
		p := checks.PersonInput{Name: form[prefix+"name"], DateOfBirth: dateFromParts(form, prefix+"dob"),
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
