package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// A request withdrawn (here: its release cancelled) is told to the agency that was asked,
// within the notice sweep, once, and without the reason; an agency never asked hears nothing.
func TestAnAgencyAskedForACheckIsToldOnceThatItIsWithdrawnAndNeverWhy(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.release(t)
	da := checkOf(t, r, checks.TypeDomesticAbuse)
	// The Met is asked for the DA check; the City of London's check is never requested.
	f.at(t, "2027-02-01 10:00")
	if _, err := f.svc.RequestCheck(ctx, f.com, da.ID, nil, ""); err != nil {
		t.Fatal(err)
	}
	f.sweep(t)
	f.smtp.Reset()

	const reason = "Recalled to custody after a breach at the hostel"
	if _, err := f.svc.CancelRelease(ctx, f.com, r.ID, nil, reason); err != nil {
		t.Fatal(err)
	}
	f.sweep(t)
	msgs := f.received()
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != metContact || headline(msgs[0]) != notify.RequestWithdrawn {
		var got []string
		for _, m := range msgs {
			got = append(got, strings.Join(m.To, ",")+": "+string(headline(m)))
		}
		t.Fatalf("emails after the cancellation: %q, want one request_withdrawn to the Met's contact", got)
	}
	text := msgs[0].Text()
	for _, leak := range []string{reason, "Recalled", "cancel"} {
		if strings.Contains(text, leak) {
			t.Errorf("the withdrawal email carries %q:\n%s", leak, text)
		}
	}
	if !strings.Contains(text, "no answer is needed") || !strings.Contains(text, "X123456") {
		t.Errorf("the withdrawal email does not say, by CRN, that no answer is needed:\n%s", text)
	}
	assertNoPersonalData(t, msgs[0])

	// Neither the next sweep nor the daily run tells it again.
	f.sweep(t)
	f.at(t, "2027-02-02 07:00")
	f.run(t)
	if msgs := f.received(); len(msgs) != 0 {
		t.Errorf("%d more emails after the withdrawal was told, want none", len(msgs))
	}
}
