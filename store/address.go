package store

import "github.com/probation/safeguarding/checks"

// addressDoc is a release address. A release recorded before addresses were asked for has
// none (the field is absent), and reads as the zero checks.Address.
type addressDoc struct {
	Line1    string `bson:"line_1"`
	Line2    string `bson:"line_2,omitempty"`
	Line3    string `bson:"line_3,omitempty"`
	Town     string `bson:"town"`
	Postcode string `bson:"postcode"`
}

// personDoc is one person connected to a release address.
type personDoc struct {
	Name         string `bson:"name"`
	DateOfBirth  string `bson:"date_of_birth,omitempty"` // YYYY-MM-DD; absent when not known
	Relationship string `bson:"relationship"`
	LivesThere   bool   `bson:"lives_there"`
}

func toAddressDoc(a checks.Address) *addressDoc {
	if !a.Recorded() {
		return nil
	}
	return &addressDoc{a.Line1, a.Line2, a.Line3, a.Town, a.Postcode}
}

func (d *addressDoc) toAddress() checks.Address {
	if d == nil {
		return checks.Address{}
	}
	return checks.Address{Line1: d.Line1, Line2: d.Line2, Line3: d.Line3, Town: d.Town, Postcode: d.Postcode}
}

func toPeopleDocs(ps []checks.Person) []personDoc {
	out := make([]personDoc, 0, len(ps))
	for _, p := range ps {
		out = append(out, personDoc{p.Name, p.DateOfBirth.String(), string(p.Relationship), p.LivesThere})
	}
	return out
}

func toPeople(ds []personDoc) []checks.Person {
	if len(ds) == 0 {
		return nil
	}
	out := make([]checks.Person, 0, len(ds))
	for _, d := range ds {
		out = append(out, checks.Person{Name: d.Name, DateOfBirth: parseStoredDate(d.DateOfBirth),
			Relationship: checks.Relationship(d.Relationship), LivesThere: d.LivesThere})
	}
	return out
}
