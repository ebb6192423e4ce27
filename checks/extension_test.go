package checks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

// The fixture's DA check, requested at 09:00 on Tuesday 24 November 2026, is due on Tuesday
// 8 December; the release on Monday 15 February 2027 has its hard stop on Thursday 11 February.

func TestALiaisonMayAskForMoreTimeOnlyWithinTheRules(t *testing.T) {
	tests := []struct {
		name    string
		actions []checks.Action
		as      func(*fixture) checks.User
		date    string
		note    string
		want    string // error code, or "" for success
	}{
		{"a working day after the due date and before the hard stop", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.police }, "2026-12-15", "Records team short of staff.", ""},
		{"the hard stop itself", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.police }, "2027-02-11", "Records team short of staff.", ""},
		{"not after the due date", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.police }, "2026-12-08", "Records team short of staff.", checks.EINVALID},
		{"after the hard stop", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.police }, "2027-02-12", "Records team short of staff.", checks.EINVALID},
		{"a Saturday", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.police }, "2026-12-12", "Records team short of staff.", checks.EINVALID},
		{"no date", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.police }, "", "Records team short of staff.", checks.EINVALID},
		{"no note", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.police }, "2026-12-15", "", checks.EINVALID},
		{"a check already answered", []checks.Action{checks.ActionRequest, checks.ActionRespond}, func(f *fixture) checks.User { return f.police }, "2026-12-15", "Late.", checks.ECONFLICT},
		{"the COM cannot ask", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.com }, "2026-12-15", "Late.", checks.EFORBIDDEN},
		{"another force does not see the check", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.otherPolice }, "2026-12-15", "Late.", checks.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.walk(t, checkOf(t, f.release(t), checks.TypeDomesticAbuse), tt.actions...)
			got, err := f.svc.AskForTime(context.Background(), tt.as(f), c.ID, nil, checks.ExtensionInput{ProposedDate: tt.date, Note: tt.note})
			if tt.want != "" {
				wantCode(t, err, tt.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := got.Extension
			if e == nil || e.ProposedDate.String() != tt.date || e.Note != tt.note || e.RequestedBy != f.police.ID || !e.RequestedAt.Equal(f.clock.Now()) || !e.Pending() {
				t.Fatalf("extension = %+v", e)
			}
			if got.DueDate.String() != "2026-12-08" || got.Status != checks.StatusRequested {
				t.Errorf("asking moved the check to %s due %s; want it requested, still due 2026-12-08", got.Status, got.DueDate)
			}
			if last := got.History[len(got.History)-1]; last.Action != checks.ActionAskForTime || !strings.Contains(last.Note, tt.date) {
				t.Errorf("history entry = %+v", last)
			}
		})
	}
}

func TestProbationAgreesOrRefusesMoreTime(t *testing.T) {
	tests := []struct {
		name     string
		decide   func(f *fixture, id string) (checks.Check, error)
		decision checks.Decision
		due      string
		note     string
	}{
		{"agreeing moves the due date", func(f *fixture, id string) (checks.Check, error) {
			return f.svc.AgreeTime(context.Background(), f.com, id, nil)
		}, checks.DecisionAgreed, "2026-12-15", "due date changed from 2026-12-08 to 2026-12-15 (more time agreed)"},
		{"refusing keeps it, with the reason for the agency", func(f *fixture, id string) (checks.Check, error) {
			return f.svc.RefuseTime(context.Background(), f.manager, id, nil, "The release plan is due that week.")
		}, checks.DecisionRefused, "2026-12-08", "more time until 2026-12-15 refused; the answer is still due 2026-12-08: The release plan is due that week."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			c := f.walk(t, checkOf(t, f.release(t), checks.TypeDomesticAbuse), checks.ActionRequest)
			_, err := f.svc.AgreeTime(ctx, f.com, c.ID, nil)
			wantCode(t, err, checks.ECONFLICT) // nothing asked yet
			if _, err := f.svc.AskForTime(ctx, f.police, c.ID, nil, checks.ExtensionInput{ProposedDate: "2026-12-15", Note: "Records team short of staff."}); err != nil {
				t.Fatal(err)
			}
			_, err = f.svc.AskForTime(ctx, f.police, c.ID, nil, checks.ExtensionInput{ProposedDate: "2026-12-16", Note: "Again."})
			wantCode(t, err, checks.ECONFLICT) // one request at a time
			_, err = f.svc.AgreeTime(ctx, f.police, c.ID, nil)
			wantCode(t, err, checks.EFORBIDDEN)

			got, err := tt.decide(f, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.DueDate.String() != tt.due || got.Urgent || got.Extension.Decision != tt.decision || !got.Extension.DecidedAt.Equal(f.clock.Now()) {
				t.Errorf("after the decision: due %s, urgent %v, extension %+v; want due %s, %s", got.DueDate, got.Urgent, got.Extension, tt.due, tt.decision)
			}
			if last := got.History[len(got.History)-1]; last.Note != tt.note {
				t.Errorf("history note = %q\nwant %q", last.Note, tt.note)
			}
			_, err = f.svc.RefuseTime(ctx, f.com, c.ID, nil, "")
			wantCode(t, err, checks.ECONFLICT) // decided already

			seen, err := f.svc.Check(ctx, f.police, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if seen.Extension.Decision != tt.decision || seen.Extension.DecidedBy != "" || seen.DueDate.String() != tt.due {
				t.Errorf("the Met sees %+v due %s; want the decision, not who in probation made it", seen.Extension, seen.DueDate)
			}
			if tt.decision == checks.DecisionRefused && seen.History[len(seen.History)-1].Note != tt.note {
				t.Errorf("the Met does not see why more time was refused: %q", seen.History[len(seen.History)-1].Note)
			}
		})
	}
}

func TestAnAgreedDateSurvivesAReleaseDateChangeUpToTheNewHardStop(t *testing.T) {
	tests := []struct {
		name, release, due string
	}{
		{"a later release keeps the agreed date", "2027-03-01", "2026-12-15"},
		{"an earlier release brings it to the new hard stop", "2026-12-14", "2026-12-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			r := f.release(t)
			c := f.walk(t, checkOf(t, r, checks.TypeDomesticAbuse), checks.ActionRequest)
			if _, err := f.svc.AskForTime(ctx, f.police, c.ID, nil, checks.ExtensionInput{ProposedDate: "2026-12-15", Note: "Short of staff."}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.AgreeTime(ctx, f.com, c.ID, nil); err != nil {
				t.Fatal(err)
			}
			r, err := f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{ReleaseDate: &tt.release})
			if err != nil {
				t.Fatal(err)
			}
			if got := checkOf(t, r, checks.TypeDomesticAbuse); got.DueDate.String() != tt.due {
				t.Errorf("due %s after the release moved to %s, want %s", got.DueDate, tt.release, tt.due)
			}
		})
	}
}

func TestARequestToAnAgencyWithoutAMailboxSaysItCouldNotBeEmailed(t *testing.T) {
	tests := []struct {
		name    string
		contact string
		want    string
	}{
		{"no contact mailbox in the directory", "", checks.NoContactMailbox},
		{"a contact mailbox", "referrals@met.example.org", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			if _, err := f.svc.UpdateAgency(ctx, f.admin, "E23000001", nil, checks.AgencyPatch{ContactEmail: &tt.contact}); err != nil {
				t.Fatal(err)
			}
			c, err := f.svc.RequestCheck(ctx, f.com, checkOf(t, f.release(t), checks.TypeDomesticAbuse).ID, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			d := c.Delivery()
			if c.Status != checks.StatusRequested || c.Undeliverable != tt.want || d == nil || d.Emailed {
				t.Fatalf("requested: %s, undeliverable %q, delivery %+v; want requested, %q", c.Status, c.Undeliverable, d, tt.want)
			}
			if tt.want != "" && d.Reason != tt.want || tt.want == "" && d.Reason != checks.Waiting {
				t.Errorf("delivery reason %q", d.Reason)
			}
			page, err := f.svc.Checks(ctx, f.admin, checks.CheckFilter{Undeliverable: "true"})
			if err != nil {
				t.Fatal(err)
			}
			if listed := len(page.Items) == 1 && page.Items[0].ID == c.ID; listed != (tt.want != "") {
				t.Errorf("the admins' list of checks not emailed holds %d checks; want this one listed: %v", len(page.Items), tt.want != "")
			}
			if seen, err := f.svc.Check(ctx, f.police, c.ID); err != nil || seen.Delivery() != nil {
				t.Errorf("the liaison sees delivery %+v (%v); want none", seen.Delivery(), err)
			}
		})
	}
}
