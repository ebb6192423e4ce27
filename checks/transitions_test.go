package checks

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// act takes one action on a check as the user the lifecycle expects for it: the COM for
// request, complete and not-required, the agency's liaison for respond.
func (f *fixture) act(c Check, a Action) (Check, error) {
	ctx := context.Background()
	liaison := f.police
	if c.Agency == f.childrens.Agency {
		liaison = f.childrens
	}
	switch a {
	case ActionRequest:
		return f.svc.RequestCheck(ctx, f.com, c.ID, nil, "")
	case ActionRespond:
		return f.svc.RespondToCheck(ctx, liaison, c.ID, nil, ResponseInput{Outcome: "information_held", Summary: "Two call-outs to the address in 2024."})
	case ActionComplete:
		return f.svc.CompleteCheck(ctx, f.com, c.ID, nil, "Licence condition added.")
	case ActionNotRequired:
		return f.svc.MarkNotRequired(ctx, f.com, c.ID, nil, "No children in the household.")
	case ActionNote:
		return f.svc.AddNote(ctx, f.com, c.ID, nil, "Phoned the police liaison.")
	}
	panic("act: unknown action " + a)
}

// walk takes the actions in order and fails the test on the first error.
func (f *fixture) walk(t *testing.T, c Check, actions ...Action) Check {
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
	c := checkOf(t, f.release(t), TypeDomesticAbuse)

	c = f.walk(t, c, ActionRequest)
	if c.Status != StatusRequested || c.RequestedBy != f.com.ID || !c.RequestedAt.Equal(f.clock.Now()) || c.DueDate.String() != "2026-12-08" {
		t.Errorf("after request: %s by %s at %s due %s", c.Status, c.RequestedBy, c.RequestedAt, c.DueDate)
	}
	f.clock.Advance(48 * time.Hour)
	c = f.walk(t, c, ActionRespond)
	if c.Status != StatusResponded || c.Response == nil || c.Response.Outcome != OutcomeInformationHeld ||
		c.Response.RespondedBy != f.police.ID || !c.Response.RespondedAt.Equal(f.clock.Now()) {
		t.Errorf("after respond: %s %+v", c.Status, c.Response)
	}
	c = f.walk(t, c, ActionComplete)
	if c.Status != StatusCompleted || c.CompletedBy != f.com.ID || c.CompletionNote != "Licence condition added." {
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
		before []Action
		try    Action
		status Status
	}{
		{"a required check cannot be completed", nil, ActionComplete, StatusRequired},
		{"a requested check cannot be requested again", []Action{ActionRequest}, ActionRequest, StatusRequested},
		{"a requested check cannot be completed before the answer", []Action{ActionRequest}, ActionComplete, StatusRequested},
		{"a requested check cannot be marked not required", []Action{ActionRequest}, ActionNotRequired, StatusRequested},
		{"a responded check cannot be answered twice", []Action{ActionRequest, ActionRespond}, ActionRespond, StatusResponded},
		{"a responded check cannot be requested", []Action{ActionRequest, ActionRespond}, ActionRequest, StatusResponded},
		{"a completed check cannot be completed twice", []Action{ActionRequest, ActionRespond, ActionComplete}, ActionComplete, StatusCompleted},
		{"a completed check cannot be marked not required", []Action{ActionRequest, ActionRespond, ActionComplete}, ActionNotRequired, StatusCompleted},
		{"a not-required check cannot be requested", []Action{ActionNotRequired}, ActionRequest, StatusNotRequired},
		{"a not-required check cannot be marked again", []Action{ActionNotRequired}, ActionNotRequired, StatusNotRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.walk(t, checkOf(t, f.release(t), TypeDomesticAbuse), tt.before...)
			_, err := f.act(c, tt.try)
			e := wantCode(t, err, ECONFLICT)
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
	c, err := f.svc.Check(context.Background(), f.com, checkOf(t, r, TypeDomesticAbuse).ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []Action{ActionRequest, ActionNotRequired, ActionNote} {
		_, err := f.act(c, a)
		if e := wantCode(t, err, ECONFLICT); e.Status != StatusWithdrawn {
			t.Errorf("%s on a withdrawn check: status %q, want withdrawn", a, e.Status)
		}
	}
}

func TestTransitionInputIsValidated(t *testing.T) {
	long := strings.Repeat("x", 1001)
	tests := []struct {
		name  string
		do    func(f *fixture, c Check) error
		field string
	}{
		{"an answer needs an outcome", func(f *fixture, c Check) error {
			_, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, ResponseInput{Summary: "x"})
			return err
		}, "outcome"},
		{"an answer's outcome must be one of the three", func(f *fixture, c Check) error {
			_, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, ResponseInput{Outcome: "maybe", Summary: "x"})
			return err
		}, "outcome"},
		{"information held needs a summary", func(f *fixture, c Check) error {
			_, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, ResponseInput{Outcome: "information_held"})
			return err
		}, "summary"},
		{"a summary is at most 1000 characters", func(f *fixture, c Check) error {
			_, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, ResponseInput{Outcome: "declined", Summary: long})
			return err
		}, "summary"},
		{"completing needs a note", func(f *fixture, c Check) error {
			_, err := f.svc.CompleteCheck(context.Background(), f.com, c.ID, nil, " ")
			return err
		}, "note"},
		{"not required needs a reason", func(f *fixture, c Check) error {
			_, err := f.svc.MarkNotRequired(context.Background(), f.com, c.ID, nil, "")
			return err
		}, "reason"},
		{"a request note is at most 1000 characters", func(f *fixture, c Check) error {
			_, err := f.svc.RequestCheck(context.Background(), f.com, c.ID, nil, long)
			return err
		}, "note"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.walk(t, checkOf(t, f.release(t), TypeDomesticAbuse), ActionRequest)
			e := wantCode(t, tt.do(f, c), EINVALID)
			if len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Errorf("fields %+v, want one about %s", e.Fields, tt.field)
			}
		})
	}
}

func TestNoInformationNeedsNoSummary(t *testing.T) {
	f := newFixture(t)
	c := f.walk(t, checkOf(t, f.release(t), TypeDomesticAbuse), ActionRequest)
	c, err := f.svc.RespondToCheck(context.Background(), f.police, c.ID, nil, ResponseInput{Outcome: "no_information"})
	if err != nil || c.Response.Outcome != OutcomeNoInformation {
		t.Errorf("no_information without summary: %v", err)
	}
}

// TestWhoMayTakeEachAction covers scope (out of scope is not found) and role (in scope but
// not allowed is forbidden) for every action.
func TestWhoMayTakeEachAction(t *testing.T) {
	type who func(*fixture) User
	var (
		admin          = who(func(f *fixture) User { return f.admin })
		com            = who(func(f *fixture) User { return f.com })
		com2           = who(func(f *fixture) User { return f.com2 })
		otherCOM       = who(func(f *fixture) User { return f.otherCOM })
		manager        = who(func(f *fixture) User { return f.manager })
		otherManager   = who(func(f *fixture) User { return f.otherManager })
		police         = who(func(f *fixture) User { return f.police })
		otherPolice    = who(func(f *fixture) User { return f.otherPolice })
		childrens      = who(func(f *fixture) User { return f.childrens })
		otherChildrens = who(func(f *fixture) User { return f.otherChildrens })
	)
	tests := []struct {
		name   string
		before []Action // on the DA check, as the expected actors
		action Action
		actor  who
		code   string // "" for success
	}{
		{"the COM requests", nil, ActionRequest, com, ""},
		{"a colleague in the COM's team requests", nil, ActionRequest, com2, ""},
		{"the team's manager requests", nil, ActionRequest, manager, ""},
		{"a COM of another team does not see the check", nil, ActionRequest, otherCOM, ENOTFOUND},
		{"a manager of another team does not see the check", nil, ActionRequest, otherManager, ENOTFOUND},
		{"an admin sees the check but does not request", nil, ActionRequest, admin, EFORBIDDEN},
		{"the police liaison does not see a check not yet requested", nil, ActionRequest, police, ENOTFOUND},
		{"the police liaison cannot request a check it sees", []Action{ActionRequest}, ActionRequest, police, EFORBIDDEN},
		{"the police liaison answers", []Action{ActionRequest}, ActionRespond, police, ""},
		{"another force's liaison does not see the check", []Action{ActionRequest}, ActionRespond, otherPolice, ENOTFOUND},
		{"a children's services liaison does not see a DA check", []Action{ActionRequest}, ActionRespond, childrens, ENOTFOUND},
		{"another authority's liaison does not see the check", []Action{ActionRequest}, ActionRespond, otherChildrens, ENOTFOUND},
		{"the COM cannot answer for the police", []Action{ActionRequest}, ActionRespond, com, EFORBIDDEN},
		{"an admin cannot answer for the police", []Action{ActionRequest}, ActionRespond, admin, EFORBIDDEN},
		{"the COM completes", []Action{ActionRequest, ActionRespond}, ActionComplete, com, ""},
		{"the manager completes", []Action{ActionRequest, ActionRespond}, ActionComplete, manager, ""},
		{"the police liaison cannot complete", []Action{ActionRequest, ActionRespond}, ActionComplete, police, EFORBIDDEN},
		{"the COM marks not required", nil, ActionNotRequired, com, ""},
		{"an admin cannot mark not required", nil, ActionNotRequired, admin, EFORBIDDEN},
		{"the police liaison adds a note asking for more time", []Action{ActionRequest}, ActionNote, police, ""},
		{"an admin cannot add a note", []Action{ActionRequest}, ActionNote, admin, EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := f.walk(t, checkOf(t, f.release(t), TypeDomesticAbuse), tt.before...)
			u := tt.actor(f)
			ctx := context.Background()
			var err error
			switch tt.action {
			case ActionRequest:
				_, err = f.svc.RequestCheck(ctx, u, c.ID, nil, "")
			case ActionRespond:
				_, err = f.svc.RespondToCheck(ctx, u, c.ID, nil, ResponseInput{Outcome: "no_information"})
			case ActionComplete:
				_, err = f.svc.CompleteCheck(ctx, u, c.ID, nil, "read")
			case ActionNotRequired:
				_, err = f.svc.MarkNotRequired(ctx, u, c.ID, nil, "no risk")
			case ActionNote:
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
	c := f.walk(t, checkOf(t, f.release(t), TypeDomesticAbuse), ActionRequest, ActionRespond, ActionComplete)
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
		if h.Action == ActionComplete && h.Note != "" {
			t.Errorf("the completion note leaks through the history: %q", h.Note)
		}
	}
	if full, _ := f.svc.Check(ctx, f.com, c.ID); full.CompletionNote == "" || full.Team == "" {
		t.Errorf("the COM lost its own fields: %+v", full)
	}
}

func TestAStaleIfMatchOnACheckIsAPreconditionFailure(t *testing.T) {
	f := newFixture(t)
	c := checkOf(t, f.release(t), TypeDomesticAbuse)
	v := c.Version
	if _, err := f.svc.AddNote(context.Background(), f.com, c.ID, &v, "first"); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.RequestCheck(context.Background(), f.com, c.ID, &v, "")
	wantCode(t, err, EPRECONDITION)
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
		{"without If-Match the losers see the new status", false, ECONFLICT},
		{"with If-Match the losers see a stale version", true, EPRECONDITION},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := checkOf(t, f.release(t), TypeDomesticAbuse)
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
				case ErrorCode(err) != tt.loserCode && ErrorCode(err) != ECONFLICT:
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
