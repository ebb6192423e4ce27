package notify

import (
	"slices"
	"strings"

	"github.com/probation/safeguarding/checks"
)

// Firing is one time a rung of the ladder fired for a check, as the check records it, with
// the item its emails carried in the outbox.
type Firing struct {
	Rule Rule
	checks.Escalation
	// Item is the outbox item the emails of this firing carry (see Item.key).
	Item string
}

// Firings lists every rung that fired for c, the earlier firings of a rung against other
// dates included, newest first: what a page shows as the emails sent about a check.
func Firings(c checks.Check) []Firing {
	var out []Firing
	for name, rec := range c.Escalations {
		rule := Rule(name)
		all := append(slices.Clone(rec.Earlier), rec)
		for n, e := range all {
			e.Earlier = nil
			out = append(out, Firing{Rule: rule, Escalation: e, Item: Item{CheckID: c.ID, Rule: rule, Basis: e.Basis, Earlier: n}.key()})
		}
	}
	slices.SortFunc(out, func(a, b Firing) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(string(a.Rule), string(b.Rule))
	})
	return out
}

// RecipientKind says in words who an email was for: "the COM", "the team's managers", "the
// agency's contact mailbox" or "the agency's escalation mailbox" (never an address or a name).
func (e Email) RecipientKind() string {
	kind, _, _ := strings.Cut(e.Recipient, " ")
	return map[recipient]string{
		toCOM: "the COM", toManagers: "the team's managers",
		toAgencyContact: "the agency's contact mailbox", toAgencyEscalation: "the agency's escalation mailbox",
	}[recipient(kind)]
}
