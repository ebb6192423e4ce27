package notify_test

import (
	"context"
	"net/mail"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

// Emails a mailbox can triage (issue 15): a subject naming the reason, the check, the CRN
// and the date; a sender's name; who asked; and how to get access.

func TestARequestEmailSaysWhoItIsFromWhoAskedAndHowToGetAccess(t *testing.T) {
	tests := []struct {
		name    string
		support string
		access  string
	}{
		{"with a support address, the email gives it", supportEmail,
			"To get access to this service, or for help signing in, email " + supportEmail + "."},
		{"without one, the email says to ask probation", "",
			"To get access to this service, or for help signing in, ask the probation team that sent this email."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.esc.Support = tt.support
			r := f.release(t)
			// Requested on Tuesday 24 November 2026 at 09:00: due ten working days later.
			if _, err := f.svc.RequestCheck(context.Background(), f.com, checkOf(t, r, checks.TypeDomesticAbuse).ID, nil, ""); err != nil {
				t.Fatal(err)
			}
			f.sweep(t)
			msgs := f.smtp.To(metContact)
			if len(msgs) != 1 {
				t.Fatalf("the Met's contact got %d emails, want 1", len(msgs))
			}
			m := msgs[0]
			if want := "New request: DA check for X123456, due 8 December 2026"; m.Subject() != want {
				t.Errorf("subject %q, want %q", m.Subject(), want)
			}
			from, err := mail.ParseAddress(m.Header.Get("From"))
			if err != nil || from.Name != "Safeguarding checks" || from.Address != "safeguarding@probation.example.org" {
				t.Errorf("From %q (%v), want Safeguarding checks <safeguarding@probation.example.org>", m.Header.Get("From"), err)
			}
			text := m.Text()
			for _, want := range []string{
				"Answer due:     8 December 2026",
				"Release date:   15 February 2027",
				"Requested by:   Colm Oman (team N07-T1), 24 November 2026",
			} {
				if !strings.Contains(text, want) {
					t.Errorf("the email lacks %q:\n%s", want, text)
				}
			}
			// The sentence may be wrapped.
			if !strings.Contains(strings.Join(strings.Fields(text), " "), tt.access) {
				t.Errorf("the email lacks %q:\n%s", tt.access, text)
			}
			if strings.Contains(text, "2026-12-08") || strings.Contains(text, "2027-02-15") {
				t.Errorf("the email writes a date as digits:\n%s", text)
			}
			assertNoPersonalData(t, m)
		})
	}
}

func TestAReminderOfACheckNeverRequestedNamesNoRequester(t *testing.T) {
	f := newFixture(t)
	f.release(t)
	f.at(t, "2027-01-04 07:00")
	f.run(t)
	msgs := f.smtp.To(comEmail)
	if len(msgs) != 1 {
		t.Fatalf("the COM got %d emails, want 1", len(msgs))
	}
	if want := "Request today: DA check for X123456, request by 4 January 2027 – and 1 more check"; msgs[0].Subject() != want {
		t.Errorf("subject %q, want %q", msgs[0].Subject(), want)
	}
	if strings.Contains(msgs[0].Text(), "Requested by:") {
		t.Errorf("a check never requested names a requester:\n%s", msgs[0].Text())
	}
	assertNoPersonalData(t, msgs[0])
}
