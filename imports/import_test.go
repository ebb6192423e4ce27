package imports_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/imports"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/store"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// fixture is a service and an importer on a fresh database, the clock at Tuesday 24
// November 2026, 09:00 in London.
type fixture struct {
	svc      *checks.Service
	store    *store.Store
	clock    *testenv.Clock
	im       *imports.Importer
	admin    checks.User
	com      checks.User // team N07-T1
	com2     checks.User // team N07-T1
	otherCOM checks.User // team N08-T2
	manager  checks.User // teams N07-T1 and N07-T3
	liaison  checks.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: testenv.At(t, "2026-11-24T09:00:00Z")}
	f.store = store.New(testenv.Database(t), testenv.Logger())
	f.svc = checks.NewService(f.store, f.clock, checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}, testenv.Logger())
	if err := f.svc.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	f.im = imports.New(f.svc)
	f.admin = f.user(t, checks.UserInput{Name: "Ada Admin", Email: "ada@example.org", Role: "admin"})
	f.com = f.user(t, checks.UserInput{Name: "Colm Oman", Email: "colm@example.org", Role: "com", Team: "N07-T1"})
	f.com2 = f.user(t, checks.UserInput{Name: "Cora Oman", Email: "cora@example.org", Role: "com", Team: "N07-T1"})
	f.otherCOM = f.user(t, checks.UserInput{Name: "Olly Other", Email: "olly@example.org", Role: "com", Team: "N08-T2"})
	f.manager = f.user(t, checks.UserInput{Name: "Mina Manager", Email: "mina@example.org", Role: "manager", Teams: []string{"N07-T1", "N07-T3"}})
	f.liaison = f.user(t, checks.UserInput{Name: "Pat Police", Email: "pat@police.example.org", Role: "liaison", Agency: "E23000001"})
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

// header is every column, in the order of the issue.
const header = "crn,noms_number,full_name,date_of_birth,release_date,prison_code,team,com_email,address_line_1,address_line_2,town,postcode,police_force,local_authority\n"

// row is a valid row for team N07-T1 and its COM Colm, with the CRN and NOMS number made
// from n, released on date.
func row(n int, date string) string {
	return fmt.Sprintf("X%06d,A%04dBC,Person %d,1985-03-02,%s,LEI,N07-T1,colm@example.org,%d Example Street,,London,EC1A 1BB,E23000001,E09000001\n", n, n, n, date, n)
}

func (f *fixture) run(t *testing.T, actor checks.User, content string, opts imports.Options) imports.Report {
	t.Helper()
	rep, err := f.im.Import(context.Background(), actor, []byte(content), opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

// releases lists every active release from today, as the admin sees them.
func (f *fixture) releases(t *testing.T) []checks.Release {
	t.Helper()
	page, err := f.svc.Releases(context.Background(), f.admin, checks.ReleaseFilter{Limit: 200, Status: "active"})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func counts(rep imports.Report) string {
	return fmt.Sprintf("add %d, change %d, unchanged %d, rejected %d, missing %d",
		rep.Count(imports.OutcomeAdd), rep.Count(imports.OutcomeChange), rep.Count(imports.OutcomeUnchanged),
		rep.Count(imports.OutcomeRejected), len(rep.Missing))
}

func TestAFileIsReadInEveryFormASpreadsheetSavesIt(t *testing.T) {
	// Each file holds the same release: Person 1, released 15 February 2027.
	tests := []struct {
		name    string
		content string
		unknown []string
	}{
		{"with every column in the issue's order", header + row(1, "2027-02-15"), nil},
		{"with a byte order mark and CRLF line ends",
			"\ufeff" + strings.ReplaceAll(header+row(1, "2027-02-15"), "\n", "\r\n"), nil},
		{"with columns in another order, in upper case, and unknown columns listed",
			"Local_Authority,POLICE_FORCE,postcode,town,Address_Line_1,com_email,team,prison_code,release_date,date_of_birth,full_name,noms_number,CRN,Sentence,Notes\n" +
				"E09000001,E23000001,EC1A 1BB,London,1 Example Street,colm@example.org,N07-T1,LEI,2027-02-15,1985-03-02,Person 1,A0001BC,X000001,12 months,none\n",
			[]string{"Sentence", "Notes"}},
		{"with quoted fields holding commas and quotes, dates as DD/MM/YYYY and agencies by name",
			header + `X000001,A0001BC,"Person 1",02/03/1985,15/02/2027,LEI,N07-T1,colm@example.org,"1 Example Street","Flat ""B"", rear",London,EC1A 1BB,Metropolitan Police Service,city of london` + "\n", nil},
		{"without the optional columns, as the COM whose team and release it is",
			"crn,noms_number,full_name,date_of_birth,release_date,prison_code,address_line_1,town,postcode,police_force,local_authority\n" +
				"x000001,a0001bc,Person 1,1985-03-02,2027-02-15,lei,1 Example Street,London,ec1a1bb,E23000001,E09000001\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			dry := f.run(t, f.com, tt.content, imports.Options{DryRun: true})
			if got := counts(dry); got != "add 1, change 0, unchanged 0, rejected 0, missing 0" {
				t.Fatalf("dry run: %s; rows %+v", got, dry.Rows)
			}
			if strings.Join(dry.UnknownColumns, ",") != strings.Join(tt.unknown, ",") {
				t.Errorf("unknown columns: got %q, want %q", dry.UnknownColumns, tt.unknown)
			}
			if len(f.releases(t)) != 0 {
				t.Fatal("a dry run recorded a release")
			}
			rep := f.run(t, f.com, tt.content, imports.Options{})
			if got := counts(rep); got != "add 1, change 0, unchanged 0, rejected 0, missing 0" || !rep.Applied {
				t.Fatalf("import: %s, applied %v", got, rep.Applied)
			}
			rs := f.releases(t)
			if len(rs) != 1 {
				t.Fatalf("got %d releases, want 1", len(rs))
			}
			r := rs[0]
			got := fmt.Sprint(r.CRN, " ", r.NOMSNumber, " ", r.FullName, " ", r.DateOfBirth, " ", r.ReleaseDate, " ", r.PrisonCode, " ", r.Team, " ", r.COMID == f.com.ID, " ", r.PoliceForce, " ", r.LocalAuthority, " ", r.Address.Postcode, " ", len(r.Checks))
			if want := "X000001 A0001BC Person 1 1985-03-02 2027-02-15 LEI N07-T1 true E23000001 E09000001 EC1A 1BB 2"; got != want {
				t.Errorf("release: got %s, want %s", got, want)
			}
			if rep.Rows[0].ReleaseID != r.ID || rep.Rows[0].Row != 2 {
				t.Errorf("report row: got %+v, want line 2 with release %s", rep.Rows[0], r.ID)
			}
		})
	}
}

func TestAFileThatIsNotAScheduleIsRefusedWholeAndNothingIsWritten(t *testing.T) {
	big := header + strings.Repeat(row(1, "2027-02-15"), imports.MaxBytes/len(row(1, "2027-02-15"))+1)
	many := header + strings.Repeat("x\n", imports.MaxRows+1)
	many = strings.Replace(many, header, "crn,noms_number,full_name,date_of_birth,release_date,prison_code,address_line_1,town,postcode,police_force,local_authority\n", 1)
	tests := []struct {
		name, content, reason string
		tooLarge              bool
	}{
		{"an empty file", "", "it is empty", false},
		{"a header and no rows", header, "no rows", false},
		{"a file that is not UTF-8", header + "X000001,A0001BC,Ren\xe9e\n", "not UTF-8", false},
		{"a binary file", "PK\x03\x04\x00\x00", "NUL byte", false},
		{"a file with a stray quote", header + `X000001,A0001BC,Per"son` + "\n", "it is not CSV: line 2", false},
		{"a file lacking required columns", "crn,noms_number,full_name\nX000001,A0001BC,Person 1\n",
			"lacks the required column(s) date_of_birth, release_date, prison_code, address_line_1, town, postcode, police_force, local_authority", false},
		{"a file with a column twice", "crn,CRN\nX000001,X000001\n", "the column crn is in the header twice", false},
		{"a file over 10 MiB", big, "larger than 10 MiB", true},
		{"a file over 50,000 rows", many, "more than 50000 rows", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.im.Import(context.Background(), f.admin, []byte(tt.content), imports.Options{})
			var e *checks.Error
			if !errors.As(err, &e) || e.Code != checks.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "file" {
				t.Fatalf("got %v, want an invalid file", err)
			}
			if !strings.Contains(e.Fields[0].Reason, tt.reason) {
				t.Errorf("reason %q lacks %q", e.Fields[0].Reason, tt.reason)
			}
			if errors.Is(err, imports.ErrTooLarge) != tt.tooLarge {
				t.Errorf("too large: got %v, want %v", errors.Is(err, imports.ErrTooLarge), tt.tooLarge)
			}
			if len(f.releases(t)) != 0 {
				t.Error("a refused file recorded a release")
			}
		})
	}
}

func TestABadRowIsRejectedWithItsLineFieldAndReasonAndTheGoodRowsGoIn(t *testing.T) {
	f := newFixture(t)
	content := header + row(1, "2027-02-15") +
		"X000002,A0002BC,Person 2,1985-03-02,2027-02-30,LEI,N07-T1,colm@example.org,2 Example Street,,London,NOT A CODE,E23000001,E09000001\n" +
		row(3, "2027-03-01") +
		"X000004,A0004BC,Person 4,1985-03-02,2027-02-15,LEI,N07-T1,nobody@example.org,4 Example Street,,London,EC1A 1BB,Nowhere Police,E09000001\n" +
		"X000005,A0005BC\n" +
		row(1, "2027-02-16")
	rep := f.run(t, f.com, content, imports.Options{})
	if got := counts(rep); got != "add 2, change 0, unchanged 0, rejected 4, missing 0" {
		t.Fatalf("got %s", got)
	}
	var got []string
	for _, r := range rep.Of(imports.OutcomeRejected) {
		for _, e := range r.Errors {
			got = append(got, fmt.Sprintf("line %d %s: %s", r.Row, e.Field, e.Reason))
		}
	}
	want := []string{
		"line 3 release_date: must be a date in the form YYYY-MM-DD or DD/MM/YYYY",
		"line 3 postcode: must be a UK postcode, e.g. SW1A 1AA",
		"line 5 com_email: no COM has this email address",
		`line 5 police_force: no agency has the code "NOWHERE POLICE" (see GET /api/v1/agencies?kind=police)`,
		"line 6 row: has 2 fields where the header has 14",
		"line 7 crn: line 2 already gives this CRN and NOMS number: give each release once",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rejections:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(f.releases(t)); n != 2 {
		t.Errorf("got %d releases, want the 2 good rows", n)
	}
}

func TestAllOrNothingAppliesNoRowWhenOneIsRejectedAndRecordsTheRefusal(t *testing.T) {
	f := newFixture(t)
	content := header + row(1, "2027-02-15") + strings.Replace(row(2, "2027-02-15"), "EC1A 1BB", "nowhere", 1)
	rep := f.run(t, f.com, content, imports.Options{AllOrNothing: true})
	if !rep.Refused() || rep.Applied || rep.Count(imports.OutcomeRejected) != 1 || rep.Count(imports.OutcomeAdd) != 1 {
		t.Fatalf("got refused %v, %s", rep.Refused(), counts(rep))
	}
	if n := len(f.releases(t)); n != 0 {
		t.Fatalf("all-or-nothing recorded %d releases", n)
	}
	e := f.importAudit(t, rep.ImportID)
	if got := changes(e); !strings.Contains(got, "added=1 changed=0 unchanged=0 rejected=1") || !strings.Contains(got, "applied=false") {
		t.Errorf("audit: %s", got)
	}
	fixed := f.run(t, f.com, header+row(1, "2027-02-15")+row(2, "2027-02-15"), imports.Options{AllOrNothing: true})
	if !fixed.Applied || len(f.releases(t)) != 2 {
		t.Errorf("a clean file under all-or-nothing: applied %v, %d releases", fixed.Applied, len(f.releases(t)))
	}
}

func (f *fixture) importAudit(t *testing.T, id string) checks.AuditEntry {
	t.Helper()
	page, err := f.svc.Audit(context.Background(), f.admin, checks.AuditFilter{Resource: checks.ResourceImport, ResourceID: id})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Fatalf("got %d audit entries of import %q, want 1", len(page.Items), id)
	}
	return page.Items[0]
}

func changes(e checks.AuditEntry) string {
	var b strings.Builder
	for _, c := range e.Changes {
		fmt.Fprintf(&b, "%s=%s ", c.Field, c.After)
	}
	return b.String()
}

func TestImportingTheSameFileTwiceChangesNothingTheSecondTime(t *testing.T) {
	f := newFixture(t)
	content := header + row(1, "2027-02-15") + row(2, "2027-03-15") + row(3, "2027-04-15")
	first := f.run(t, f.com, content, imports.Options{})
	before := f.releases(t)
	second := f.run(t, f.com, content, imports.Options{})
	if got := counts(second); got != "add 0, change 0, unchanged 3, rejected 0, missing 0" {
		t.Fatalf("second import: %s", got)
	}
	after := f.releases(t)
	for i := range before {
		if before[i].Version != after[i].Version || before[i].UpdatedAt != after[i].UpdatedAt {
			t.Errorf("release %s changed: version %d → %d", before[i].CRN, before[i].Version, after[i].Version)
		}
		if second.Rows[i].ReleaseID != first.Rows[i].ReleaseID {
			t.Errorf("row %d matched %s, first recorded %s", i, second.Rows[i].ReleaseID, first.Rows[i].ReleaseID)
		}
	}
	e := f.importAudit(t, second.ImportID)
	if e.ActorID != f.com.ID || !strings.Contains(changes(e), "rows=3 added=0 changed=0 unchanged=3") {
		t.Errorf("audit of the second import: actor %s, %s", e.ActorID, changes(e))
	}
}

func TestAChangedRowChangesTheReleaseAsAChangeByHandWould(t *testing.T) {
	f := newFixture(t)
	f.run(t, f.com, header+row(1, "2027-02-15"), imports.Options{})
	old := f.releases(t)[0]
	oldDA := current(t, old, checks.TypeDomesticAbuse)

	// Released a week later, to an address in Cumbria's police area, and handed to Cora.
	changed := strings.NewReplacer("2027-02-15", "2027-02-22", "E23000001", "E23000002", "colm@example.org", "cora@example.org").Replace(row(1, "2027-02-15"))
	dry := f.run(t, f.manager, header+changed, imports.Options{DryRun: true})
	if got := counts(dry); got != "add 0, change 1, unchanged 0, rejected 0, missing 0" {
		t.Fatalf("dry run: %s", got)
	}
	if got := strings.Join(dry.Rows[0].Fields, ","); got != "release_date,com_email,police_force" {
		t.Errorf("fields to change: %s", got)
	}
	if f.releases(t)[0].Version != old.Version {
		t.Fatal("a dry run changed the release")
	}
	rep := f.run(t, f.manager, header+changed, imports.Options{})
	if rep.Count(imports.OutcomeChange) != 1 || rep.Rows[0].ReleaseID != old.ID {
		t.Fatalf("import: %s, row %+v", counts(rep), rep.Rows[0])
	}
	r, err := f.svc.Release(context.Background(), f.admin, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.ReleaseDate.String() != "2027-02-22" || r.COMID != f.com2.ID || r.PoliceForce != "E23000002" {
		t.Errorf("release: %s %s %s", r.ReleaseDate, r.COMID, r.PoliceForce)
	}
	da := current(t, r, checks.TypeDomesticAbuse)
	if da.ID == oldDA.ID || da.Agency != "E23000002" {
		t.Errorf("the DA check was not superseded by one for the new force: %s %s", da.ID, da.Agency)
	}
	cs := current(t, r, checks.TypeChildSafeguarding)
	if !cs.RequestBy.After(current(t, old, checks.TypeChildSafeguarding).RequestBy) {
		t.Errorf("the child safeguarding check's request-by %s did not move with the release date", cs.RequestBy)
	}
	page, err := f.svc.Audit(context.Background(), f.admin, checks.AuditFilter{ResourceID: old.ID})
	if err != nil {
		t.Fatal(err)
	}
	var byManager bool
	for _, e := range page.Items {
		byManager = byManager || (e.Action == "release.update" && e.ActorID == f.manager.ID)
	}
	if !byManager {
		t.Error("the change is not audited as the importing manager's release.update")
	}
}

func current(t *testing.T, r checks.Release, typ checks.CheckType) checks.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Type == typ && !c.Superseded() {
			return c
		}
	}
	t.Fatalf("release %s has no current %s check", r.ID, typ)
	return checks.Check{}
}

func TestARowMatchesOnlyAnActiveReleaseToComeWithTheSameCRNAndNOMSNumber(t *testing.T) {
	tests := []struct {
		name string
		row  string
		want string
	}{
		{"the same CRN and NOMS number is the same release", row(1, "2027-03-01"), "add 0, change 1, unchanged 0, rejected 0, missing 0"},
		{"another NOMS number is another release", strings.Replace(row(1, "2027-03-01"), "A0001BC", "A0009BC", 1), "add 1, change 0, unchanged 0, rejected 0, missing 1"},
		{"another name under the same CRN and NOMS number is refused", strings.Replace(row(1, "2027-02-15"), "Person 1", "Someone Else", 1), "add 0, change 0, unchanged 0, rejected 1, missing 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.run(t, f.com, header+row(1, "2027-02-15"), imports.Options{})
			if got := counts(f.run(t, f.com, header+tt.row, imports.Options{DryRun: true})); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	t.Run("a release whose date has passed is not matched", func(t *testing.T) {
		f := newFixture(t)
		f.run(t, f.com, header+row(1, "2026-11-30"), imports.Options{})
		f.clock.Set(f.clock.Now().AddDate(0, 0, 7)) // 1 December: the release of 30 November has passed
		rep := f.run(t, f.com, header+row(1, "2027-01-10"), imports.Options{DryRun: true})
		if got := counts(rep); got != "add 1, change 0, unchanged 0, rejected 0, missing 0" {
			t.Errorf("got %s", got)
		}
	})
}

func TestAReleaseMissingFromALaterFileIsListedAndNotCancelled(t *testing.T) {
	f := newFixture(t)
	f.run(t, f.com, header+row(1, "2027-02-15")+row(2, "2027-02-16"), imports.Options{})
	rep := f.run(t, f.com, header+row(1, "2027-02-15"), imports.Options{})
	if len(rep.Missing) != 1 || rep.Missing[0].CRN != "X000002" || rep.Missing[0].Team != "N07-T1" {
		t.Fatalf("missing: %+v", rep.Missing)
	}
	for _, r := range f.releases(t) {
		if r.Status != checks.ReleaseActive {
			t.Errorf("release %s is %s", r.CRN, r.Status)
		}
	}
}

func TestAnImporterReachesOnlyTheTeamsItMayManage(t *testing.T) {
	other := strings.NewReplacer("N07-T1", "N08-T2", "colm@example.org", "olly@example.org").Replace(row(2, "2027-02-15"))
	tests := []struct {
		name  string
		actor func(*fixture) checks.User
		want  string
	}{
		{"a COM's row for another team is rejected", func(f *fixture) checks.User { return f.com }, "add 1, change 0, unchanged 0, rejected 1, missing 0"},
		{"a manager's row for a team not its own is rejected", func(f *fixture) checks.User { return f.manager }, "add 1, change 0, unchanged 0, rejected 1, missing 0"},
		{"an admin imports into any team", func(f *fixture) checks.User { return f.admin }, "add 2, change 0, unchanged 0, rejected 0, missing 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			rep := f.run(t, tt.actor(f), header+row(1, "2027-02-15")+other, imports.Options{})
			if got := counts(rep); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if rej := rep.Of(imports.OutcomeRejected); len(rej) == 1 && rej[0].Errors[0].Field != "team" {
				t.Errorf("rejected for %+v, want the team", rej[0].Errors)
			}
		})
	}
	t.Run("a liaison cannot import", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.im.Import(context.Background(), f.liaison, []byte(header+row(1, "2027-02-15")), imports.Options{})
		if checks.ErrorCode(err) != checks.EFORBIDDEN {
			t.Errorf("got %v, want forbidden", err)
		}
	})
	t.Run("another team's release is not matched, and the duplicate is refused when applied", func(t *testing.T) {
		f := newFixture(t)
		f.run(t, f.admin, header+other, imports.Options{})
		// The same person and date in the COM's own team: a dry run does not tell that
		// another team holds the person (it plans an add); applying it is refused as the
		// API refuses it.
		mine := strings.NewReplacer("N08-T2", "N07-T1", "olly@example.org", "colm@example.org").Replace(other)
		if got := counts(f.run(t, f.com, header+mine, imports.Options{DryRun: true})); got != "add 1, change 0, unchanged 0, rejected 0, missing 0" {
			t.Errorf("dry run: %s", got)
		}
		rep := f.run(t, f.com, header+mine, imports.Options{})
		rej := rep.Of(imports.OutcomeRejected)
		if len(rej) != 1 || rej[0].Errors[0].Reason != checks.ErrDuplicateRelease.Message {
			t.Errorf("got %s, %+v", counts(rep), rej)
		}
	})
}

func TestAnUploadedFileIsForItsUploaderOnlyAndGoneAfterAnHour(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p, err := f.svc.KeepPendingImport(ctx, f.com, []byte(header+row(1, "2027-02-15")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PendingImport(ctx, f.com2, p.ID); checks.ErrorCode(err) != checks.ENOTFOUND {
		t.Errorf("another COM of the team reads it: %v", err)
	}
	if got, err := f.svc.PendingImport(ctx, f.com, p.ID); err != nil || string(got.Content) != header+row(1, "2027-02-15") {
		t.Fatalf("its uploader: %v", err)
	}
	f.clock.Advance(checks.PendingImportTTL)
	if _, err := f.svc.PendingImport(ctx, f.com, p.ID); checks.ErrorCode(err) != checks.ENOTFOUND {
		t.Errorf("after an hour: %v", err)
	}
	if err := f.svc.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.PendingImport(ctx, p.ID); checks.ErrorCode(err) != checks.ENOTFOUND {
		t.Errorf("the maintenance left the expired file in the database: %v", err)
	}
}
