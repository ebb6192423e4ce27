package notify

import (
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

func TestTheSubjectOfAnAgencysEmailStartsWithUrgentWhenItListsAnUrgentRequest(t *testing.T) {
	urgent := Item{CheckID: "a", Rule: RequestNotice, Status: checks.StatusRequested, Urgent: true}
	routine := Item{CheckID: "b", Rule: RequestNotice, Status: checks.StatusRequested}
	tests := []struct {
		name  string
		who   string
		items []Item
		want  bool
	}{
		{"an urgent request to the agency's contact mailbox is urgent", "agency_contact E23000001", []Item{urgent}, true},
		{"one urgent request among routine ones makes the whole email urgent", "agency_contact E23000001", []Item{routine, urgent}, true},
		{"an urgent request escalated to the agency's manager is urgent",
			"agency_escalation E23000001", []Item{{CheckID: "a", Rule: ResponseEscalated, Status: checks.StatusRequested, Urgent: true}}, true},
		{"a routine request to an agency is not", "agency_contact E23000001", []Item{routine}, false},
		// Answered: the agency has nothing left to do at once.
		{"an urgent check already answered is not urgent to the agency",
			"agency_escalation E23000001", []Item{{CheckID: "a", Rule: ReleaseImminent, Status: checks.StatusResponded, Urgent: true}}, false},
		// The COM and the managers see the urgency on the check; their subjects are unchanged.
		{"the COM's email about an urgent request keeps its subject",
			"com 64b000000000000000000001", []Item{{CheckID: "a", Rule: ResponseOverdue, Status: checks.StatusRequested, Urgent: true}}, false},
		{"the managers' email keeps its subject",
			"managers N07-T1", []Item{{CheckID: "a", Rule: ReleaseImminent, Status: checks.StatusRequested, Urgent: true}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := digest{To: "x@example.org", Items: tt.items}
			sortItems(d.Items)
			got := d.subject(tt.who)
			if strings.HasPrefix(got, "Urgent – ") != tt.want {
				t.Errorf("subject %q; want it to start with \"Urgent – \": %v", got, tt.want)
			}
			if !strings.Contains(got, "Safeguarding: ") {
				t.Errorf("subject %q lost the rest of its words", got)
			}
		})
	}
}
