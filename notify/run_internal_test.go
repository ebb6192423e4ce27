package notify

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

// The stages of a run that decide and address are pure: these tests give them checks and a
// directory as values, with no database, outbox or clock.

func stageEscalator() *Escalator {
	deadlines := checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}
	return &Escalator{ladder: Ladder{Thresholds: DefaultThresholds(), Deadlines: deadlines}, baseURL: "https://s.example.org"}
}

func day(s string) checks.Date { return checks.MustDate(s) }

func TestDecideNamesTheDateEachRungIsAbout(t *testing.T) {
	e := stageEscalator()
	tests := []struct {
		name      string
		check     checks.Check
		today     string
		wantRules []Rule
		wantLabel string
		wantDue   string
	}{
		{"a check not requested on its request-by date is reminded against that date",
			checks.Check{ID: "c1", Status: checks.StatusRequired, RequestBy: day("2027-01-04"), ReleaseDate: day("2027-02-15")},
			"2027-01-04", []Rule{RequestReminder}, "Request by", "2027-01-04"},
		{"a request past its due date is overdue against the due date",
			checks.Check{ID: "c2", Status: checks.StatusRequested, RequestBy: day("2027-01-04"), DueDate: day("2027-01-18"), ReleaseDate: day("2027-02-15"),
				Escalations: map[string]checks.Escalation{string(RequestNotice): {}, string(ResponseReminder): {}}},
			"2027-01-19", []Rule{ResponseOverdue}, "Answer due", "2027-01-18"},
		{"a rung already fired is not due again",
			checks.Check{ID: "c3", Status: checks.StatusRequired, RequestBy: day("2027-01-04"), ReleaseDate: day("2027-02-15"),
				Escalations: map[string]checks.Escalation{string(RequestReminder): {}}},
			"2027-01-05", nil, "", ""},
		{"a completed check is due nothing, even on its release day",
			checks.Check{ID: "c4", Status: checks.StatusCompleted, ReleaseDate: day("2027-02-15")},
			"2027-02-15", nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := e.decide(tt.check, day(tt.today), nil)
			var rules []Rule
			for _, it := range items {
				rules = append(rules, it.Rule)
				if it.DueLabel != tt.wantLabel || it.Due.String() != tt.wantDue {
					t.Errorf("%s: %s %s, want %s %s", it.Rule, it.DueLabel, it.Due, tt.wantLabel, tt.wantDue)
				}
				if it.Link != "https://s.example.org/checks/"+tt.check.ID {
					t.Errorf("%s links to %s", it.Rule, it.Link)
				}
			}
			if !slices.Equal(rules, tt.wantRules) {
				t.Errorf("rules due %v, want %v", rules, tt.wantRules)
			}
		})
	}
}

// fired is a record of a rung fired against basis, with the earlier firings given.
func fired(basis string, earlier ...string) checks.Escalation {
	e := checks.Escalation{Basis: day(basis)}
	for _, b := range earlier {
		e.Earlier = append(e.Earlier, checks.Escalation{Basis: day(b)})
	}
	return e
}

func TestARungFiresOncePerTheDateItIsBasedOnAndAgainWhenTheDateMoves(t *testing.T) {
	e := stageEscalator()
	// Release on Monday 15 February 2027, request by Monday 4 January; or postponed to
	// Monday 1 March, request by Monday 18 January.
	required := func(release, requestBy string, escalations map[string]checks.Escalation) checks.Check {
		return checks.Check{ID: "c1", Status: checks.StatusRequired, RequestBy: day(requestBy), ReleaseDate: day(release), Escalations: escalations}
	}
	requested := func(due string, escalations map[string]checks.Escalation) checks.Check {
		escalations[string(RequestNotice)] = fired("2027-01-04")
		return checks.Check{ID: "c1", Status: checks.StatusRequested, RequestBy: day("2027-01-04"), RequestedAt: day("2027-01-04").Midday(),
			DueDate: day(due), ReleaseDate: day("2027-03-01"), Escalations: escalations}
	}
	tests := []struct {
		name      string
		check     checks.Check
		today     string
		wantRules []Rule
		wantKeys  []string
	}{
		{"a reminder fired against the request-by date is not due again",
			required("2027-02-15", "2027-01-04", map[string]checks.Escalation{"request_reminder": fired("2027-01-04")}), "2027-01-05", nil, nil},
		{"a reminder fired against an earlier request-by date waits for the new one",
			required("2027-03-01", "2027-01-18", map[string]checks.Escalation{"request_reminder": fired("2027-01-04")}), "2027-01-15", nil, nil},
		{"a reminder fired against an earlier request-by date fires again on the new one, under a key of its own",
			required("2027-03-01", "2027-01-18", map[string]checks.Escalation{"request_reminder": fired("2027-01-04")}), "2027-01-18",
			[]Rule{RequestReminder}, []string{"c1/request_reminder@2027-01-18#2"}},
		{"an overdue request fired against an earlier request-by date fires again five working days after the new one",
			required("2027-03-01", "2027-01-18", map[string]checks.Escalation{"request_reminder": fired("2027-01-18", "2027-01-04"),
				"request_overdue": fired("2027-01-04")}), "2027-01-25", []Rule{RequestOverdue}, []string{"c1/request_overdue@2027-01-18#2"}},
		{"a release imminent fired against an earlier release date fires again when the new one is close",
			required("2027-03-01", "2027-01-18", map[string]checks.Escalation{"request_reminder": fired("2027-01-18"), "request_overdue": fired("2027-01-18"),
				"release_imminent": fired("2027-02-15")}), "2027-02-22", []Rule{ReleaseImminent}, []string{"c1/release_imminent@2027-03-01#2"}},
		{"a release imminent fired against an earlier release date is not due while the new one is far",
			required("2027-03-01", "2027-01-18", map[string]checks.Escalation{"request_reminder": fired("2027-01-18"), "request_overdue": fired("2027-01-18"),
				"release_imminent": fired("2027-02-15")}), "2027-02-12", nil, nil},
		{"a release incomplete fired before a postponement fires again after the new release date",
			required("2027-03-01", "2027-01-18", map[string]checks.Escalation{"request_reminder": fired("2027-01-18"), "request_overdue": fired("2027-01-18"),
				"release_imminent": fired("2027-03-01", "2027-02-15"), "released_incomplete": fired("2027-02-15")}), "2027-03-02",
			[]Rule{ReleasedIncomplete}, []string{"c1/released_incomplete@2027-03-01#2"}},
		{"a rung fired against a date and then another fires a third time when the date comes back",
			required("2027-02-15", "2027-01-04", map[string]checks.Escalation{"request_reminder": fired("2027-01-18", "2027-01-04")}), "2027-01-04",
			[]Rule{RequestReminder}, []string{"c1/request_reminder@2027-01-04#3"}},
		{"an answer overdue fired against an earlier due date fires again the day after the new one",
			requested("2027-01-25", map[string]checks.Escalation{"response_reminder": fired("2027-01-18"), "response_overdue": fired("2027-01-18")}), "2027-01-26",
			[]Rule{ResponseReminder, ResponseOverdue}, []string{"c1/response_reminder@2027-01-25#2", "c1/response_overdue@2027-01-25#2"}},
		{"a record written before bases were kept counts as fired for the date of now",
			required("2027-03-01", "2027-01-18", map[string]checks.Escalation{"request_reminder": {}}), "2027-01-18", nil, nil},
		{"a first firing is keyed by its basis",
			required("2027-02-15", "2027-01-04", nil), "2027-01-04", []Rule{RequestReminder}, []string{"c1/request_reminder@2027-01-04"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rules []Rule
			var keys []string
			for _, it := range e.decide(tt.check, day(tt.today), nil) {
				rules, keys = append(rules, it.Rule), append(keys, it.key())
			}
			if !slices.Equal(rules, tt.wantRules) || !slices.Equal(keys, tt.wantKeys) {
				t.Errorf("due %v %q, want %v %q", rules, keys, tt.wantRules, tt.wantKeys)
			}
		})
	}
}

func TestTheAgencyIsToldOfADueDateThatMovesAfterItsRequestNotice(t *testing.T) {
	e := stageEscalator()
	notice := func(due string) checks.Escalation {
		return checks.Escalation{Basis: day("2027-02-01"), Due: day(due)}
	}
	check := func(status checks.Status, due string, escalations map[string]checks.Escalation) checks.Check {
		return checks.Check{ID: "c1", Status: status, RequestBy: day("2027-02-01"), RequestedAt: day("2027-02-01").Midday(),
			DueDate: day(due), ReleaseDate: day("2027-03-15"), Escalations: escalations,
			Response: map[bool]*checks.Response{true: {RespondedAt: day("2027-02-03").Midday()}}[status == checks.StatusResponded]}
	}
	tests := []struct {
		name    string
		check   checks.Check
		want    []Rule
		wantDue string
		wantWas string
		wantKey string
	}{
		{"a first request is announced by its notice, not as a change",
			check(checks.StatusRequested, "2027-02-08", nil), []Rule{RequestNotice}, "2027-02-08", "", "c1/request_notice@2027-02-01"},
		{"a due date still the one the notice gave is no news",
			check(checks.StatusRequested, "2027-02-08", map[string]checks.Escalation{"request_notice": notice("2027-02-08")}), nil, "", "", ""},
		{"a due date other than the one the notice gave is announced with the date it replaces",
			check(checks.StatusRequested, "2027-02-15", map[string]checks.Escalation{"request_notice": notice("2027-02-08")}),
			[]Rule{DueDateChanged}, "2027-02-15", "2027-02-08", "c1/due_date_changed@2027-02-15"},
		{"a new due date announced is not announced again",
			check(checks.StatusRequested, "2027-02-15", map[string]checks.Escalation{"request_notice": notice("2027-02-08"),
				"due_date_changed": {Basis: day("2027-02-15")}}), nil, "", "", ""},
		{"a due date that moves again is announced again, replacing the last one announced",
			check(checks.StatusRequested, "2027-02-10", map[string]checks.Escalation{"request_notice": notice("2027-02-08"),
				"due_date_changed": {Basis: day("2027-02-15")}}), []Rule{DueDateChanged}, "2027-02-10", "2027-02-15", "c1/due_date_changed@2027-02-10#2"},
		{"a due date moved back to the one the notice gave is announced too",
			check(checks.StatusRequested, "2027-02-08", map[string]checks.Escalation{"request_notice": notice("2027-02-08"),
				"due_date_changed": {Basis: day("2027-02-15")}}), []Rule{DueDateChanged}, "2027-02-08", "2027-02-15", "c1/due_date_changed@2027-02-08#2"},
		{"a request notice recorded before due dates were kept counts as having given the date of now",
			check(checks.StatusRequested, "2027-02-15", map[string]checks.Escalation{"request_notice": {}}), nil, "", "", ""},
		{"an answered check's agency is not told of its due date",
			check(checks.StatusResponded, "2027-02-15", map[string]checks.Escalation{"request_notice": notice("2027-02-08"), "response_notice": {}}), nil, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items := e.decide(tt.check, day("2027-02-03"), NoticeRules())
			var rules []Rule
			for _, it := range items {
				rules = append(rules, it.Rule)
			}
			if !slices.Equal(rules, tt.want) {
				t.Fatalf("due %v, want %v", rules, tt.want)
			}
			if len(items) == 1 {
				it := items[0]
				if it.Due.String() != tt.wantDue || it.Was.String() != tt.wantWas || it.key() != tt.wantKey {
					t.Errorf("due %s, was %q, key %s; want %s, %q, %s", it.Due, it.Was, it.key(), tt.wantDue, tt.wantWas, tt.wantKey)
				}
			}
		})
	}
}

func TestEachRuleIsBasedOnTheDateItIsAbout(t *testing.T) {
	c := checks.Check{RequestBy: day("2027-01-04"), DueDate: day("2027-01-20"), ReleaseDate: day("2027-02-15"),
		// Late on 5 January: the day is London's.
		RequestedAt: day("2027-01-05").Start().Add(23*time.Hour + 30*time.Minute),
		Response:    &checks.Response{RespondedAt: day("2027-01-12").Midday()},
		Extension:   &checks.Extension{RequestedAt: day("2027-01-14").Midday()}}
	want := map[Rule]string{
		RequestNotice: "2027-01-05", RequestWithdrawn: "2027-01-05", RequestNotEmailed: "2027-01-05",
		ResponseNotice: "2027-01-12", ResponseDeclined: "2027-01-12", TimeAsked: "2027-01-14",
		RequestReminder: "2027-01-04", RequestOverdue: "2027-01-04",
		ResponseReminder: "2027-01-20", ResponseOverdue: "2027-01-20", ResponseEscalated: "2027-01-20", DueDateChanged: "2027-01-20",
		ReleaseImminent: "2027-02-15", ReleasedIncomplete: "2027-02-15",
	}
	for _, r := range Rules() {
		t.Run(string(r), func(t *testing.T) {
			if got := Basis(r, c).String(); got != want[r] {
				t.Errorf("Basis(%s) = %s, want %s", r, got, want[r])
			}
		})
	}
	if got := Basis(ResponseNotice, checks.Check{}); !got.IsZero() {
		t.Errorf("the answer notice of an unanswered check is based on %s, want no date", got)
	}
}

func TestAddressSendsEachRungToItsPeopleOnceAndNamesWhomItCannotReach(t *testing.T) {
	e := stageEscalator()
	book := &addressBook{}
	book.fill([]checks.User{
		{ID: "com1", Role: checks.RoleCOM, Email: "com@p.example.org", Teams: []string{"T1"}, Active: true},
		{ID: "m1", Role: checks.RoleManager, Email: "m1@p.example.org", Teams: []string{"T1", "T2"}, Active: true},
		{ID: "m2", Role: checks.RoleManager, Email: "m2@p.example.org", Teams: []string{"T1"}, Active: false},
	}, []checks.Agency{
		{Code: "E23000001", Name: "Metropolitan Police Service", ContactEmail: "met@example.org"},
	})
	tests := []struct {
		name        string
		check       checks.Check
		rule        Rule
		wantTo      []string
		wantMissing int
	}{
		{"an overdue request goes to the COM and the team's active managers",
			checks.Check{ID: "c1", Team: "T1", COMID: "com1", Agency: "E23000001", Status: checks.StatusRequired},
			RequestOverdue, []string{"com@p.example.org", "m1@p.example.org"}, 0},
		{"an escalation to an agency without an escalation mailbox names the mailbox it lacks",
			checks.Check{ID: "c2", Team: "T1", COMID: "com1", Agency: "E23000001", Status: checks.StatusRequested},
			ResponseEscalated, []string{"m1@p.example.org"}, 1},
		{"a team without managers is named as unreachable",
			checks.Check{ID: "c3", Team: "T9", COMID: "com1", Agency: "E23000001", Status: checks.StatusRequired},
			RequestOverdue, []string{"com@p.example.org"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := e.address(context.Background(), book, tt.check, Item{CheckID: tt.check.ID, Rule: tt.rule})
			if err != nil {
				t.Fatal(err)
			}
			var to []string
			missing := 0
			for _, tg := range d.targets {
				if tg.to != "" {
					to = append(to, tg.to)
				} else {
					missing++
				}
			}
			if !slices.Equal(to, tt.wantTo) || missing != tt.wantMissing {
				t.Errorf("to %v and %d unreachable, want %v and %d", to, missing, tt.wantTo, tt.wantMissing)
			}
			if d.item.AgencyName != "Metropolitan Police Service" {
				t.Errorf("the item names the agency %q", d.item.AgencyName)
			}
		})
	}
}

func TestWhoGetsARungDependsOnTheRungAndTheStatusOfTheCheck(t *testing.T) {
	e := stageEscalator()
	book := &addressBook{}
	book.fill([]checks.User{
		{ID: "com1", Role: checks.RoleCOM, Email: "com@p.example.org", Teams: []string{"T1"}, Active: true},
		{ID: "m1", Role: checks.RoleManager, Email: "m1@p.example.org", Teams: []string{"T1"}, Active: true},
	}, []checks.Agency{
		{Code: "E23000001", Name: "Metropolitan Police Service", ContactEmail: "met@example.org", EscalationEmail: "dci@example.org"},
	})
	const com, manager, contact, escalation = "com@p.example.org", "m1@p.example.org", "met@example.org", "dci@example.org"
	tests := []struct {
		name   string
		status checks.Status
		rule   Rule
		want   []string
	}{
		{"a check never requested is reminded to the COM only", checks.StatusRequired, RequestReminder, []string{com}},
		{"a check never requested is overdue to the COM and the managers", checks.StatusRequired, RequestOverdue, []string{com, manager}},
		{"a release close with its check never requested goes to the COM and the managers, not the agency",
			checks.StatusRequired, ReleaseImminent, []string{com, manager}},
		{"a release past with its check never requested goes to the managers", checks.StatusRequired, ReleasedIncomplete, []string{manager}},
		{"a request is announced to the agency's contact", checks.StatusRequested, RequestNotice, []string{contact}},
		{"a release close with an unanswered request goes to the managers and the agency's escalation mailbox",
			checks.StatusRequested, ReleaseImminent, []string{manager, escalation}},
		{"an answer is announced to the COM", checks.StatusResponded, ResponseNotice, []string{com}},
		{"a release close with its check answered goes to the COM and the managers, who must act",
			checks.StatusResponded, ReleaseImminent, []string{com, manager}},
		{"a release past with its check answered goes to the managers", checks.StatusResponded, ReleasedIncomplete, []string{manager}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checks.Check{ID: "c1", Team: "T1", COMID: "com1", Agency: "E23000001", Status: tt.status}
			d, err := e.address(context.Background(), book, c, Item{CheckID: c.ID, Rule: tt.rule})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tg := range d.targets {
				got = append(got, tg.to)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s of a %s check goes to %v, want %v", tt.rule, tt.status, got, tt.want)
			}
		})
	}
}

func TestNoRungOfACheckNeverRequestedGoesToItsAgency(t *testing.T) {
	for _, g := range rungs() {
		for _, r := range g.to(checks.StatusRequired) {
			if r == toAgencyContact || r == toAgencyEscalation {
				t.Errorf("%s of a required check goes to %s", g.rule, r)
			}
		}
	}
}

func TestGroupMakesOneDigestPerRecipientMostUrgentFirstLeavingOutWhatIsQueued(t *testing.T) {
	com := target{to: "com@p.example.org", recipient: "com com1"}
	manager := target{to: "m@p.example.org", recipient: "managers T1"}
	dues := []due{
		{item: Item{CheckID: "a", Rule: RequestReminder}, targets: []target{com}},
		{item: Item{CheckID: "b", Rule: RequestOverdue}, targets: []target{com, manager}},
		{item: Item{CheckID: "c", Rule: ReleaseImminent}, targets: []target{manager}},
	}
	queued := map[string]map[string]bool{manager.key(): {dues[2].item.key(): true}}
	got := group(dues, queued)
	if len(got) != 2 {
		t.Fatalf("%d digests, want one for the COM and one for the manager", len(got))
	}
	if got[0].digest.To != com.to || got[1].digest.To != manager.to || got[1].recipient != "managers T1" {
		t.Errorf("digests to %s and %s (%s), want the COM then the manager", got[0].digest.To, got[1].digest.To, got[1].recipient)
	}
	var comRules []Rule
	for _, it := range got[0].digest.Items {
		comRules = append(comRules, it.Rule)
	}
	if !slices.Equal(comRules, []Rule{RequestOverdue, RequestReminder}) {
		t.Errorf("the COM's digest lists %v, want the overdue request before the reminder", comRules)
	}
	if n := len(got[1].digest.Items); n != 1 || got[1].digest.Items[0].CheckID != "b" {
		t.Errorf("the manager's digest holds %v, want only check b (c is already queued)", got[1].digest.Items)
	}
}

func TestARunReadsOnlyTheStatusesItsRulesCanBeDueFor(t *testing.T) {
	tests := []struct {
		name  string
		rules map[Rule]bool
		want  []checks.Status
	}{
		{"the notices need requested and answered checks", NoticeRules(), []checks.Status{checks.StatusRequested, checks.StatusResponded}},
		{"the request reminder needs checks not yet requested", map[Rule]bool{RequestReminder: true}, []checks.Status{checks.StatusRequired}},
		{"release imminent needs every open check", map[Rule]bool{ReleaseImminent: true},
			[]checks.Status{checks.StatusRequired, checks.StatusRequested, checks.StatusResponded}},
		{"a rule switched off reads nothing for it", map[Rule]bool{RequestReminder: false, ResponseNotice: true}, []checks.Status{checks.StatusResponded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusesFor(tt.rules); !slices.Equal(got, tt.want) {
				t.Errorf("statusesFor = %v, want %v", got, tt.want)
			}
		})
	}
}
