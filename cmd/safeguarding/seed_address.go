package main

import (
	"fmt"
	"strings"

	"github.com/probation/safeguarding/checks"
)

// The demo's release addresses and the people connected to them. Streets and people are
// invented; the postcodes have the shape of the areas' but name no real home.

// demoStreets are a street and a postcode in each area of demoAreas.
var demoStreets = map[string]struct{ street, town, postcode string }{
	"camden":    {"Example Road", "London", "NW5 1XA"},
	"islington": {"Sample Street", "London", "N1 9XB"},
	"city":      {"Placeholder Lane", "London", "EC2V 7XC"},
}

// demoAddress is release i's address in area.
func demoAddress(area string, i int) *checks.AddressInput {
	st := demoStreets[area]
	a := &checks.AddressInput{Line1: fmt.Sprintf("%d %s", 2+i*3, st.street), Town: st.town, Postcode: st.postcode}
	if i%3 == 0 {
		a.Line1, a.Line2 = fmt.Sprintf("Flat %d", 1+i%9), a.Line1
	}
	return a
}

// demoPeople are the people connected to release i's address: none, a partner, a partner and
// a child, or a former partner and a child living elsewhere whose date of birth is not known.
func demoPeople(i int, surname string, today checks.Date) []checks.PersonInput {
	yes, no := true, false
	born := func(years int) string { return today.AddDays(-(years*365 + i*17%300)).String() }
	switch i % 4 {
	case 1:
		return []checks.PersonInput{{Name: "Robin " + surname, DateOfBirth: born(34), Relationship: string(checks.RelPartner), LivesThere: &yes}}
	case 2:
		return []checks.PersonInput{
			{Name: "Sky " + surname, DateOfBirth: born(29), Relationship: string(checks.RelPartner), LivesThere: &yes},
			{Name: "Alex " + surname, DateOfBirth: born(7), Relationship: string(checks.RelChild), LivesThere: &yes},
		}
	case 3:
		return []checks.PersonInput{
			{Name: "Jo Madeup", DateOfBirth: born(31), Relationship: string(checks.RelFormerPartner), LivesThere: &no},
			{Name: "Charlie Madeup", Relationship: string(checks.RelOtherChild), LivesThere: &no},
		}
	}
	return nil
}

// demoPhone is a COM's telephone number: one of Ofcom's numbers kept for drama (020 7946
// 0000 to 0999), so that no real line is rung.
func demoPhone(du demoUser, i int) string {
	if du.role != checks.RoleCOM {
		return ""
	}
	return fmt.Sprintf("020 7946 0%03d", 100+i)
}

// surnameOf is the last word of a name.
func surnameOf(name string) string {
	parts := strings.Fields(name)
	return parts[len(parts)-1]
}
