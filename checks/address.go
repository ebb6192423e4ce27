package checks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// The release address and the people connected to it are what a request carries: a police
// force searches its records for the address and the household, children's services for the
// children who live there or will be in contact. Without them an agency cannot run a check.

// Address is where the person will live on release. The zero Address means none recorded:
// releases recorded before the address was asked for have none, and still read and show.
type Address struct {
	Line1, Line2, Line3 string
	Town                string
	// Postcode is upper case with one space before the inward code, e.g. "SW1A 1AA".
	Postcode string
}

// Recorded reports whether an address is recorded.
func (a Address) Recorded() bool { return a != Address{} }

// Lines returns the address's non-empty lines, town and postcode, in the order a letter
// shows them.
func (a Address) Lines() []string {
	var out []string
	for _, s := range []string{a.Line1, a.Line2, a.Line3, a.Town, a.Postcode} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Relationship is how a connected person stands to the person released.
type Relationship string

// The relationships.
const (
	RelPartner       Relationship = "partner"
	RelFormerPartner Relationship = "former_partner"
	RelChild         Relationship = "child"
	RelOtherAdult    Relationship = "other_adult"
	RelOtherChild    Relationship = "other_child"
)

// Relationships lists every relationship, in the order a form offers them.
func Relationships() []Relationship {
	return []Relationship{RelPartner, RelFormerPartner, RelChild, RelOtherAdult, RelOtherChild}
}

// Child reports whether the relationship is to a child, whose date of birth (when known)
// must make them under 18.
func (r Relationship) Child() bool { return r == RelChild || r == RelOtherChild }

// Person is someone connected to the release address: a household member, or someone the
// person released will be in contact with.
type Person struct {
	Name string
	// DateOfBirth is the zero Date when not known.
	DateOfBirth  Date
	Relationship Relationship
	// LivesThere says whether the person lives at the release address.
	LivesThere bool
}

// MaxPeople bounds the people of one release: a household and its contacts, not a list of
// everyone the person knows, and nothing unbounded in a document.
const MaxPeople = 20

// MaxAddressLine bounds each line of an address and the town.
const MaxAddressLine = 100

// AddressInput is an address as the caller gives it.
type AddressInput struct {
	Line1, Line2, Line3, Town, Postcode string
}

// PersonInput is a connected person as the caller gives them. LivesThere is a pointer so that
// a person given without saying whether they live there is refused, not taken as "no".
type PersonInput struct {
	Name         string
	DateOfBirth  string // YYYY-MM-DD, or empty when not known
	Relationship string
	LivesThere   *bool
}

// postcodePattern is the shape of a UK postcode (the one the government's data standards
// give), upper case with one space: an outward code of an area (one or two letters, the
// second never I or Z), a district and perhaps a sub-district, then an inward code of a
// digit and two letters. GIR 0AA (Girobank) is the one postcode outside that shape.
var postcodePattern = regexp.MustCompile(`^(GIR 0AA|([A-Z][0-9]{1,2}|[A-Z][A-HJ-Y][0-9]{1,2}|[A-Z][0-9][A-Z]|[A-Z][A-HJ-Y][0-9][A-Z]) [0-9][A-Z]{2})$`)

// ParsePostcode reads a UK postcode typed in any case with or without spaces, and returns it
// upper case with one space before the inward code.
func ParsePostcode(s string) (string, bool) {
	b := make([]byte, 0, len(s))
	for _, c := range []byte(s) {
		switch {
		case c == ' ':
			continue
		case c >= 'a' && c <= 'z':
			// ASCII only, for the reason parseRef gives.
			c = c - 'a' + 'A'
		}
		b = append(b, c)
	}
	if len(b) < 5 {
		return string(b), false
	}
	s = string(b[:len(b)-3]) + " " + string(b[len(b)-3:])
	return s, postcodePattern.MatchString(s)
}

// address checks an address: line 1, the town and the postcode are required (a police force
// finds its records by them), lines 2 and 3 are not. Each line is held to the rule for names.
func address(f *fields, in AddressInput) Address {
	a := Address{
		Line1: name(f, "address.line_1", in.Line1, true, MaxAddressLine),
		Line2: name(f, "address.line_2", in.Line2, false, MaxAddressLine),
		Line3: name(f, "address.line_3", in.Line3, false, MaxAddressLine),
		Town:  name(f, "address.town", in.Town, true, MaxAddressLine),
	}
	code := strings.TrimSpace(in.Postcode)
	switch pc, ok := ParsePostcode(code); {
	case code == "":
		f.add("address.postcode", "is required")
	case !ok:
		f.add("address.postcode", "must be a UK postcode, e.g. SW1A 1AA")
		a.Postcode = code
	default:
		a.Postcode = pc
	}
	return a
}

// people checks the people connected to a release, each field named by its place in the
// list (people[2].date_of_birth).
func people(f *fields, in []PersonInput, today Date) []Person {
	if len(in) > MaxPeople {
		f.add("people", "must be at most %d people (it has %d)", MaxPeople, len(in))
		return nil
	}
	out := make([]Person, 0, len(in))
	for i, p := range in {
		at := func(field string) string { return fmt.Sprintf("people[%d].%s", i, field) }
		person := Person{Name: name(f, at("name"), p.Name, true, MaxName)}
		person.Relationship = Relationship(strings.TrimSpace(p.Relationship))
		switch {
		case person.Relationship == "":
			f.add(at("relationship"), "is required: one of %s", joinValues(Relationships()))
		case !slices.Contains(Relationships(), person.Relationship):
			f.add(at("relationship"), "must be one of %s", joinValues(Relationships()))
		}
		if p.LivesThere == nil {
			f.add(at("lives_there"), "is required: true when the person lives at the release address")
		} else {
			person.LivesThere = *p.LivesThere
		}
		if dob := strings.TrimSpace(p.DateOfBirth); dob != "" {
			d, err := ParseDate(dob)
			switch {
			case err != nil:
				f.add(at("date_of_birth"), "must be a date in the form YYYY-MM-DD")
			case d.After(today):
				f.add(at("date_of_birth"), "must not be in the future")
			case d.Before(today.AddDays(-120 * 365)):
				f.add(at("date_of_birth"), "must be within the last 120 years")
			case person.Relationship.Child() && !under18(d, today):
				f.add(at("date_of_birth"), "must make a child under 18: this date is 18 or more years ago")
			}
			person.DateOfBirth = d
		}
		out = append(out, person)
	}
	return out
}

// under18 reports whether someone born on dob is under 18 on today. A 29 February birthday
// falls on 1 March in a year without one, as the law of England and Wales counts it.
func under18(dob, today Date) bool {
	eighteenth := DateOf(time.Date(dob.Year+18, dob.Month, dob.Day, 12, 0, 0, 0, london))
	return today.Before(eighteenth)
}

// addressChanges describes a change of address for the audit. Address lines are copied, as
// names are: they say where, which is what an agency's check is about.
func addressChanges(d *diff, before, after Address) {
	d.add("address.line_1", before.Line1, after.Line1)
	d.add("address.line_2", before.Line2, after.Line2)
	d.add("address.line_3", before.Line3, after.Line3)
	d.add("address.town", before.Town, after.Town)
	d.add("address.postcode", before.Postcode, after.Postcode)
}

// peopleChanges describes a change of the people for the audit, place by place: a name is
// copied, as every name is, and so is a relationship, a date of birth, and where they live.
func peopleChanges(d *diff, before, after []Person) {
	for i := range max(len(before), len(after)) {
		var b, a Person
		if i < len(before) {
			b = before[i]
		}
		if i < len(after) {
			a = after[i]
		}
		at := func(field string) string { return fmt.Sprintf("people[%d].%s", i, field) }
		d.add(at("name"), b.Name, a.Name)
		d.add(at("date_of_birth"), b.DateOfBirth, a.DateOfBirth)
		d.add(at("relationship"), string(b.Relationship), string(a.Relationship))
		d.add(at("lives_there"), livesThere(b, i < len(before)), livesThere(a, i < len(after)))
	}
}

// livesThere is a person's lives_there in the audit: "" for no one at that place, so that
// removing a person who did not live there still shows.
func livesThere(p Person, present bool) string {
	if !present {
		return ""
	}
	return fmt.Sprint(p.LivesThere)
}

// addressAndPeople checks the address and the people of a new release. The address is
// required: a police force cannot run a check without it.
func addressAndPeople(f *fields, a *AddressInput, ps []PersonInput, today Date) (Address, []Person) {
	var addr Address
	if a == nil {
		f.add("address", "is required: the release address (line_1, town, postcode)")
	} else {
		addr = address(f, *a)
	}
	return addr, people(f, ps, today)
}

// patchAddressAndPeople applies a change of the address or the people: each given replaces
// the release's as a whole.
func patchAddressAndPeople(f *fields, r *Release, p ReleasePatch, today Date) {
	if p.Address != nil {
		r.Address = address(f, *p.Address)
	}
	if p.People != nil {
		r.People = people(f, *p.People, today)
	}
}
