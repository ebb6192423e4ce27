package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

type apiAddress struct {
	Line1    string `json:"line_1"`
	Line2    string `json:"line_2"`
	Line3    string `json:"line_3"`
	Town     string `json:"town"`
	Postcode string `json:"postcode"`
}

type apiPerson struct {
	Name         string  `json:"name"`
	DateOfBirth  *string `json:"date_of_birth"`
	Relationship string  `json:"relationship"`
	LivesThere   bool    `json:"lives_there"`
}

type apiReleaseAddress struct {
	ID      string      `json:"id"`
	Address *apiAddress `json:"address"`
	People  []apiPerson `json:"people"`
	Version int64       `json:"version"`
}

func person(name, dob, rel string, livesThere bool) map[string]any {
	p := map[string]any{"name": name, "relationship": rel, "lives_there": livesThere}
	if dob != "" {
		p["date_of_birth"] = dob
	}
	return p
}

func addressWith(k, v string) map[string]any {
	a := map[string]any{"line_1": "1 Example Street", "town": "London", "postcode": "EC1A 1BB"}
	if v == "" {
		delete(a, k)
	} else {
		a[k] = v
	}
	return a
}

func TestANewReleaseNeedsAValidAddressAndPeople(t *testing.T) {
	e := newEnv(t)
	tooMany := make([]map[string]any, checks.MaxPeople+1)
	for i := range tooMany {
		tooMany[i] = person(fmt.Sprintf("Person %d", i), "", "other_adult", false)
	}
	// The service's today is 24 November 2026: a child born on 24 November 2008 is 18.
	for _, tc := range []struct {
		name    string
		changes map[string]any
		field   string
	}{
		{"a release without an address is refused", map[string]any{"address": nil}, "address"},
		{"an address without its first line is refused", map[string]any{"address": addressWith("line_1", "")}, "address.line_1"},
		{"an address without a town is refused", map[string]any{"address": addressWith("town", "")}, "address.town"},
		{"an address without a postcode is refused", map[string]any{"address": addressWith("postcode", "")}, "address.postcode"},
		{"a postcode of the wrong shape is refused", map[string]any{"address": addressWith("postcode", "EC1A 1B")}, "address.postcode"},
		{"a postcode with a letter for the inward digit is refused", map[string]any{"address": addressWith("postcode", "EC1A ABB")}, "address.postcode"},
		{"a postcode whose area's second letter is I is refused", map[string]any{"address": addressWith("postcode", "AI1 1AA")}, "address.postcode"},
		{"an address line with a right-to-left override is refused", map[string]any{"address": addressWith("line_2", "Flat\u202e 2")}, "address.line_2"},
		{"an address line over 100 characters is refused", map[string]any{"address": addressWith("line_1", strings.Repeat("a", 101))}, "address.line_1"},
		{"a person without a name is refused", map[string]any{"people": []any{person("", "", "partner", true)}}, "people[0].name"},
		{"a person's name with a control character is refused", map[string]any{"people": []any{person("Sam\x07", "", "partner", true)}}, "people[0].name"},
		{"a person without a relationship is refused", map[string]any{"people": []any{person("Sam", "", "", true)}}, "people[0].relationship"},
		{"a relationship not in the list is refused", map[string]any{"people": []any{person("Sam", "", "partner", true), person("Kim", "", "cousin", true)}}, "people[1].relationship"},
		{"a person without lives_there is refused", map[string]any{"people": []any{map[string]any{"name": "Sam", "relationship": "partner"}}}, "people[0].lives_there"},
		{"a date of birth that is not a date is refused", map[string]any{"people": []any{person("Sam", "", "partner", true), person("Kim", "", "partner", false), person("Lou", "2015-02-30", "child", true)}}, "people[2].date_of_birth"},
		{"a date of birth in the future is refused", map[string]any{"people": []any{person("Sam", "2027-01-01", "child", true)}}, "people[0].date_of_birth"},
		{"a child who is 18 today is refused", map[string]any{"people": []any{person("Sam", "2008-11-24", "child", true)}}, "people[0].date_of_birth"},
		{"another child who is 30 is refused", map[string]any{"people": []any{person("Sam", "1996-01-01", "other_child", false)}}, "people[0].date_of_birth"},
		{"more than 20 people are refused", map[string]any{"people": tooMany}, "people"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := validRelease()
			for k, v := range tc.changes {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			p := wantProblem(t, e.do(t, e.com.Token, "POST", "/api/v1/releases", body), http.StatusUnprocessableEntity, "")
			if !p.hasField(tc.field) {
				t.Errorf("the problem names %+v, want %s", p.Errors, tc.field)
			}
		})
	}
}

func TestAnAddressAndPeopleAreRecordedAsGiven(t *testing.T) {
	e := newEnv(t)
	for i, tc := range []struct {
		name, postcode, want string
	}{
		{"a postcode in lower case without its space is normalised", "sw1a1aa", "SW1A 1AA"},
		{"a postcode with spaces around and between is normalised", "  EC1A   1BB ", "EC1A 1BB"},
		{"a short postcode is taken", "m1 1ae", "M1 1AE"},
		{"a postcode of a letter and two digits is taken", "B33 8TH", "B33 8TH"},
		{"a postcode of a letter, a digit and a letter is taken", "w1a 0ax", "W1A 0AX"},
		{"the Girobank postcode is taken", "gir0aa", "GIR 0AA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r apiReleaseAddress
			want(t, e.do(t, e.com.Token, "POST", "/api/v1/releases", withFields(map[string]any{
				"crn":     fmt.Sprintf("X2%05d", i),
				"address": map[string]any{"line_1": " 1 Example Street ", "line_3": "Shoreditch", "town": "London", "postcode": tc.postcode},
				"people": []any{person("Sam Smith", "2010-06-01", "child", true), person("Kim Smith", "", "former_partner", false),
					person("Lou Smith", "2008-11-25", "other_child", false)},
			})), http.StatusCreated, &r)
			if r.Address == nil || *r.Address != (apiAddress{"1 Example Street", "", "Shoreditch", "London", tc.want}) {
				t.Errorf("address = %+v, want postcode %s", r.Address, tc.want)
			}
			if len(r.People) != 3 || r.People[0].DateOfBirth == nil || *r.People[0].DateOfBirth != "2010-06-01" ||
				r.People[1].DateOfBirth != nil || r.People[1].LivesThere || !r.People[0].LivesThere || r.People[2].Relationship != "other_child" {
				t.Errorf("people = %+v", r.People)
			}
		})
	}
}

func TestAChangeReplacesTheAddressAndThePeopleAndIsAudited(t *testing.T) {
	e := newEnv(t)
	created := e.createRelease(t, e.com, map[string]any{"people": []any{person("Sam Smith", "", "partner", true), person("Kim Smith", "2012-01-01", "child", true)}})
	path := "/api/v1/releases/" + created.ID
	for _, tc := range []struct {
		name    string
		ifMatch string
		body    map[string]any
		status  int
		check   func(*testing.T, apiReleaseAddress)
	}{
		{"the people are replaced as a whole", `"1"`, map[string]any{"people": []any{person("Alex Jones", "", "other_adult", false)}}, 200,
			func(t *testing.T, r apiReleaseAddress) {
				if len(r.People) != 1 || r.People[0].Name != "Alex Jones" {
					t.Errorf("people = %+v, want Alex Jones alone", r.People)
				}
			}},
		{"a stale If-Match is refused", `"1"`, map[string]any{"people": []any{}}, 412, nil},
		{"the address is replaced as a whole", `"2"`, map[string]any{"address": map[string]any{"line_1": "9 New Road", "town": "Leeds", "postcode": "ls11ur"}}, 200,
			func(t *testing.T, r apiReleaseAddress) {
				if r.Address == nil || *r.Address != (apiAddress{Line1: "9 New Road", Town: "Leeds", Postcode: "LS1 1UR"}) {
					t.Errorf("address = %+v", r.Address)
				}
			}},
		{"an empty list leaves no people", "", map[string]any{"people": []any{}}, 200,
			func(t *testing.T, r apiReleaseAddress) {
				if r.People == nil || len(r.People) != 0 {
					t.Errorf("people = %#v, want []", r.People)
				}
			}},
		{"a bad person in a change is named by its place", "", map[string]any{"people": []any{person("A", "", "partner", true), person("B", "2000-01-01", "child", true)}}, 422, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, e.com.Token, "PATCH", path, tc.body, "If-Match", tc.ifMatch)
			if tc.status != 200 {
				p := wantProblem(t, res, tc.status, "")
				if tc.status == 422 && !p.hasField("people[1].date_of_birth") {
					t.Errorf("the problem names %+v, want people[1].date_of_birth", p.Errors)
				}
				return
			}
			var r apiReleaseAddress
			want(t, res, 200, &r)
			tc.check(t, r)
		})
	}

	var audit apiList[map[string]any]
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/audit?resource_id="+created.ID, nil), 200, &audit)
	changes := map[string][2]string{}
	for _, entry := range audit.Items {
		list, _ := entry["changes"].([]any)
		for _, c := range list {
			m := c.(map[string]any)
			changes[fmt.Sprint(entry["action"], " ", m["field"])] = [2]string{fmt.Sprint(m["before"]), fmt.Sprint(m["after"])}
		}
	}
	for _, tc := range []struct {
		name, key     string
		before, after string
	}{
		{"the creation copies the postcode", "release.create address.postcode", "", "EC1A 1BB"},
		{"the creation copies a person's name", "release.create people[1].name", "", "Kim Smith"},
		{"the creation copies a person's relationship", "release.create people[1].relationship", "", "child"},
		{"the creation copies a person's date of birth", "release.create people[1].date_of_birth", "", "2012-01-01"},
		{"a change copies a new address line", "release.update address.line_1", "1 Example Street", "9 New Road"},
	} {
		t.Run("the audit: "+tc.name, func(t *testing.T) {
			got, ok := changes[tc.key]
			if !ok || got != [2]string{tc.before, tc.after} {
				t.Errorf("%s = %v (recorded: %v), want %q -> %q", tc.key, got, ok, tc.before, tc.after)
			}
		})
	}
	t.Run("the audit: a person removed shows their name going", func(t *testing.T) {
		found := false
		for _, entry := range audit.Items {
			for _, c := range entry["changes"].([]any) {
				m := c.(map[string]any)
				if m["field"] == "people[1].name" && m["before"] == "Kim Smith" && fmt.Sprint(m["after"]) == "" {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("no audit entry records Kim Smith leaving: %+v", audit.Items)
		}
	})
}

func TestAReleaseRecordedBeforeAddressesStillReadsAndShows(t *testing.T) {
	e := newEnv(t)
	// Written straight to the store, as releases recorded before addresses were asked for.
	ctx := context.Background()
	com, err := e.svc.User(ctx, checks.System("test"), e.com.ID)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now().UTC().Truncate(time.Millisecond)
	old := checks.Release{ID: "0000000000000000000000a1", CRN: "X999001", NOMSNumber: "A1234BC", FullName: "Old Record",
		DateOfBirth: checks.MustDate("1980-01-01"), ReleaseDate: checks.MustDate("2027-03-01"), PrisonCode: "LEI", Team: "N07-T1",
		COMID: com.ID, PoliceForce: "E23000001", LocalAuthority: "E09000001", Status: checks.ReleaseActive,
		CreatedAt: now, UpdatedAt: now, Version: 1,
		Slots: []checks.Slot{{CheckID: "0000000000000000000000b1", Type: checks.TypeDomesticAbuse, Agency: "E23000001"},
			{CheckID: "0000000000000000000000b2", Type: checks.TypeChildSafeguarding, Agency: "E09000001"}}}
	if err := e.store.InsertRelease(ctx, old); err != nil {
		t.Fatal(err)
	}
	t.Run("the API answers a null address and no people", func(t *testing.T) {
		var r apiReleaseAddress
		want(t, e.do(t, e.com.Token, "GET", "/api/v1/releases/"+old.ID, nil), 200, &r)
		if r.Address != nil || r.People == nil || len(r.People) != 0 {
			t.Errorf("address %+v, people %#v; want null and []", r.Address, r.People)
		}
	})
	t.Run("the release page says the address is not recorded", func(t *testing.T) {
		p := e.page(t, "GET", "/releases/"+old.ID, nil, e.signInWithForm(t, e.com.Token))
		if p.status != 200 || !strings.Contains(p.body, "Address not recorded") || !strings.Contains(p.body, "No people recorded") {
			t.Errorf("the page (%d) does not say the address and people are not recorded", p.status)
		}
	})
	t.Run("another change to it is taken without an address", func(t *testing.T) {
		want(t, e.do(t, e.com.Token, "PATCH", "/api/v1/releases/"+old.ID, map[string]any{"prison_code": "BMI"}), 200, nil)
	})
	t.Run("a liaison reads its requested check with a null address", func(t *testing.T) {
		e.act(t, e.com, "0000000000000000000000b1", "request", nil)
		var v map[string]any
		want(t, e.do(t, e.police.Token, "GET", "/api/v1/checks/0000000000000000000000b1", nil), 200, &v)
		if rel := v["release"].(map[string]any); rel["address"] != nil {
			t.Errorf("address = %v, want null", rel["address"])
		}
		p := e.page(t, "GET", "/checks/0000000000000000000000b1", nil, e.signInWithForm(t, e.police.Token))
		if !strings.Contains(p.body, "Address not recorded") {
			t.Errorf("the liaison's page (%d) does not say the address is not recorded", p.status)
		}
	})
}

func TestAUsersPhoneIsAUKNumberOrNothing(t *testing.T) {
	e := newEnv(t)
	for i, tc := range []struct {
		name, phone string
		status      int
		want        string
	}{
		{"a landline with spaces is taken", "0161 496 0000", 201, "0161 496 0000"},
		{"a number with +44 is taken", "+44 161 496 0000", 201, "+44 161 496 0000"},
		{"a mobile without spaces is taken", "07700900123", 201, "07700900123"},
		{"runs of spaces are made one", " 020  7946   0123 ", 201, "020 7946 0123"},
		{"no phone is taken", "", 201, ""},
		{"too few digits are refused", "0161 496", 422, ""},
		{"hyphens are refused", "0161-496-0000", 422, ""},
		{"a foreign number is refused", "+1 555 123 4567", 422, ""},
		{"letters are refused", "0161 ABC 0000", 422, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"name": "Pat Phone", "email": fmt.Sprintf("phone%d@example.org", i), "role": "com", "team": "N07-T1", "phone": tc.phone}
			res := e.do(t, e.admin.Token, "POST", "/api/v1/users", body)
			if tc.status == 422 {
				if p := wantProblem(t, res, 422, ""); !p.hasField("phone") {
					t.Errorf("the problem names %+v, want phone", p.Errors)
				}
				return
			}
			var u struct {
				Phone string `json:"phone"`
			}
			want(t, res, 201, &u)
			if u.Phone != tc.want {
				t.Errorf("phone = %q, want %q", u.Phone, tc.want)
			}
		})
	}
}

func TestTheFormRecordsAnAddressAndPeople(t *testing.T) {
	e := newEnv(t)
	session := e.signInWithForm(t, e.com.Token)
	form := e.page(t, "GET", "/releases/new", nil, session)
	m := csrfField.FindStringSubmatch(form.body)
	if form.status != 200 || m == nil {
		t.Fatalf("the form: %d", form.status)
	}
	base := func() url.Values {
		return url.Values{"csrf_token": {m[1]}, "crn": {"X555001"}, "noms_number": {"A1234BC"}, "full_name": {"Jo Form"}, "prison_code": {"LEI"},
			"police_force": {"E23000001"}, "local_authority": {"E09000001"},
			"date_of_birth-day": {"2"}, "date_of_birth-month": {"3"}, "date_of_birth-year": {"1985"},
			"release_date-day": {"15"}, "release_date-month": {"2"}, "release_date-year": {"2027"},
			"address-line-1": {"1 Example Street"}, "address-town": {"London"}, "address-postcode": {"ec1a1bb"}}
	}
	for _, tc := range []struct {
		name   string
		edit   func(url.Values)
		status int
		shows  []string
	}{
		{"Add another person shows one more row and records nothing", func(v url.Values) { v.Set("add_person", "1") }, 200,
			[]string{`id="person-3-name"`, `value="1 Example Street"`}},
		{"a form without a postcode points at the postcode", func(v url.Values) { v.Del("address-postcode") }, 422,
			[]string{`href="#address-postcode"`, "Enter the postcode of the release address"}},
		{"a child of 18 in the second row, after an empty one, points at that row", func(v url.Values) {
			v.Set("person-2-name", "Sam")
			v.Set("person-2-relationship", "child")
			v.Set("person-2-lives-there", "yes")
			v.Set("person-2-dob-day", "1")
			v.Set("person-2-dob-month", "1")
			v.Set("person-2-dob-year", "2000")
		}, 422, []string{`href="#person-2-dob-day"`, "Date of birth of person 3 must make a child under 18"}},
		{"a person without lives-there is asked where they live", func(v url.Values) {
			v.Set("person-0-name", "Sam")
			v.Set("person-0-relationship", "partner")
		}, 422, []string{`href="#person-0-lives-there"`, "Choose whether person 1 lives at the release address"}},
		{"a full form is recorded with its people", func(v url.Values) {
			v.Set("person-1-name", "Sam Form")
			v.Set("person-1-relationship", "partner")
			v.Set("person-1-lives-there", "no")
		}, 303, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := base()
			tc.edit(v)
			res := e.page(t, "POST", "/releases/new", v, session)
			if res.status != tc.status {
				t.Fatalf("answered %d, want %d: %s", res.status, tc.status, res.body)
			}
			for _, s := range tc.shows {
				if !strings.Contains(res.body, s) {
					t.Errorf("the page lacks %s", s)
				}
			}
			if tc.status == 303 {
				page := e.page(t, "GET", res.header.Get("Location"), nil, session)
				for _, s := range []string{"1 Example Street", "EC1A 1BB", "Sam Form", "Partner"} {
					if !strings.Contains(page.body, s) {
						t.Errorf("the release page lacks %s", s)
					}
				}
			}
		})
	}
}

func TestTheAddressAndPeopleAreChangedFromTheReleasePage(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, map[string]any{"people": []any{person("Sam Smith", "", "partner", true)}})
	session := e.signInWithForm(t, e.com.Token)
	release := e.page(t, "GET", "/releases/"+r.ID, nil, session)
	if !strings.Contains(release.body, `href="/releases/`+r.ID+`/address"`) {
		t.Fatalf("the release page offers no change of address")
	}
	form := e.page(t, "GET", "/releases/"+r.ID+"/address", nil, session)
	m := csrfField.FindStringSubmatch(form.body)
	if form.status != 200 || m == nil {
		t.Fatalf("the form: %d", form.status)
	}
	for _, s := range []string{`value="1 Example Street"`, `value="Sam Smith"`, `value="partner" selected`, `id="person-1-name"`} {
		if !strings.Contains(form.body, s) {
			t.Errorf("the form is not filled in with the release as it is: it lacks %s", s)
		}
	}
	base := func() url.Values {
		return url.Values{"csrf_token": {m[1]}, "step": {"confirm"}, "version": {strconv.FormatInt(r.Version, 10)}, "people_rows": {"3"},
			"police_force": {"E23000001"}, "local_authority": {"E09000001"},
			"address-line-1": {"2 New Road"}, "address-town": {"London"}, "address-postcode": {"EC1A 1BB"},
			"person-0-name": {"Sam Smith"}, "person-0-relationship": {"partner"}, "person-0-lives-there": {"no"},
			"person-1-name": {"Alex Smith"}, "person-1-relationship": {"child"}, "person-1-lives-there": {"yes"},
			"person-1-dob-day": {"4"}, "person-1-dob-month": {"5"}, "person-1-dob-year": {"2019"}}
	}
	for _, tc := range []struct {
		name   string
		edit   func(url.Values)
		status int
		shows  []string
	}{
		{"a change without a town points at the town", func(v url.Values) { v.Del("address-town") }, 422,
			[]string{`href="#address-town"`}},
		{"the check page shows the changes and changes nothing", func(v url.Values) { v.Set("step", "check") }, 200,
			[]string{"Check your changes to the address and people", "2 New Road", "Was: 1 Example Street", "Alex Smith, their child, lives there, born 4 May 2019"}},
		{"a confirmation from a page out of date shows the changes again", func(v url.Values) { v.Set("version", "99") }, 409,
			[]string{"Someone else changed this release"}},
		{"a whole change, confirmed, replaces the address and the people", func(url.Values) {}, 303, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := base()
			tc.edit(v)
			res := e.page(t, "POST", "/releases/"+r.ID+"/address", v, session)
			if res.status != tc.status {
				t.Fatalf("answered %d, want %d: %s", res.status, tc.status, res.body)
			}
			for _, s := range tc.shows {
				if !strings.Contains(res.body, s) {
					t.Errorf("the page lacks %s", s)
				}
			}
		})
	}
	var after apiReleaseAddress
	want(t, e.do(t, e.com.Token, "GET", "/api/v1/releases/"+r.ID, nil), 200, &after)
	if after.Address == nil || after.Address.Line1 != "2 New Road" || len(after.People) != 2 || after.People[1].Name != "Alex Smith" || after.People[0].LivesThere {
		t.Errorf("after the change: address %+v, people %+v", after.Address, after.People)
	}
	t.Run("a liaison cannot open the form", func(t *testing.T) {
		if p := e.page(t, "GET", "/releases/"+r.ID+"/address", nil, e.signInWithForm(t, e.police.Token)); p.status != 404 {
			t.Errorf("a liaison got %d, want 404", p.status)
		}
	})
}
