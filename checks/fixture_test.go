package checks_test

import (
	"context"
	"os"
	"testing"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/store"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// fixture is a service on a fresh database with the clock at Tuesday 24 November 2026, 09:00
// in London, and one user of each kind.
type fixture struct {
	svc   *checks.Service
	store *store.Store
	clock *testenv.Clock

	admin          checks.User
	com            checks.User // team N07-T1
	com2           checks.User // team N07-T1
	otherCOM       checks.User // team N08-T2
	manager        checks.User // teams N07-T1 and N07-T3
	otherManager   checks.User // team N08-T2
	police         checks.User // liaison of the Metropolitan Police, E23000001
	otherPolice    checks.User // liaison of Cumbria Constabulary, E23000002
	childrens      checks.User // liaison of the City of London's children's services, E09000001
	otherChildrens checks.User // liaison of Hartlepool's children's services, E06000001
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{clock: testenv.At(t, "2026-11-24T09:00:00Z")}
	f.store = store.New(testenv.Database(t), testenv.Logger())
	f.svc = checks.NewService(f.store, f.clock, checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}, testenv.Logger())
	if err := f.svc.Start(ctx); err != nil {
		t.Fatalf("start: %v", err)
	}
	f.admin = f.user(t, checks.UserInput{Name: "Ada Admin", Email: "ada@example.org", Role: "admin"})
	f.com = f.user(t, checks.UserInput{Name: "Colm Oman", Email: "colm@example.org", Role: "com", Team: "N07-T1"})
	f.com2 = f.user(t, checks.UserInput{Name: "Cora Oman", Email: "cora@example.org", Role: "com", Team: "N07-T1"})
	f.otherCOM = f.user(t, checks.UserInput{Name: "Olly Other", Email: "olly@example.org", Role: "com", Team: "N08-T2"})
	f.manager = f.user(t, checks.UserInput{Name: "Mina Manager", Email: "mina@example.org", Role: "manager", Teams: []string{"N07-T1", "N07-T3"}})
	f.otherManager = f.user(t, checks.UserInput{Name: "Otto Manager", Email: "otto@example.org", Role: "manager", Teams: []string{"N08-T2"}})
	f.police = f.user(t, checks.UserInput{Name: "Pat Police", Email: "pat@police.example.org", Role: "liaison", Agency: "E23000001"})
	f.otherPolice = f.user(t, checks.UserInput{Name: "Cal Cumbria", Email: "cal@police.example.org", Role: "liaison", Agency: "E23000002"})
	f.childrens = f.user(t, checks.UserInput{Name: "Chris Childrens", Email: "chris@la.example.org", Role: "liaison", Agency: "E09000001"})
	f.otherChildrens = f.user(t, checks.UserInput{Name: "Hal Hartlepool", Email: "hal@la.example.org", Role: "liaison", Agency: "E06000001"})
	return f
}

func (f *fixture) user(t *testing.T, in checks.UserInput) checks.User {
	t.Helper()
	u, _, err := f.svc.CreateUser(context.Background(), checks.System("test"), in)
	if err != nil {
		t.Fatalf("create user %s: %v", in.Email, err)
	}
	return u
}

// validRelease is a release the COM's team can record: released Monday 15 February 2027,
// to an address in the Metropolitan Police area and the City of London.
func validRelease() checks.ReleaseInput {
	return checks.ReleaseInput{
		CRN: "X123456", NOMSNumber: "A1234BC", FullName: "John Smith", DateOfBirth: "1985-03-02",
		ReleaseDate: "2027-02-15", PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
		Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"},
	}
}

// release records a release as the COM, changed by the given edits.
func (f *fixture) release(t *testing.T, edits ...func(*checks.ReleaseInput)) checks.Release {
	t.Helper()
	in := validRelease()
	for _, e := range edits {
		e(&in)
	}
	r, err := f.svc.CreateRelease(context.Background(), f.com, in)
	if err != nil {
		t.Fatalf("create release: %v", err)
	}
	return r
}

// checkOf returns the current check of type typ of release r.
func checkOf(t *testing.T, r checks.Release, typ checks.CheckType) checks.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Type == typ && !c.Superseded() {
			return c
		}
	}
	t.Fatalf("release %s has no current %s check", r.ID, typ)
	return checks.Check{}
}

// wantCode asserts that err is an *Error with the code and returns it.
func wantCode(t *testing.T, err error, code string) *checks.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	e, ok := err.(*checks.Error)
	if !ok || e.Code != code {
		t.Fatalf("got error %v, want code %s", err, code)
	}
	return e
}

func TestFixtureStartsWithTheWholeAgencyDirectory(t *testing.T) {
	f := newFixture(t)
	for kind, want := range map[string]int{"police": 43, "childrens_services": 175} {
		n := 0
		in := checks.AgencyFilter{Kind: kind, Limit: 50}
		for {
			page, err := f.svc.Agencies(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			n += len(page.Items)
			if page.NextCursor == "" {
				break
			}
			in.Cursor = page.NextCursor
		}
		if n != want {
			t.Errorf("%s agencies: got %d, want %d", kind, n, want)
		}
	}
}
