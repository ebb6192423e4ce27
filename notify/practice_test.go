package notify_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// The notices probation needs to act on what an agency did or could not be asked: each goes,
// within the notice sweep, once, to whoever must act.
func TestProbationIsToldWhatItMustActOnWithinTheNoticeSweep(t *testing.T) {
	tests := []struct {
		name string
		// act does what the agency (or the directory) did, after the request.
		act    func(t *testing.T, f *fixture, id string)
		before func(t *testing.T, f *fixture) // before the request
		rule   notify.Rule
		to     string
	}{
		{name: "an answer declined goes to the team's managers",
			act: func(t *testing.T, f *fixture, id string) {
				if _, err := f.svc.RespondToCheck(context.Background(), f.police, id, nil, checks.ResponseInput{Outcome: "declined", Summary: "We cannot share this."}); err != nil {
					t.Fatal(err)
				}
			},
			rule: notify.ResponseDeclined, to: managerEmail},
		{name: "a request for more time goes to the COM",
			act: func(t *testing.T, f *fixture, id string) {
				if _, err := f.svc.AskForTime(context.Background(), f.police, id, nil, checks.ExtensionInput{ProposedDate: "2027-02-10", Note: "Our records team is short."}); err != nil {
					t.Fatal(err)
				}
			},
			rule: notify.TimeAsked, to: comEmail},
		{name: "a request its agency has no mailbox for goes to the COM",
			before: func(t *testing.T, f *fixture) {
				none := ""
				if _, err := f.svc.UpdateAgency(context.Background(), checks.System("test"), "E23000001", nil, checks.AgencyPatch{ContactEmail: &none}); err != nil {
					t.Fatal(err)
				}
			},
			act:  func(*testing.T, *fixture, string) {},
			rule: notify.RequestNotEmailed, to: comEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			da := checkOf(t, f.release(t), checks.TypeDomesticAbuse)
			f.at(t, "2027-02-01 10:00")
			if tt.before != nil {
				tt.before(t, f)
			}
			if _, err := f.svc.RequestCheck(ctx, f.com, da.ID, nil, ""); err != nil {
				t.Fatal(err)
			}
			f.sweep(t)
			tt.act(t, f, da.ID)
			f.sweep(t)
			f.sweep(t) // a second sweep tells nothing again
			var got []string
			for _, m := range f.received() {
				if headline(m) == tt.rule {
					got = append(got, m.To...)
					assertNoPersonalData(t, m)
				}
			}
			if !slices.Equal(got, []string{tt.to}) {
				t.Errorf("%s went to %v, want once to %s", tt.rule, got, tt.to)
			}
			c, err := f.svc.Check(ctx, f.com, da.ID)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := c.Escalations[string(tt.rule)]; !ok {
				t.Errorf("the check does not record %s", tt.rule)
			}
		})
	}
}

// More time agreed moves the due date: the agency is told the new one, with the one it
// replaces, in the next notice sweep.
func TestMoreTimeAgreedIsToldToTheAgencyWithItsNewDueDate(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	da := checkOf(t, f.release(t), checks.TypeDomesticAbuse)
	// Requested on Monday 1 February for release on 15 February: due Monday 8 February.
	f.at(t, "2027-02-01 10:00")
	if _, err := f.svc.RequestCheck(ctx, f.com, da.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	f.sweep(t)
	if _, err := f.svc.AskForTime(ctx, f.police, da.ID, nil, checks.ExtensionInput{ProposedDate: "2027-02-10", Note: "Our records team is short."}); err != nil {
		t.Fatal(err)
	}
	f.sweep(t)
	f.received()
	if _, err := f.svc.AgreeTime(ctx, f.com, da.ID, nil); err != nil {
		t.Fatal(err)
	}
	f.sweep(t)
	msgs := f.smtp.To(metContact)
	if len(msgs) != 1 || headline(msgs[0]) != notify.DueDateChanged || !strings.Contains(msgs[0].Text(), "10 February 2027 (was 8 February 2027)") {
		t.Fatalf("the Met got %d emails after more time was agreed, want one due date change to 10 February (was 8)", len(msgs))
	}
}
