package checks_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

func (f *fixture) auditOf(t *testing.T, q checks.AuditFilter) []checks.AuditEntry {
	t.Helper()
	var out []checks.AuditEntry
	q.Limit = 200
	for {
		page, err := f.svc.Audit(context.Background(), f.admin, q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

func actions(entries []checks.AuditEntry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

func change(e checks.AuditEntry, field string) (checks.Change, bool) {
	for _, c := range e.Changes {
		if c.Field == field {
			return c, true
		}
	}
	return checks.Change{}, false
}

func TestEveryWriteIsAuditedWithWhoWhenAndWhatChanged(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	da := f.walk(t, checkOf(t, r, checks.TypeDomesticAbuse), checks.ActionRequest, checks.ActionRespond)
	date := "2027-03-01"
	if _, err := f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{ReleaseDate: &date}); err != nil {
		t.Fatal(err)
	}

	entries := f.auditOf(t, checks.AuditFilter{Resource: checks.ResourceRelease})
	if got := actions(entries); !slices.Equal(got, []string{"release.create", "release.update"}) {
		t.Fatalf("release entries = %v", got)
	}
	upd := entries[1]
	if c, ok := change(upd, "release_date"); !ok || c.Before != "2027-02-15" || c.After != "2027-03-01" ||
		upd.ActorID != f.com.ID || upd.Role != checks.RoleCOM || !upd.At.Equal(f.clock.Now()) || upd.ReleaseID != r.ID {
		t.Errorf("release.update = %+v", upd)
	}

	entries = f.auditOf(t, checks.AuditFilter{ResourceID: da.ID})
	got := actions(entries)
	// The patch's answer shows the release with the DA check's summary: a read, audited.
	want := []string{"check.create", "check.request", "check.respond", "check.release_changed", "check.read_summary"}
	if !slices.Equal(got, want) {
		t.Fatalf("the DA check's entries = %v, want %v", got, want)
	}
	respond := entries[2]
	if c, ok := change(respond, "status"); !ok || c.Before != "requested" || c.After != "responded" || respond.ActorID != f.police.ID {
		t.Errorf("check.respond = %+v", respond)
	}
	// The summary itself never enters the audit.
	for _, e := range entries {
		for _, c := range e.Changes {
			if strings.Contains(c.After, "call-outs") || strings.Contains(c.Before, "call-outs") {
				t.Errorf("%s copies the response summary: %+v", e.Action, c)
			}
		}
	}
	if c, ok := change(respond, "response.summary"); !ok || !strings.HasPrefix(c.After, "(") {
		t.Errorf("the summary's change should describe it, not copy it: %+v", c)
	}
}

func TestUsersTokensAndAgenciesAreAudited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, secret, err := f.svc.CreateUser(ctx, f.admin, checks.UserInput{Name: "New", Email: "new@example.org", Role: "com", Team: "N07-T1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RevokeToken(ctx, f.admin, checks.HashToken(secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetUserActive(ctx, f.admin, u.ID, false); err != nil {
		t.Fatal(err)
	}
	contact := "referrals@met.example.org"
	if _, err := f.svc.UpdateAgency(ctx, f.admin, "E23000001", nil, checks.AgencyPatch{ContactEmail: &contact}); err != nil {
		t.Fatal(err)
	}
	entries := f.auditOf(t, checks.AuditFilter{Actor: f.admin.ID})
	got := actions(entries)
	want := []string{"user.create", "token.issue", "token.revoke", "user.deactivate", "agency.update"}
	if !slices.Equal(got, want) {
		t.Fatalf("the admin's entries = %v, want %v", got, want)
	}
	if c, ok := change(entries[4], "contact_email"); !ok || c.Before != "" || c.After != contact {
		t.Errorf("agency.update = %+v", entries[4])
	}
	if c, ok := change(entries[3], "active"); !ok || c.Before != "true" || c.After != "false" {
		t.Errorf("user.deactivate = %+v", entries[3])
	}
}

func TestReadingAResponseSummaryIsAudited(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	da := f.walk(t, checkOf(t, r, checks.TypeDomesticAbuse), checks.ActionRequest, checks.ActionRespond)
	before := len(f.auditOf(t, checks.AuditFilter{ResourceID: da.ID}))
	if _, err := f.svc.Check(ctx, f.com, da.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Checks(ctx, f.manager, checks.CheckFilter{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Release(ctx, f.admin, r.ID); err != nil {
		t.Fatal(err)
	}
	// The other check has no answer: reading it is not a summary read.
	if _, err := f.svc.Check(ctx, f.com, checkOf(t, r, checks.TypeChildSafeguarding).ID); err != nil {
		t.Fatal(err)
	}
	entries := f.auditOf(t, checks.AuditFilter{ResourceID: da.ID})[before:]
	var readers []string
	for _, e := range entries {
		if e.Action != "check.read_summary" {
			t.Errorf("unexpected entry %s", e.Action)
		}
		readers = append(readers, e.ActorName)
	}
	if !slices.Equal(readers, []string{f.com.Name, f.manager.Name, f.admin.Name}) {
		t.Errorf("summary reads by %v, want the COM, the manager and the admin", readers)
	}
}

func TestOnlyAdminsReadTheAuditAndItsFiltersAreChecked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, u := range []checks.User{f.com, f.manager, f.police} {
		_, err := f.svc.Audit(ctx, u, checks.AuditFilter{})
		wantCode(t, err, checks.EFORBIDDEN)
	}
	for _, in := range []checks.AuditFilter{{Actor: "bob"}, {Resource: "car"}, {From: "yesterday"}, {Limit: 1000}} {
		_, err := f.svc.Audit(ctx, f.admin, in)
		if checks.ErrorCode(err) != checks.EINVALID && checks.ErrorCode(err) != checks.EMALFORMED {
			t.Errorf("filter %+v: %v, want a field error", in, err)
		}
	}
	f.release(t)
	if got := f.auditOf(t, checks.AuditFilter{From: "2026-11-24", To: "2026-11-24"}); len(got) < 3 {
		t.Errorf("entries of 24 November: %d, want the release and its two checks at least", len(got))
	}
	if got := f.auditOf(t, checks.AuditFilter{From: "2026-11-25"}); len(got) != 0 {
		t.Errorf("entries from 25 November: %d, want 0", len(got))
	}
}

func TestASubjectAccessExportHoldsEverythingAboutThePerson(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	f.walk(t, checkOf(t, r, checks.TypeDomesticAbuse), checks.ActionRequest, checks.ActionRespond)
	cumbria := "E23000002"
	if _, err := f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{PoliceForce: &cumbria}); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.ExportRelease(ctx, f.com, r.ID)
	wantCode(t, err, checks.EFORBIDDEN)
	x, err := f.svc.ExportRelease(ctx, f.admin, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if x.Release.FullName != "John Smith" || len(x.Release.Checks) != 3 {
		t.Fatalf("export release = %s with %d checks, want John Smith with 3 (the superseded one too)", x.Release.FullName, len(x.Release.Checks))
	}
	var answered bool
	for _, c := range x.Release.Checks {
		if c.Response != nil && c.Response.Summary != "" && len(c.History) >= 3 {
			answered = true
		}
	}
	if !answered {
		t.Error("the export lacks the answered check with its summary and history")
	}
	got := actions(x.Audit)
	// The answered check is superseded by the move, not withdrawn: its answer stays.
	for _, want := range []string{"release.create", "check.create", "check.request", "check.respond", "release.update", "check.release_changed", "release.export"} {
		if !slices.Contains(got, want) {
			t.Errorf("the export's audit lacks %s: %v", want, got)
		}
	}
	for _, e := range x.Audit {
		if e.ReleaseID != r.ID {
			t.Errorf("the export holds an entry about another release: %+v", e)
		}
	}
}
