package checks_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

// act takes one action on a check as the user the lifecycle expects for it: the COM for
// request, complete and not-required, the agency's liaison for respond.
func (f *fixture) act(c checks.Check, a checks.Action) (checks.Check, error) {
	ctx := context.Background()
	liaison := f.police
	if c.Agency == f.childrens.Agency {
		liaison = f.childrens
	}
	switch a {
	case checks.ActionRequest:
		return f.svc.RequestCheck(ctx, f.com, c.ID, nil, "")
	case checks.ActionRespond:
		return f.svc.RespondToCheck(ctx, liaison, c.ID, nil, checks.ResponseInput{Outcome: "information_held", Summary: "Two call-outs to the address in 2024."})
	case checks.ActionComplete:
		return f.svc.CompleteCheck(ctx, f.com, c.ID, nil, "Licence condition added.")
	case checks.ActionNotRequired:
		return f.svc.MarkNotRequired(ctx, f.com, c.ID, nil, "No children in the household.")
	case checks.ActionNote:
		return f.svc.AddNote(ctx, f.com, c.ID, nil, "Phoned the police liaison.")
	}
	panic("act: unknown action " + a)
}

// walk takes the actions in order and fails the test on the first error.
func (f *fixture) walk(t *testing.T, c checks.Check, actions ...checks.Action) checks.Check {
	t.Helper()
	for _, a := range actions {
		var err error
		if c, err = f.act(c, a); err != nil {
			t.Fatalf("%s: %v", a, err)
		}
	}
	return c
}

func TestACheckWalksTheWholeLifecycle(t *testing.T) {
	f := newFixture(t)
	c := checkOf(t, f.release(t), checks.TypeDomesticAbuse)

	c = f.walk(t, c, checks.ActionRequest)
	if c.Status != checks.StatusRequested || c.RequestedBy != f.com.ID || !c.RequestedAt.Equal(f.clock.Now()) || c.DueDate.String() != "2026-12-08" {
		t.Errorf("after request: %s by %s at %s due %s", c.Status, c.RequestedBy, c.RequestedAt, c.DueDate)
	}
	f.clock.Advance(48 * time.Hour)
	c = f.walk(t, c, checks.ActionRespond)
	if c.Status != checks.StatusResponded || c.Response == nil || c.Response.Outcome != checks.OutcomeInformationHeld ||
		c.Response.RespondedBy != f.police.ID || !c.Response.RespondedAt.Equal(f.clock.Now()) {
		t.Errorf("after respond: %s %+v", c.Status, c.Response)
	}
	c = f.walk(t, c, checks.ActionComplete)
	if c.Status != checks.StatusCompleted || c.CompletedBy != f.com.ID || c.CompletionNote != "Licence condition added." {
		t.Errorf("after complete: %s by %s note %q", c.Status, c.CompletedBy, c.CompletionNote)
	}
	if c.Version != 4 {
		t.Errorf("version %d after three transitions, want 4", c.Version)
	}
	var got []string
	for _, h := range c.History {
		got = append(got, string(h.Action)+":"+string(h.From)+">"+string(h.To)+":"+string(h.Role))
	}
	want := "create:>required:com request:required>requested:com respond:requested>responded:liaison complete:responded>completed:com"
	if strings.Join(got, " ") != want {
		t.Errorf("history = %v\nwant      %s", got, want)
	}
}

func TestTheLifecycleRefusesEveryTransitionItDoesNotAllow(t *testing.T) {
	tests := []struct {
		name   string
		before []checks.Action
		try    checks.Action
		status checks.Status
	}{
		{"a required check cannot be completed", nil, checks.ActionComplete, checks.StatusRequired},
		{"a requested check cannot be requested again", []checks.Action{checks.ActionRequest}, checks.ActionRequest, checks.StatusRequested},
		{"a requested check cannot be completed before the answer", []checks.Action{checks.ActionRequest}, checks.ActionComplete, checks.StatusRequested},
		{"a requested check cannot be marked not required", []checks.Action{checks.ActionRequest}, checks.ActionNotRequired, checks.StatusRequested},
		{"a responded check cannot be answered twice", []checks.Action{checks.ActionRequest, checks.ActionRespond}, checks.ActionRespond, checks.StatusResponded},
		{"a responded check cannot be requested", []checks.Action{checks.ActionRequest, checks.ActionRespond}, checks.ActionRequest, checks.StatusResponded},
		{"a completed check cannot be completed twice", []checks.Action{checks.ActionRequest, checks.ActionRespond, checks.ActionComplete}, checks.ActionComplete, checks.StatusCompleted},
		{"a completed check cannot be marked not required", []checks.Action{checks.ActionRequest, checks.ActionRespond, checks.ActionComplete}, checks.ActionNotRequired, checks.StatusCompleted},
		{"a not-required check cannot be requested", []checks.Action{checks.ActionNotRequired}, checks.ActionRequest, checks.StatusNotRequired},
		{"a not-required check cannot be marked again", []checks.Action{checks.ActionNotRequired}, checks.ActionNotRequired, checks.StatusNotRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.walk(t, checkOf(t, f.release(t), checks.TypeDomesticAbuse), tt.before...)
			_, err := f.act(c, tt.try)
			e := wantCode(t, err, checks.ECONFLICT)
			if e.Status != tt.status || !strings.Contains(e.Message, string(tt.status)) {
				t.Errorf("conflict names status %q in %q, want %s", e.Status, e.Message, tt.status)
			}
			after, err := f.svc.Check(context.Background(), f.admin, c.ID)
			if err != nil || after.Version != c.Version || after.Status != c.Status {
				t.Errorf("a refused transition changed the check: version %d→%d status %s→%s", c.Version, after.Version, c.Status, after.Status)
			}
		})
	}
}

func TestAWithdrawnCheckTakesNoNoteAndNoTransition(t *testing.T) {
	f := newFixture(t)
	r := f.release(t)
	if _, err := f.svc.CancelRelease(context.Background(), f.com, r.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.Check(context.Background(), f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []checks.Action{checks.ActionRequest, checks.ActionNotRequired, checks.ActionNote} {
		_, err := f.act(c, a)
		if e := wantCode(t, err, checks.ECONFLICT); e.Status != checks.StatusWithdrawn {
			t.Errorf("%s on a withdrawn check: status %q, want withdrawn", a, e.Status)
		}
	}
}

func TestTransitionInputIsValidated(t *testing.T) {
	long := strings.Repeat("x", 1001)
	tests := []struct {
		name  string
		do    func(f *fixture, c checks.Check) error
		field string
	}{
		{"an answer needs an outcome", func(f *fixture, c checks.Check) error {
			_, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, checks.ResponseInput{Summary: "x"})
			return err
		}, "outcome"},
		{"an answer's outcome must be one of the three", func(f *fixture, c checks.Check) error {
			_, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, checks.ResponseInput{Outcome: "maybe", Summary: "x"})
			return err
		}, "outcome"},
		{"information held needs a summary", func(f *fixture, c checks.Check) error {
			_, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, checks.ResponseInput{Outcome: "information_held"})
			return err
		}, "summary"},
		{"a summary is at most 1000 characters", func(f *fixture, c checks.Check) error {
			_, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, checks.ResponseInput{Outcome: "declined", Summary: long})
			return err
		}, "summary"},
		{"completing needs a note", func(f *fixture, c checks.Check) error {
			_, err := f.svc.CompleteCheck(context.Background(), f.com, c.ID, nil, " ")
			return err
		}, "note"},
		{"not required needs a reason", func(f *fixture, c checks.Check) error {
			_, err := f.svc.MarkNotRequired(context.Background(), f.com, c.ID, nil, "")
			return err
		}, "reason"},
		{"a request note is at most 1000 characters", func(f *fixture, c checks.Check) error {
			_, err := f.svc.RequestCheck(context.Background(), f.com, c.ID, nil, long)
			return err
		}, "note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.walk(t, checkOf(t, f.release(t), checks.TypeDomesticAbuse), checks.ActionRequest)
			e := wantCode(t, tt.do(f, c), checks.EINVALID)
			if len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Errorf("fields %+v, want one about %s", e.Fields, tt.field)
			}
		})
	}
}

func TestNoInformationNeedsNoSummary(t *testing.T) {
	f := newFixture(t)
	c := f.walk(t, checkOf(t, f.release(t), checks.TypeDomesticAbuse), checks.ActionRequest)
	c, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, checks.ResponseInput{Outcome: "no_information"})
	if err != nil || c.Response.Outcome != checks.OutcomeNoInformation {
		t.Errorf("no_information without summary: %v", err)
	}
}

// TestWhoMayTakeEachAction covers scope (out of scope is not found) and role (in scope but
// not allowed is forbidden) for every action.
func TestWhoMayTakeEachAction(t *testing.T) {
	type who func(*fixture) checks.User
	var (
		admin          = who(func(f *fixture) checks.User { return f.admin })
		com            = who(func(f *fixture) checks.User { return f.com })
		com2           = who(func(f *fixture) checks.User { return f.com2 })
		otherCOM       = who(func(f *fixture) checks.User { return f.otherCOM })
		manager        = who(func(f *fixture) checks.User { return f.manager })
		otherManager   = who(func(f *fixture) checks.User { return f.otherManager })
		police         = who(func(f *fixture) checks.User { return f.police })
		otherPolice    = who(func(f *fixture) checks.User { return f.otherPolice })
		childrens      = who(func(f *fixture) checks.User { return f.childrens })
		otherChildrens = who(func(f *fixture) checks.User { return f.otherChildrens })
	)
	tests := []struct {
		name   string
		before []checks.Action // on the DA check, as the expected actors
		action checks.Action
		actor  who
		code   string // "" for success
	}{
		{"the COM requests", nil, checks.ActionRequest, com, ""},
		{"a colleague in the COM's team requests", nil, checks.ActionRequest, com2, ""},
		{"the team's manager requests", nil, checks.ActionRequest, manager, ""},
		{"a COM of another team does not see the check", nil, checks.ActionRequest, otherCOM, checks.ENOTFOUND},
		{"a manager of another team does not see the check", nil, checks.ActionRequest, otherManager, checks.ENOTFOUND},
		{"an admin sees the check but does not request", nil, checks.ActionRequest, admin, checks.EFORBIDDEN},
		{"the police liaison does not see a check not yet requested", nil, checks.ActionRequest, police, checks.ENOTFOUND},
		{"the police liaison cannot request a check it sees", []checks.Action{checks.ActionRequest}, checks.ActionRequest, police, checks.EFORBIDDEN},
		{"the police liaison answers", []checks.Action{checks.ActionRequest}, checks.ActionRespond, police, ""},
		{"another force's liaison does not see the check", []checks.Action{checks.ActionRequest}, checks.ActionRespond, otherPolice, checks.ENOTFOUND},
		{"a children's services liaison does not see a DA check", []checks.Action{checks.ActionRequest}, checks.ActionRespond, childrens, checks.ENOTFOUND},
		{"another authority's liaison does not see the check", []checks.Action{checks.ActionRequest}, checks.ActionRespond, otherChildrens, checks.ENOTFOUND},
		{"the COM cannot answer for the police", []checks.Action{checks.ActionRequest}, checks.ActionRespond, com, checks.EFORBIDDEN},
		{"an admin cannot answer for the police", []checks.Action{checks.ActionRequest}, checks.ActionRespond, admin, checks.EFORBIDDEN},
		{"the COM completes", []checks.Action{checks.ActionRequest, checks.ActionRespond}, checks.ActionComplete, com, ""},
		{"the manager completes", []checks.Action{checks.ActionRequest, checks.ActionRespond}, checks.ActionComplete, manager, ""},
		{"the police liaison cannot complete", []checks.Action{checks.ActionRequest, checks.ActionRespond}, checks.ActionComplete, police, checks.EFORBIDDEN},
		{"the COM marks not required", nil, checks.ActionNotRequired, com, ""},
		{"an admin cannot mark not required", nil, checks.ActionNotRequired, admin, checks.EFORBIDDEN},
		{"the police liaison adds a note asking for more time", []checks.Action{checks.ActionRequest}, checks.ActionNote, police, ""},
		{"an admin cannot add a note", []checks.Action{checks.ActionRequest}, checks.ActionNote, admin, checks.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.walk(t, checkOf(t, f.release(t), checks.TypeDomesticAbuse), tt.before...)
			u := tt.actor(f)
			ctx := context.Background()
			var err error
			switch tt.action {
			case checks.ActionRequest:
				_, err = f.svc.RequestCheck(ctx, u, c.ID, nil, "")
			case checks.ActionRespond:
				_, err = f.svc.RespondToCheck(ctx, u, c.ID, nil, checks.ResponseInput{Outcome: "no_information"})
			case checks.ActionComplete:
				_, err = f.svc.CompleteCheck(ctx, u, c.ID, nil, "read")
			case checks.ActionNotRequired:
				_, err = f.svc.MarkNotRequired(ctx, u, c.ID, nil, "no risk")
			case checks.ActionNote:
				_, err = f.svc.AddNote(ctx, u, c.ID, nil, "Could we have five more days?")
			}
			if tt.code == "" {
				if err != nil {
					t.Fatalf("%s by %s: %v", tt.action, u.Role, err)
				}
				return
			}
			wantCode(t, err, tt.code)
		})
	}
}

func TestALiaisonSeesOnlyWhatItNeeds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.walk(t, checkOf(t, f.release(t), checks.TypeDomesticAbuse), checks.ActionRequest, checks.ActionRespond, checks.ActionComplete)
	got, err := f.svc.Check(ctx, f.police, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Team != "" || got.COMID != "" || got.CompletionNote != "" {
		t.Errorf("liaison sees team %q com %q note %q, want none of them", got.Team, got.COMID, got.CompletionNote)
	}
	if got.CRN != "X123456" || got.FullName != "John Smith" || got.DateOfBirth.String() != "1985-03-02" || got.ReleaseDate.String() != "2027-02-15" {
		t.Errorf("liaison lacks the release fields it needs: %+v", got)
	}
	for _, h := range got.History {
		if h.Action == checks.ActionComplete && h.Note != "" {
			t.Errorf("the completion note leaks through the history: %q", h.Note)
		}
	}
	if full, _ := f.svc.Check(ctx, f.com, c.ID); full.CompletionNote == "" || full.Team == "" {
		t.Errorf("the COM lost its own fields: %+v", full)
	}
}

func TestAStaleIfMatchOnACheckIsAPreconditionFailure(t *testing.T) {
	f := newFixture(t)
	c := checkOf(t, f.release(t), checks.TypeDomesticAbuse)
	v := c.Version
	if _, err := f.svc.AddNote(context.Background(), f.com, c.ID, &v, "first"); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.RequestCheck(context.Background(), f.com, c.ID, &v, "")
	wantCode(t, err, checks.EPRECONDITION)
	current := v + 1
	if _, err := f.svc.RequestCheck(context.Background(), f.com, c.ID, &current, ""); err != nil {
		t.Errorf("request with the current version: %v", err)
	}
}

func TestOfConcurrentTransitionsOfOneCheckExactlyOneWins(t *testing.T) {
	tests := []struct {
		name      string
		withMatch bool
		loserCode string
	}{
		{"without If-Match the losers see the new status", false, checks.ECONFLICT},
		{"with If-Match the losers see a stale version", true, checks.EPRECONDITION},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := checkOf(t, f.release(t), checks.TypeDomesticAbuse)
			const n = 16
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					var v *int64
					if tt.withMatch {
						v = &c.Version
					}
					_, errs[i] = f.svc.RequestCheck(context.Background(), f.com, c.ID, v, "")
				}()
			}
			close(start)
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch {
				case err == nil:
					wins++
				case checks.ErrorCode(err) != tt.loserCode && checks.ErrorCode(err) != checks.ECONFLICT:
					t.Errorf("a loser got %v, want %s", err, tt.loserCode)
				}
			}
			if wins != 1 {
				t.Fatalf("%d transitions won, want exactly 1", wins)
			}
			got, err := f.svc.Check(context.Background(), f.com, c.ID)
			if err != nil || got.Version != 2 || len(got.History) != 2 {
				t.Errorf("check at version %d with %d history entries, want 2 and 2", got.Version, len(got.History))
			}
		})
	}
}
