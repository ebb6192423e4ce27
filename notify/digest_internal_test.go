package notify

import (
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

func TestTheSubjectOfAnAgencysEmailStartsWithUrgentWhenItListsAnUrgentRequest(t *testing.T) {
	due := checks.MustDate("2026-11-25")
	urgent := Item{CheckID: "a", Rule: RequestNotice, CRN: "X123456", Type: checks.TypeDomesticAbuse, Status: checks.StatusRequested, Due: due, Urgent: true}
	routine := Item{CheckID: "b", Rule: RequestNotice, CRN: "X123456", Type: checks.TypeDomesticAbuse, Status: checks.StatusRequested, Due: due}
	tests := []struct {
		name  string
		who   string
		items []Item
		want  bool
	}{
		{"an urgent request to the agency's contact mailbox is urgent", "agency_contact E23000001", []Item{urgent}, true},
		{"one urgent request among routine ones makes the whole email urgent", "agency_contact E23000001", []Item{routine, urgent}, true},
		{"an urgent request escalated to the agency's manager is urgent",
			"agency_escalation E23000001", []Item{{CheckID: "a", Rule: ResponseEscalated, CRN: "X123456", Type: checks.TypeDomesticAbuse, Status: checks.StatusRequested, Urgent: true}}, true},
		{"a routine request to an agency is not", "agency_contact E23000001", []Item{routine}, false},
		// Answered: the agency has nothing left to do at once.
		{"an urgent check already answered is not urgent to the agency",
			"agency_escalation E23000001", []Item{{CheckID: "a", Rule: ReleaseImminent, CRN: "X123456", Type: checks.TypeDomesticAbuse, Status: checks.StatusResponded, Urgent: true}}, false},
		// The COM and the managers see the urgency on the check; their subjects are unchanged.
		{"the COM's email about an urgent request keeps its subject",
			"com 64b000000000000000000001", []Item{{CheckID: "a", Rule: ResponseOverdue, CRN: "X123456", Type: checks.TypeDomesticAbuse, Status: checks.StatusRequested, Urgent: true}}, false},
		{"the managers' email keeps its subject",
			"managers N07-T1", []Item{{CheckID: "a", Rule: ReleaseImminent, CRN: "X123456", Type: checks.TypeDomesticAbuse, Status: checks.StatusRequested, Urgent: true}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := digest{To: "x@example.org", Items: tt.items}
			sortItems(d.Items)
			got := d.subject(tt.who)
			if strings.HasPrefix(got, "Urgent – ") != tt.want {
				t.Errorf("subject %q; want it to start with \"Urgent – \": %v", got, tt.want)
			}
			if !strings.Contains(got, "DA check for X123456") {
				t.Errorf("subject %q lost the rest of its words", got)
			}
		})
	}
}

func TestTheSubjectNamesTheReasonTheCheckItsCRNAndItsDateWrittenOut(t *testing.T) {
	release, due, requestBy := checks.MustDate("2027-02-15"), checks.MustDate("2026-11-03"), checks.MustDate("2027-01-04")
	da := func(rule Rule, st checks.Status, date checks.Date) Item {
		return Item{CheckID: "a", Rule: rule, CRN: "X123456", Type: checks.TypeDomesticAbuse, Status: st, Due: date, ReleaseDate: release}
	}
	tests := []struct {
		name  string
		items []Item
		want  string
	}{
		{"an overdue answer gives the date it was due", []Item{da(ResponseOverdue, checks.StatusRequested, due)},
			"Overdue: DA check for X123456, due 3 November 2026"},
		{"a new request gives the date the answer is due", []Item{da(RequestNotice, checks.StatusRequested, due)},
			"New request: DA check for X123456, due 3 November 2026"},
		{"a changed due date gives the new one", []Item{da(DueDateChanged, checks.StatusRequested, due)},
			"Due date changed: DA check for X123456, now due 3 November 2026"},
		{"a check never requested gives the date to request it by", []Item{da(RequestOverdue, checks.StatusRequired, requestBy)},
			"Not requested: DA check for X123456, request by 4 January 2027"},
		{"an answer to read gives the release date", []Item{da(ResponseNotice, checks.StatusResponded, due)},
			"Answered: DA check for X123456, release 15 February 2027"},
		{"a close release gives the release date", []Item{da(ReleaseImminent, checks.StatusRequested, due)},
			"Release close: DA check for X123456, release 15 February 2027"},
		{"a release passed gives the day of release", []Item{da(ReleasedIncomplete, checks.StatusRequested, due)},
			"Released incomplete: DA check for X123456, released 15 February 2027"},
		{"a withdrawal says no answer is needed", []Item{da(RequestWithdrawn, checks.StatusWithdrawn, checks.Date{})},
			"Withdrawn: DA check for X123456, no answer needed"},
		{"a child safeguarding check is named so", []Item{{CheckID: "b", Rule: ResponseReminder, CRN: "X654321",
			Type: checks.TypeChildSafeguarding, Status: checks.StatusRequested, Due: due, ReleaseDate: release}},
			"Answer due soon: child safeguarding check for X654321, due 3 November 2026"},
		{"a digest names its most urgent check and counts the others",
			[]Item{da(RequestNotice, checks.StatusRequested, due), {CheckID: "b", Rule: ResponseEscalated, CRN: "X654321",
				Type: checks.TypeDomesticAbuse, Status: checks.StatusRequested, Due: due, ReleaseDate: release},
				{CheckID: "c", Rule: ResponseReminder, CRN: "X111111", Type: checks.TypeDomesticAbuse, Status: checks.StatusRequested, Due: due, ReleaseDate: release}},
			"Escalated: DA check for X654321, due 3 November 2026 – and 2 more checks"},
		{"a digest of two counts one more check",
			[]Item{da(RequestNotice, checks.StatusRequested, due), {CheckID: "b", Rule: RequestNotice, CRN: "X654321",
				Type: checks.TypeChildSafeguarding, Status: checks.StatusRequested, Due: due, ReleaseDate: release}},
			"New request: DA check for X123456, due 3 November 2026 – and 1 more check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := digest{To: "x@example.org", Items: tt.items}
			sortItems(d.Items)
			if got := d.subject("com 64b000000000000000000001"); got != tt.want {
				t.Errorf("subject %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEveryRuleHasAReasonForTheSubject(t *testing.T) {
	for _, rule := range Rules() {
		if rule.Reason() == "" {
			t.Errorf("%s has no reason for the subject", rule)
		}
	}
}
