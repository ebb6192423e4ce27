package checks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

func TestAWithdrawnCheckLooksToItsOldAgencyAsItWasWhenWithdrawn(t *testing.T) {
	cumbria, later := "E23000002", "2027-03-01"
	tests := []struct {
		name    string
		because checks.WithdrawnBecause
		// withdraw takes the requested DA check away from the Met.
		withdraw func(f *fixture, r checks.Release, da checks.Check) error
		// thenChange changes the release afterwards (a cancelled release cannot change).
		thenChange bool
	}{
		{"the release is cancelled", checks.WithdrawnReleaseCancelled, func(f *fixture, r checks.Release, _ checks.Check) error {
			_, err := f.svc.CancelRelease(context.Background(), f.com, r.ID, nil, "parole refused")
			return err
		}, false},
		{"the address moves to another force", checks.WithdrawnAddressMoved, func(f *fixture, r checks.Release, _ checks.Check) error {
			_, err := f.svc.UpdateRelease(context.Background(), f.com, r.ID, nil, checks.ReleasePatch{PoliceForce: &cumbria})
			return err
		}, true},
		{"the COM stands the request down", checks.WithdrawnStoodDown, func(f *fixture, _ checks.Release, da checks.Check) error {
			_, err := f.svc.StandDown(context.Background(), f.com, da.ID, nil, "Victim moved abroad; no contact possible.")
			return err
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			r := f.release(t)
			da := f.walk(t, checkOf(t, r, checks.TypeDomesticAbuse), checks.ActionRequest)
			if err := tt.withdraw(f, r, da); err != nil {
				t.Fatal(err)
			}
			atWithdrawal, err := f.svc.Check(ctx, f.police, da.ID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.thenChange {
				// A new date and a new COM: none of it is the Met's business any more.
				com2 := f.com2.ID
				if _, err := f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{ReleaseDate: &later, COMID: &com2}); err != nil {
					t.Fatal(err)
				}
			}

			probation, err := f.svc.Check(ctx, f.com, da.ID)
			if err != nil {
				t.Fatal(err)
			}
			if probation.Status != checks.StatusWithdrawn || probation.WithdrawnBecause != tt.because || probation.WithdrawnReason == "" || probation.WithdrawnAt.IsZero() {
				t.Errorf("probation sees %s because %q (%q) at %s; want withdrawn because %s, with the reason and time", probation.Status, probation.WithdrawnBecause, probation.WithdrawnReason, probation.WithdrawnAt, tt.because)
			}
			if tt.thenChange && (probation.ReleaseDate.String() != later || probation.COMID != f.com2.ID) {
				t.Errorf("probation sees release %s, COM %s; want the new %s and COM", probation.ReleaseDate, probation.COMID, later)
			}

			liaison, err := f.svc.Check(ctx, f.police, da.ID)
			if err != nil {
				t.Fatal(err)
			}
			if liaison.Status != checks.StatusWithdrawn || liaison.ReleaseDate.String() != "2027-02-15" || liaison.CRN != r.CRN || liaison.FullName != r.FullName {
				t.Errorf("the Met sees %s, release %s, %s %s; want withdrawn with the release as it was (2027-02-15)", liaison.Status, liaison.ReleaseDate, liaison.CRN, liaison.FullName)
			}
			if liaison.WithdrawnReason != "" || liaison.WithdrawnBecause != "" || liaison.SupersededBy != "" || liaison.COMID != "" || liaison.Team != "" {
				t.Errorf("the Met sees reason %q, because %q, superseded by %q, COM %q, team %q; want none", liaison.WithdrawnReason, liaison.WithdrawnBecause, liaison.SupersededBy, liaison.COMID, liaison.Team)
			}
			if len(liaison.History) != len(atWithdrawal.History) {
				t.Errorf("the Met sees %d history entries, want the %d it saw at withdrawal", len(liaison.History), len(atWithdrawal.History))
			}
			last := liaison.History[len(liaison.History)-1]
			if last.To != checks.StatusWithdrawn || last.Note != "" {
				t.Errorf("the Met's last history entry = %s to %s, note %q; want the withdrawal, without its reason", last.Action, last.To, last.Note)
			}
			for _, h := range liaison.History {
				if strings.Contains(h.Note, cumbria) || strings.Contains(h.Note, "parole") || strings.Contains(h.Note, "abroad") {
					t.Errorf("the Met's history says %q", h.Note)
				}
			}
		})
	}
}

func TestAnAddressMoveWithdrawsOnlyTheChecksNotYetAnswered(t *testing.T) {
	tests := []struct {
		name    string
		actions []checks.Action
		want    checks.Status
	}{
		{"a check not yet requested is withdrawn", nil, checks.StatusWithdrawn},
		{"a requested check is withdrawn", []checks.Action{checks.ActionRequest}, checks.StatusWithdrawn},
		{"an answered check stays answered", []checks.Action{checks.ActionRequest, checks.ActionRespond}, checks.StatusResponded},
		{"a completed check stays completed", []checks.Action{checks.ActionRequest, checks.ActionRespond, checks.ActionComplete}, checks.StatusCompleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			r := f.release(t)
			old := f.walk(t, checkOf(t, r, checks.TypeDomesticAbuse), tt.actions...)
			cumbria := "E23000002"
			r, err := f.svc.UpdateRelease(ctx, f.com, r.ID, nil, checks.ReleasePatch{PoliceForce: &cumbria})
			if err != nil {
				t.Fatal(err)
			}
			current := checkOf(t, r, checks.TypeDomesticAbuse)
			if current.ID == old.ID || current.Agency != cumbria || current.Status != checks.StatusRequired {
				t.Errorf("the new DA check = %s at %s, %s; want a new required check at %s", current.ID, current.Agency, current.Status, cumbria)
			}
			old, err = f.svc.Check(ctx, f.com, old.ID)
			if err != nil {
				t.Fatal(err)
			}
			if old.Status != tt.want || old.SupersededBy != current.ID {
				t.Errorf("the old check = %s superseded by %q; want %s superseded by %s", old.Status, old.SupersededBy, tt.want, current.ID)
			}
			if tt.want == checks.StatusResponded {
				// The answer is about the person: the COM can still act on it.
				done, err := f.svc.CompleteCheck(ctx, f.com, old.ID, nil, "Noted for the new address too.")
				if err != nil || done.Status != checks.StatusCompleted {
					t.Errorf("completing the answered, superseded check: %s, %v", done.Status, err)
				}
				seen, err := f.svc.Check(ctx, f.police, old.ID)
				if err != nil {
					t.Fatal(err)
				}
				// It sees its answer and where the check stands, but not where the person went,
				// nor the history after the move.
				if seen.SupersededBy != "" || seen.Response == nil || seen.Status != checks.StatusCompleted {
					t.Errorf("the Met sees its answered check as %s, superseded by %q, answer %v; want it completed, with its answer and no successor", seen.Status, seen.SupersededBy, seen.Response)
				}
				if last := seen.History[len(seen.History)-1]; last.Action != checks.ActionReleaseChanged || last.Note != "" {
					t.Errorf("the Met's history ends with %s %q; want the move, without its note", last.Action, last.Note)
				}
			}
		})
	}
}

func TestOnlyARequestedCheckCanBeStoodDownAndOnlyByProbation(t *testing.T) {
	const reason = "The victim has moved abroad."
	tests := []struct {
		name    string
		actions []checks.Action
		as      func(*fixture) checks.User
		reason  string
		want    string // error code, or "" for success
	}{
		{"the COM stands down a requested check", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.com }, reason, ""},
		{"a manager of the team may too", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.manager }, reason, ""},
		{"a reason is needed", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.com }, " ", checks.EINVALID},
		{"a check not yet requested is marked not required instead", nil, func(f *fixture) checks.User { return f.com }, reason, checks.ECONFLICT},
		{"an answered check cannot be stood down", []checks.Action{checks.ActionRequest, checks.ActionRespond}, func(f *fixture) checks.User { return f.com }, reason, checks.ECONFLICT},
		{"the agency's liaison cannot", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.police }, reason, checks.EFORBIDDEN},
		{"an admin cannot", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.admin }, reason, checks.EFORBIDDEN},
		{"another team's COM does not see it", []checks.Action{checks.ActionRequest}, func(f *fixture) checks.User { return f.otherCOM }, reason, checks.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.walk(t, checkOf(t, f.release(t), checks.TypeDomesticAbuse), tt.actions...)
			got, err := f.svc.StandDown(context.Background(), tt.as(f), c.ID, nil, tt.reason)
			if tt.want != "" {
				wantCode(t, err, tt.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != checks.StatusWithdrawn || got.WithdrawnBecause != checks.WithdrawnStoodDown || got.WithdrawnReason != reason {
				t.Errorf("stood down: %s because %q (%q)", got.Status, got.WithdrawnBecause, got.WithdrawnReason)
			}
			last := got.History[len(got.History)-1]
			if last.Action != checks.ActionStandDown || last.From != checks.StatusRequested || last.To != checks.StatusWithdrawn || last.Note != reason {
				t.Errorf("history entry = %+v", last)
			}
			entries := f.auditOf(t, checks.AuditFilter{Resource: checks.ResourceCheck, ResourceID: c.ID})
			var found bool
			for _, e := range entries {
				if e.Action != "check.stand_down" {
					continue
				}
				found = true
				for _, ch := range e.Changes {
					if strings.Contains(ch.Before+ch.After, "abroad") {
						t.Errorf("the audit copies the reason: %+v", ch)
					}
				}
				if ch, ok := change(e, "withdrawn_reason"); !ok || ch.After != "(28 characters)" {
					t.Errorf("audited withdrawn_reason = %+v, want its length", ch)
				}
			}
			if !found {
				t.Errorf("no check.stand_down audit entry in %v", actions(entries))
			}
		})
	}
}
