package notify

import (
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

// The items Firings names are those the run put in the emails: a rung fired again against a
// new date carries its firing's number, as decide numbers it.
func TestFiringsNameTheItemsTheRunsEmailsCarried(t *testing.T) {
	first, second := time.Date(2026, 12, 1, 7, 0, 0, 0, time.UTC), time.Date(2026, 12, 8, 7, 0, 0, 0, time.UTC)
	c := checks.Check{ID: "c1", Escalations: map[string]checks.Escalation{
		string(RequestReminder): {At: second, Basis: checks.MustDate("2026-12-08"),
			Earlier: []checks.Escalation{{At: first, Basis: checks.MustDate("2026-12-01")}}},
		string(RequestNotice): {At: first, Basis: checks.MustDate("2026-12-01")},
	}}
	// What decide would number the second firing: one earlier than it.
	again := Item{CheckID: "c1", Rule: RequestReminder, Basis: checks.MustDate("2026-12-08"), Earlier: 1}.key()
	tests := []struct {
		name string
		at   int
		want string
	}{
		{"the newest firing comes first, numbered as the run numbered it", 0, again},
		{"then the first firings, by rule", 1, "c1/request_notice@2026-12-01"},
		{"the first firing of the rung fired again", 2, "c1/request_reminder@2026-12-01"},
	}
	got := Firings(c)
	if len(got) != 3 {
		t.Fatalf("%d firings, want 3: %+v", len(got), got)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got[tt.at].Item != tt.want || got[tt.at].Earlier != nil {
				t.Errorf("firing %d names %q (earlier %v), want %q", tt.at, got[tt.at].Item, got[tt.at].Earlier, tt.want)
			}
		})
	}
	if again != "c1/request_reminder@2026-12-08#2" {
		t.Errorf("the second firing's item is %q", again)
	}
}

func TestAnEmailSaysWhoItWasForByKindNeverByAddress(t *testing.T) {
	for recipient, want := range map[string]string{
		"com 6b0f": "the COM", "managers N07-T1": "the team's managers",
		"agency_contact E23000001": "the agency's contact mailbox", "agency_escalation E23000001": "the agency's escalation mailbox",
		"": "",
	} {
		if got := (Email{Recipient: recipient, To: "x@example.org"}).RecipientKind(); got != want {
			t.Errorf("%q reads %q, want %q", recipient, got, want)
		}
	}
}
