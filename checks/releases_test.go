package checks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestCreatingAReleaseCreatesBothChecksRequiredWithTheirRequestByDate(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)

	if r.Status != checks.ReleaseActive || r.Team != "N07-T1" || r.COMID != f.com.ID || r.Version != 1 {
		t.Errorf("release = status %s team %s com %s version %d; want active, the COM's team, the COM, 1", r.Status, r.Team, r.COMID, r.Version)
	}
	if len(r.Checks) != 2 {
		t.Fatalf("release has %d checks, want 2", len(r.Checks))
	}
	// 30 working days before Monday 15 February 2027, with no bank holiday between.
	for typ, agency := range map[checks.CheckType]string{checks.TypeDomesticAbuse: "E23000001", checks.TypeChildSafeguarding: "E09000001"} {
		c := checkOf(t, r, typ)
		if c.Status != checks.StatusRequired || c.Agency != agency || c.RequestBy.String() != "2027-01-04" {
			t.Errorf("%s check: status %s agency %s request by %s; want required, %s, 2027-01-04", typ, c.Status, c.Agency, c.RequestBy, agency)
		}
		if c.CRN != "X123456" || c.FullName != "John Smith" || c.ReleaseDate.String() != "2027-02-15" || c.Team != "N07-T1" {
			t.Errorf("%s check lacks the release fields it needs: %+v", typ, c)
		}
		if len(c.History) != 1 || c.History[0].Action != checks.ActionCreate || c.History[0].ActorID != f.com.ID {
			t.Errorf("%s check history = %+v, want one create entry by the COM", typ, c.History)
		}
	}
	// What was returned is what is stored.
	got, err := f.svc.Release(context.Background(), f.com, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Checks) != 2 || got.Checks[0].ID != r.Checks[0].ID || got.Checks[1].RequestBy != r.Checks[1].RequestBy {
		t.Errorf("stored release differs from the one returned: %+v", got.Checks)
	}
}

func TestEveryReleaseFieldIsValidatedAndNothingIsWrittenOnError(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*checks.ReleaseInput)
		field string
	}{
		{"a CRN without its letter is refused", func(in *checks.ReleaseInput) { in.CRN = "1234567" }, "crn"},
		{"a CRN with five digits is refused", func(in *checks.ReleaseInput) { in.CRN = "X12345" }, "crn"},
		{"a NOMS number in the wrong shape is refused", func(in *checks.ReleaseInput) { in.NOMSNumber = "AB1234C" }, "noms_number"},
		{"a missing name is refused", func(in *checks.ReleaseInput) { in.FullName = "   " }, "full_name"},
		{"a name longer than 200 characters is refused", func(in *checks.ReleaseInput) { in.FullName = strings.Repeat("a", 201) }, "full_name"},
		{"a name with control characters is refused", func(in *checks.ReleaseInput) { in.FullName = "John\x00Smith" }, "full_name"},
		{"an impossible date of birth is refused", func(in *checks.ReleaseInput) { in.DateOfBirth = "1985-02-30" }, "date_of_birth"},
		{"a date of birth in the future is refused", func(in *checks.ReleaseInput) { in.DateOfBirth = "2030-01-01" }, "date_of_birth"},
		{"a date of birth five years ago is implausible", func(in *checks.ReleaseInput) { in.DateOfBirth = "2021-06-01" }, "date_of_birth"},
		{"a date of birth in 1850 is implausible", func(in *checks.ReleaseInput) { in.DateOfBirth = "1850-06-01" }, "date_of_birth"},
		{"a release date before today is refused", func(in *checks.ReleaseInput) { in.ReleaseDate = "2026-11-23" }, "release_date"},
		{"a release date in another format is refused", func(in *checks.ReleaseInput) { in.ReleaseDate = "15/02/2027" }, "release_date"},
		{"a release date decades ahead is refused", func(in *checks.ReleaseInput) { in.ReleaseDate = "2099-01-01" }, "release_date"},
		{"a prison code that is not three letters is refused", func(in *checks.ReleaseInput) { in.PrisonCode = "LEIC" }, "prison_code"},
		{"an unknown police force is refused", func(in *checks.ReleaseInput) { in.PoliceForce = "E23999999" }, "police_force"},
		{"a local authority given as the police force is refused", func(in *checks.ReleaseInput) { in.PoliceForce = "E09000001" }, "police_force"},
		{"a police force given as the local authority is refused", func(in *checks.ReleaseInput) { in.LocalAuthority = "E23000001" }, "local_authority"},
		{"a missing local authority is refused", func(in *checks.ReleaseInput) { in.LocalAuthority = "" }, "local_authority"},
		{"a COM cannot record a release for another team", func(in *checks.ReleaseInput) { in.Team = "N08-T2" }, "team"},
		{"a malformed team code is refused", func(in *checks.ReleaseInput) { in.Team = "N07 T1!" }, "team"},
		{"an unknown COM id is refused", func(in *checks.ReleaseInput) { in.COMID = "aaaaaaaaaaaaaaaaaaaaaaaa" }, "com_id"},
		{"a malformed COM id is refused", func(in *checks.ReleaseInput) { in.COMID = "colm" }, "com_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in := validRelease()
			tt.edit(&in)
			_, err := f.svc.CreateRelease(context.Background(), f.com, in)
			e := wantCode(t, err, checks.EINVALID)
			if len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Errorf("fields = %+v, want exactly one about %s", e.Fields, tt.field)
			}
			f.assertNothingStored(t)
		})
	}
}

func (f *fixture) assertNothingStored(t *testing.T) {
	t.Helper()
	for _, coll := range []string{"releases", "checks"} {
		n, err := f.store.Database().Collection(coll).CountDocuments(context.Background(), map[string]any{})
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s holds %d documents after a refused request, want 0", coll, n)
		}
	}
}

func TestAllFieldProblemsAreReportedAtOnce(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.CreateRelease(context.Background(), f.com, checks.ReleaseInput{CRN: "bad"})
	e := wantCode(t, err, checks.EINVALID)
	got := map[string]bool{}
	for _, fe := range e.Fields {
		got[fe.Field] = true
	}
	for _, field := range []string{"crn", "noms_number", "full_name", "date_of_birth", "release_date", "prison_code", "police_force", "local_authority"} {
		if !got[field] {
			t.Errorf("no problem reported for %s; got %+v", field, e.Fields)
		}
	}
}

func TestWhoMayRecordAReleaseForWhichTeam(t *testing.T) {
	tests := []struct {
		name    string
		actor   func(*fixture) checks.User
		edit    func(*fixture, *checks.ReleaseInput)
		code    string
		team    string
		comFrom func(*fixture) string
	}{
		{"a COM records for its own team by default", func(f *fixture) checks.User { return f.com }, func(*fixture, *checks.ReleaseInput) {}, "", "N07-T1", func(f *fixture) string { return f.com.ID }},
		{"a COM may assign a colleague of its team", func(f *fixture) checks.User { return f.com }, func(f *fixture, in *checks.ReleaseInput) { in.COMID = f.com2.ID }, "", "N07-T1", func(f *fixture) string { return f.com2.ID }},
		{"a COM may not assign a COM of another team", func(f *fixture) checks.User { return f.com }, func(f *fixture, in *checks.ReleaseInput) { in.COMID = f.otherCOM.ID }, checks.EINVALID, "", nil},
		{"a manager records for one of its teams with a COM", func(f *fixture) checks.User { return f.manager }, func(f *fixture, in *checks.ReleaseInput) { in.Team, in.COMID = "N07-T1", f.com.ID }, "", "N07-T1", func(f *fixture) string { return f.com.ID }},
		{"a manager must name the COM", func(f *fixture) checks.User { return f.manager }, func(f *fixture, in *checks.ReleaseInput) { in.Team = "N07-T1" }, checks.EINVALID, "", nil},
		{"a manager may not record for a team it does not manage", func(f *fixture) checks.User { return f.manager }, func(f *fixture, in *checks.ReleaseInput) { in.Team, in.COMID = "N08-T2", f.otherCOM.ID }, checks.EINVALID, "", nil},
		{"an admin records for any team", func(f *fixture) checks.User { return f.admin }, func(f *fixture, in *checks.ReleaseInput) { in.Team, in.COMID = "N08-T2", f.otherCOM.ID }, "", "N08-T2", func(f *fixture) string { return f.otherCOM.ID }},
		{"a manager is not a COM", func(f *fixture) checks.User { return f.admin }, func(f *fixture, in *checks.ReleaseInput) { in.Team, in.COMID = "N07-T1", f.manager.ID }, checks.EINVALID, "", nil},
		{"a liaison may not record releases", func(f *fixture) checks.User { return f.police }, func(*fixture, *checks.ReleaseInput) {}, checks.EFORBIDDEN, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in := validRelease()
			tt.edit(f, &in)
			r, err := f.svc.CreateRelease(context.Background(), tt.actor(f), in)
			if tt.code != "" {
				wantCode(t, err, tt.code)
				f.assertNothingStored(t)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Team != tt.team || r.COMID != tt.comFrom(f) {
				t.Errorf("team %s com %s, want %s %s", r.Team, r.COMID, tt.team, tt.comFrom(f))
			}
		})
	}
}

func TestTheSameReleaseCannotBeRecordedTwice(t *testing.T) {
	f := newFixture(t)
	first := f.release(t)
	_, err := f.svc.CreateRelease(context.Background(), f.com2, validRelease())
	// One answer for every caller, naming nothing of the release held, even to its own team.
	e := wantCode(t, err, checks.ECONFLICT)
	if e != checks.ErrDuplicateRelease || strings.Contains(e.Message, first.ID) {
		t.Errorf("conflict %v, want ErrDuplicateRelease, which does not name the release held %s", e, first.ID)
	}
	// Once the first is cancelled, the person's release on that date can be recorded again.
	if _, err := f.svc.CancelRelease(context.Background(), f.com, first.ID, nil, "wrong date"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateRelease(context.Background(), f.com, validRelease()); err != nil {
		t.Errorf("recording again after cancelling: %v", err)
	}
}

func TestANewReleaseDateMovesTheDatesOfEveryOpenCheck(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	da := checkOf(t, r, checks.TypeDomesticAbuse)
	// Requested on Tuesday 24 November 2026 at 09:00: due 10 working days later.
	da, err := f.svc.RequestCheck(ctx, f.com, da.ID, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if da.DueDate.String() != "2026-12-08" {
		t.Fatalf("due date = %s, want 2026-12-08", da.DueDate)
	}
	// Release brought forward to Monday 14 December 2026: the release is now within 28 days
	// of the request, so the answer is due in 5 working days (1 December); the request-by
	// date, 30 working days before 14 December, would be Monday 2 November, already past, so
	// it is the day of the change, Tuesday 24 November.
	newDate := "2026-12-14"
	r, err = f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{ReleaseDate: &newDate})
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 2 || r.ReleaseDate.String() != newDate {
		t.Errorf("release version %d date %s, want 2 and %s", r.Version, r.ReleaseDate, newDate)
	}
	da, cs := checkOf(t, r, checks.TypeDomesticAbuse), checkOf(t, r, checks.TypeChildSafeguarding)
	if da.DueDate.String() != "2026-12-01" || da.Urgent || da.RequestBy.String() != "2026-11-24" || da.ReleaseDate.String() != newDate {
		t.Errorf("DA check: due %s urgent %v request by %s release %s; want 2026-12-01, not urgent, 2026-11-24, %s", da.DueDate, da.Urgent, da.RequestBy, da.ReleaseDate, newDate)
	}
	if cs.RequestBy.String() != "2026-11-24" || !cs.DueDate.IsZero() {
		t.Errorf("CS check: request by %s due %s; want 2026-11-24 and none", cs.RequestBy, cs.DueDate)
	}
	last := da.History[len(da.History)-1]
	if last.Action != checks.ActionReleaseChanged || !strings.Contains(last.Note, "release date 2027-02-15 → 2026-12-14") ||
		!strings.Contains(last.Note, "due date changed from 2026-12-08 to 2026-12-01") {
		t.Errorf("last history entry = %+v, want the release date and due date changes", last)
	}
}

func TestAClosedCheckKeepsItsDatesWhenTheReleaseDateChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	cs := checkOf(t, r, checks.TypeChildSafeguarding)
	if _, err := f.svc.MarkNotRequired(ctx, f.com, cs.ID, nil, "no children at the address or in contact"); err != nil {
		t.Fatal(err)
	}
	newDate := "2027-03-01"
	r, err := f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{ReleaseDate: &newDate})
	if err != nil {
		t.Fatal(err)
	}
	cs = checkOf(t, r, checks.TypeChildSafeguarding)
	if cs.Status != checks.StatusNotRequired || cs.RequestBy.String() != "2027-01-04" || cs.ReleaseDate.String() != newDate {
		t.Errorf("not-required check: status %s request by %s release %s; want not_required, 2027-01-04 kept, %s", cs.Status, cs.RequestBy, cs.ReleaseDate, newDate)
	}
}

func TestANewAddressAgencySupersedesTheCheckWithANewOne(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	old := checkOf(t, r, checks.TypeDomesticAbuse)
	if _, err := f.svc.RequestCheck(ctx, f.com, old.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	cumbria := "E23000002"
	r, err := f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{PoliceForce: &cumbria})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Checks) != 3 {
		t.Fatalf("release has %d checks, want 3 (old DA, new DA, CS)", len(r.Checks))
	}
	current := checkOf(t, r, checks.TypeDomesticAbuse)
	if current.ID == old.ID || current.Agency != cumbria || current.Status != checks.StatusRequired {
		t.Errorf("current DA check = %s at %s, %s; want a new required check at %s", current.ID, current.Agency, current.Status, cumbria)
	}
	old, err = f.svc.Check(ctx, f.com, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if old.Status != checks.StatusWithdrawn || old.SupersededBy != current.ID || old.Agency != "E23000001" {
		t.Errorf("old DA check = %s superseded by %q at %s; want withdrawn, superseded by %s, still at E23000001", old.Status, old.SupersededBy, old.Agency, current.ID)
	}
	// The Met liaison sees its request withdrawn; Cumbria sees nothing until it is asked.
	if c, err := f.svc.Check(ctx, f.police, old.ID); err != nil || c.Status != checks.StatusWithdrawn {
		t.Errorf("Met liaison sees the old check as %v, %v; want withdrawn", c.Status, err)
	}
	if _, err := f.svc.Check(ctx, f.otherPolice, current.ID); checks.ErrorCode(err) != checks.ENOTFOUND {
		t.Errorf("Cumbria liaison before any request: %v, want not found", err)
	}
	if cs := checkOf(t, r, checks.TypeChildSafeguarding); cs.Status != checks.StatusRequired || cs.Agency != "E09000001" {
		t.Errorf("child safeguarding check changed: %+v", cs)
	}
}

func TestCancellingAReleaseWithdrawsItsOpenChecksOnly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	da, cs := checkOf(t, r, checks.TypeDomesticAbuse), checkOf(t, r, checks.TypeChildSafeguarding)
	f.walk(t, da, checks.ActionRequest, checks.ActionRespond, checks.ActionComplete)
	if _, err := f.svc.RequestCheck(ctx, f.com, cs.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.CancelRelease(ctx, f.com, r.ID, nil, "parole refused")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != checks.ReleaseCancelled || r.CancelReason != "parole refused" {
		t.Errorf("release = %s %q, want cancelled with the reason", r.Status, r.CancelReason)
	}
	if c := checkOf(t, r, checks.TypeDomesticAbuse); c.Status != checks.StatusCompleted {
		t.Errorf("completed check became %s, want completed", c.Status)
	}
	c := checkOf(t, r, checks.TypeChildSafeguarding)
	if c.Status != checks.StatusWithdrawn || c.WithdrawnReason != "release cancelled: parole refused" {
		t.Errorf("requested check = %s %q, want withdrawn with the reason", c.Status, c.WithdrawnReason)
	}
	// A cancelled release cannot change again.
	_, err = f.svc.CancelRelease(ctx, f.com, r.ID, nil, "")
	wantCode(t, err, checks.ECONFLICT)
	date := "2027-03-01"
	_, err = f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{ReleaseDate: &date})
	wantCode(t, err, checks.ECONFLICT)
}

func TestPatchingAReleaseChecksWhatChanges(t *testing.T) {
	s := func(v string) *string { return &v }
	tests := []struct {
		name  string
		actor func(*fixture) checks.User
		patch func(*fixture) checks.ReleasePatch
		code  string
		field string
	}{
		{"an empty patch is refused", func(f *fixture) checks.User { return f.com }, func(*fixture) checks.ReleasePatch { return checks.ReleasePatch{} }, checks.EINVALID, ""},
		{"a past release date is refused", func(f *fixture) checks.User { return f.com }, func(*fixture) checks.ReleasePatch { return checks.ReleasePatch{ReleaseDate: s("2026-01-01")} }, checks.EINVALID, "release_date"},
		{"a COM cannot move the case to another team", func(f *fixture) checks.User { return f.com }, func(f *fixture) checks.ReleasePatch {
			return checks.ReleasePatch{Team: s("N08-T2"), COMID: s(f.otherCOM.ID)}
		}, checks.EINVALID, "team"},
		{"an admin moving the case to another team must bring a COM of that team", func(f *fixture) checks.User { return f.admin }, func(*fixture) checks.ReleasePatch { return checks.ReleasePatch{Team: s("N08-T2")} }, checks.EINVALID, "com_id"},
		{"an admin moves the case to another team with its COM", func(f *fixture) checks.User { return f.admin }, func(f *fixture) checks.ReleasePatch {
			return checks.ReleasePatch{Team: s("N08-T2"), COMID: s(f.otherCOM.ID)}
		}, "", ""},
		{"a COM hands the case to a colleague", func(f *fixture) checks.User { return f.com }, func(f *fixture) checks.ReleasePatch { return checks.ReleasePatch{COMID: s(f.com2.ID)} }, "", ""},
		{"a police force code for the local authority is refused", func(f *fixture) checks.User { return f.com }, func(*fixture) checks.ReleasePatch { return checks.ReleasePatch{LocalAuthority: s("E23000002")} }, checks.EINVALID, "local_authority"},
		{"a COM of another team does not see the release", func(f *fixture) checks.User { return f.otherCOM }, func(*fixture) checks.ReleasePatch { return checks.ReleasePatch{PrisonCode: s("BMI")} }, checks.ENOTFOUND, ""},
		{"a liaison does not see the release", func(f *fixture) checks.User { return f.police }, func(*fixture) checks.ReleasePatch { return checks.ReleasePatch{PrisonCode: s("BMI")} }, checks.ENOTFOUND, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.release(t)
			got, err := f.svc.UpdateRelease(context.Background(), tt.actor(f), r.ID, nil, tt.patch(f))
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.Version != 2 {
					t.Errorf("version %d, want 2", got.Version)
				}
				for _, c := range got.Checks {
					if c.Team != got.Team || c.COMID != got.COMID {
						t.Errorf("check %s has team %s com %s, want the release's %s %s", c.ID, c.Team, c.COMID, got.Team, got.COMID)
					}
				}
				return
			}
			e := wantCode(t, err, tt.code)
			if tt.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tt.field) {
				t.Errorf("fields %+v, want one about %s", e.Fields, tt.field)
			}
			again, err := f.svc.Release(context.Background(), f.admin, r.ID)
			if err != nil || again.Version != 1 {
				t.Errorf("after a refused patch the release is at version %d (%v), want 1", again.Version, err)
			}
		})
	}
}

func TestAStaleIfMatchOnAReleaseIsAPreconditionFailure(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	stale := r.Version
	code := "BMI"
	if _, err := f.svc.UpdateRelease(context.Background(), f.com, r.ID, &stale, checks.ReleasePatch{PrisonCode: &code}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.UpdateRelease(context.Background(), f.com, r.ID, &stale, checks.ReleasePatch{PrisonCode: &code})
	wantCode(t, err, checks.EPRECONDITION)
}

func TestASyncCutShortByACrashIsRepaired(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// A release written, then the process died before its checks were: what CreateRelease
	// leaves behind when killed between its two writes.
	now := f.clock.Now().UTC().Truncate(time.Millisecond)
	r := checks.Release{ID: bson.NewObjectID().Hex(), CRN: "Y654321", NOMSNumber: "B2345CD", FullName: "Jane Doe",
		DateOfBirth: checks.MustDate("1990-01-01"), ReleaseDate: checks.MustDate("2027-02-15"), PrisonCode: "BMI",
		Team: "N07-T1", COMID: f.com.ID, PoliceForce: "E23000001", LocalAuthority: "E09000001",
		Status: checks.ReleaseActive, Version: 1, CreatedAt: now, UpdatedAt: now}
	for _, typ := range checks.CheckTypes() {
		r.Slots = append(r.Slots, checks.Slot{CheckID: bson.NewObjectID().Hex(), Type: typ, Agency: r.Agency(typ)})
	}
	if err := f.store.InsertRelease(ctx, r); err != nil {
		t.Fatal(err)
	}
	page, err := f.svc.Checks(ctx, f.com, checks.CheckFilter{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("before repair: %d checks (%v), want 0", len(page.Items), err)
	}
	n, err := f.svc.RepairPending(ctx)
	if err != nil || n != 1 {
		t.Fatalf("RepairPending = %d, %v; want 1 release repaired", n, err)
	}
	page, err = f.svc.Checks(ctx, f.com, checks.CheckFilter{})
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("after repair: %d checks (%v), want 2", len(page.Items), err)
	}
	for _, c := range page.Items {
		if c.Status != checks.StatusRequired || c.RequestBy.String() != "2027-01-04" || c.CRN != "Y654321" {
			t.Errorf("repaired check = %+v", c)
		}
	}
	// Repair is idempotent: nothing is pending any more and nothing changes.
	if n, err := f.svc.RepairPending(ctx); err != nil || n != 0 {
		t.Errorf("second RepairPending = %d, %v; want 0", n, err)
	}
	again, err := f.svc.Release(ctx, f.com, r.ID)
	if err != nil || len(again.Checks) != 2 || again.Checks[0].Version != 1 {
		t.Errorf("after repair the release reads %d checks at version %d (%v), want 2 at version 1", len(again.Checks), again.Checks[0].Version, err)
	}
}

func TestReadingAReleaseRepairsItsChecks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	// A patch written to the release whose sync never ran: the checks still have the old
	// date.
	r.ReleaseDate = checks.MustDate("2027-03-01")
	r.Checks = nil
	if _, err := f.store.UpdateRelease(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Release(ctx, f.com, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got.Checks {
		if c.ReleaseDate.String() != "2027-03-01" || c.RequestBy.String() != "2027-01-18" {
			t.Errorf("check %s: release %s request by %s, want 2027-03-01 and 2027-01-18", c.Type, c.ReleaseDate, c.RequestBy)
		}
	}
}
