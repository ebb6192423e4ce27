package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/probation/safeguarding/checks"
)

// Item is one line of a digest: one rung for one check. It holds only what a reader needs to
// find and act on the check: never a name, a date of birth or a response summary.
type Item struct {
	CheckID      string
	Rule         Rule
	CRN          string
	Type         checks.CheckType
	Agency       string
	AgencyName   string
	Status       checks.Status
	DueLabel     string // "Request by" or "Answer due"
	Due          checks.Date
	ReleaseDate  checks.Date
	WorkdaysLeft int
	Link         string
	// Urgent copies the check's flag: the answer is due after the hard stop, on the first
	// working day after the request or the change of release date.
	Urgent bool
	// Basis is the date the rung is based on (see Basis); Earlier is how many times it fired
	// before, against other bases.
	Basis   checks.Date
	Earlier int
	// Was is the due date the agency was given before, for a due_date_changed.
	Was checks.Date
	// RequestedBy is who asked the agency for the check (their name and team), and
	// RequestedAt when: the agency's reader knows whom to call. Empty before a request.
	RequestedBy string
	RequestedAt time.Time
}

// key identifies the item across runs: the outbox remembers which items each email carried.
// It names the basis, so that a rung fired again against a new date is a new item, sent
// once; and from its second firing on the firing's number, so that a date moved back to an
// earlier basis is told again too. A run cut short, or two replicas, compute the same key.
func (it Item) key() string {
	k := it.CheckID + "/" + string(it.Rule) + "@" + it.Basis.String()
	if it.Earlier > 0 {
		k += fmt.Sprintf("#%d", it.Earlier+1)
	}
	return k
}

// What each rule asks of its reader, in the digest.
var (
	headlines = map[Rule]string{
		RequestNotice:      "New request: please run this check and answer by the due date",
		RequestWithdrawn:   "Withdrawn: this request is withdrawn and needs no answer",
		ResponseNotice:     "Answered: read the response and complete the check",
		ResponseDeclined:   "Declined: the agency will not answer this check; decide what probation does next",
		TimeAsked:          "More time asked: the agency proposes a later date; agree or refuse it",
		RequestNotEmailed:  "Not emailed: the agency has no mailbox for requests; contact it another way",
		RequestReminder:    "Request this check today: it is due to be requested",
		ResponseReminder:   "Answer due soon",
		DueDateChanged:     "The due date has changed: please answer by the new date",
		RequestOverdue:     "Overdue: the check has still not been requested",
		ResponseOverdue:    "Overdue: the answer was due and has not come",
		ResponseEscalated:  "Escalated: the answer is well overdue",
		ReleaseImminent:    "Release is close and this check is not complete",
		ReleasedIncomplete: "Released without this check completed",
	}
)

// digest is one email: every item for one recipient in one run, most urgent first.
type digest struct {
	// To is the address, or empty when the recipient has none (Missing says who it was).
	To      string
	Missing string
	Items   []Item
}

// Headline is how an email names what a rung of the ladder is about.
func (r Rule) Headline() string { return headlines[r] }

// recipientKey tells digests apart: the address, or the description of whom it failed to reach.
func (d digest) recipientKey() string {
	if d.To != "" {
		return d.To
	}
	return "undeliverable: " + d.Missing
}

// idempotencyKey is the same for the same recipient and the same items, whichever run or
// replica computes it: the outbox's unique index turns a second insert into a no-op.
func (d digest) idempotencyKey() string {
	keys := make([]string, len(d.Items))
	for i, it := range d.Items {
		keys[i] = it.key()
	}
	slices.Sort(keys)
	return shaHex(d.recipientKey() + "\n" + strings.Join(keys, "\n"))
}

func shaHex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// sortItems puts the most urgent first: the highest rung, then the soonest release.
func sortItems(items []Item) {
	slices.SortStableFunc(items, func(a, b Item) int {
		if ua, ub := rungOf(a.Rule).urgency, rungOf(b.Rule).urgency; ua != ub {
			return ub - ua
		}
		if a.ReleaseDate != b.ReleaseDate {
			if a.ReleaseDate.Before(b.ReleaseDate) {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.CRN, b.CRN); c != 0 {
			return c
		}
		// The order a release shows its checks in: the subject names the first, whichever
		// order the database read them in.
		return typeOrder(a.Type) - typeOrder(b.Type)
	})
}

// typeOrder is a check type's place in checks.TypeInfos.
func typeOrder(t checks.CheckType) int {
	return slices.IndexFunc(checks.TypeInfos(), func(ti checks.TypeInfo) bool { return ti.Type == t })
}

// lines returns what the email lists: one line per check, at its most urgent rung (the
// items are sorted, so the first seen is the most urgent).
func (d digest) lines() []Item {
	seen := map[string]bool{}
	var out []Item
	for _, it := range d.Items {
		if !seen[it.CheckID] {
			seen[it.CheckID] = true
			out = append(out, it)
		}
	}
	return out
}

// reasons name, first in a subject line, what each rung asks of its reader: a mailbox triaged
// by subject sorts on the reason, the check and the date (see digest.subject).
var reasons = map[Rule]string{
	RequestNotice:      "New request",
	RequestWithdrawn:   "Withdrawn",
	ResponseNotice:     "Answered",
	ResponseDeclined:   "Declined",
	TimeAsked:          "More time asked",
	RequestNotEmailed:  "Not emailed",
	RequestReminder:    "Request today",
	ResponseReminder:   "Answer due soon",
	DueDateChanged:     "Due date changed",
	RequestOverdue:     "Not requested",
	ResponseOverdue:    "Overdue",
	ResponseEscalated:  "Escalated",
	ReleaseImminent:    "Release close",
	ReleasedIncomplete: "Released incomplete",
}

// Reason is how an email's subject names what a rung is about ("Overdue").
func (r Rule) Reason() string { return reasons[r] }

// longDate writes a date out, as GOV.UK's style does ("3 November 2026"): an email read in a
// mailbox is not the place for 2026-11-03.
func longDate(d checks.Date) string {
	if d.IsZero() {
		return "not set"
	}
	return d.Midday().Format("2 January 2006")
}

// when is the date a subject gives for an item: the one its reader must act by, or the
// release date once the agency has nothing more to do.
func (it Item) when() string {
	switch {
	case it.Rule == RequestWithdrawn:
		return "no answer needed"
	case it.Rule == ReleasedIncomplete:
		return "released " + longDate(it.ReleaseDate)
	case it.Rule == ReleaseImminent, it.Status == checks.StatusResponded:
		return "release " + longDate(it.ReleaseDate)
	case it.Rule == DueDateChanged:
		return "now due " + longDate(it.Due)
	case it.Status == checks.StatusRequired:
		return "request by " + longDate(it.Due)
	}
	return "due " + longDate(it.Due)
}

// subject is the email's subject line for the recipient who (the kind and key a target
// carries, e.g. "agency_contact E23000001"): the reason, the check, its CRN and its date, as
// "Overdue: DA check for X123456, due 3 November 2026", so that no two emails about different
// checks or dates share a subject (mail programs thread emails by subject). A digest of
// several checks names its most urgent one and counts the others.
func (d digest) subject(who string) string {
	lines := d.lines()
	first := lines[0]
	s := fmt.Sprintf("%s: %s for %s, %s", first.Rule.Reason(), first.Type.Info().Short, first.CRN, first.when())
	switch n := len(lines) - 1; {
	case n == 1:
		s += " – and 1 more check"
	case n > 1:
		s += fmt.Sprintf(" – and %d more checks", n)
	}
	if d.urgentForAgency(who) {
		// A mailbox triaged by subject must see first that an answer is due at once.
		s = "Urgent – " + s
	}
	return s
}

// urgentForAgency reports whether the digest goes to an agency and lists an urgent check it
// has still to answer. Probation's own emails are left as they are: the COM sees the urgency
// on the check, and it is the agency that has to act at once.
func (d digest) urgentForAgency(who string) bool {
	kind, _, _ := strings.Cut(who, " ")
	if r := recipient(kind); r != toAgencyContact && r != toAgencyEscalation {
		return false
	}
	return slices.ContainsFunc(d.lines(), func(it Item) bool { return it.Urgent && it.Status == checks.StatusRequested })
}

type view struct {
	Lines []lineView
	// Support is the address to ask for access or help signing in; empty when none is set.
	Support string
}

type lineView struct {
	Headline     string
	CRN          string
	Type         string
	Agency       string
	DueLabel     string
	Due          string
	ReleaseDate  string
	WorkdaysLeft string
	RequestedBy  string
	Link         string
}

func (d digest) view(support string) view {
	v := view{Support: support}
	for _, it := range d.lines() {
		left := fmt.Sprintf("%d working days", it.WorkdaysLeft)
		switch {
		case it.WorkdaysLeft == 1:
			left = "1 working day"
		case it.WorkdaysLeft == 0:
			left = "release day"
		case it.WorkdaysLeft < 0:
			left = "released"
		}
		due := longDate(it.Due)
		switch {
		case it.Rule == RequestWithdrawn:
			due = "no answer is needed"
		}
		if !it.Was.IsZero() {
			due += " (was " + longDate(it.Was) + ")"
		}
		requested := ""
		if it.RequestedBy != "" {
			requested = it.RequestedBy + ", " + longDate(checks.DateOf(it.RequestedAt))
		}
		v.Lines = append(v.Lines, lineView{
			Headline: headlines[it.Rule], CRN: it.CRN, Type: it.Type.Info().Name + " check",
			Agency: fmt.Sprintf("%s (%s)", it.AgencyName, it.Agency), DueLabel: it.DueLabel, Due: due,
			ReleaseDate: longDate(it.ReleaseDate), WorkdaysLeft: left, RequestedBy: requested, Link: it.Link,
		})
	}
	return v
}

const textBody = `These safeguarding checks need your attention, most urgent first.
{{range .Lines}}
{{.Headline}}
  CRN:            {{.CRN}}
  Check:          {{.Type}}
  Agency:         {{.Agency}}
  {{printf "%-15s" (print .DueLabel ":")}} {{.Due}}
  Release date:   {{.ReleaseDate}} ({{.WorkdaysLeft}})
{{- with .RequestedBy}}
  Requested by:   {{.}}{{end}}
  Open:           {{.Link}}
{{end}}
Sign in to see the details. This email holds no personal details on purpose: please do not
reply with any.

{{if .Support}}To get access to this service, or for help signing in, email {{.Support}}.
{{- else}}To get access to this service, or for help signing in, ask the probation team that
sent this email.{{end}}
`

const htmlBody = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Safeguarding checks</title></head>
<body style="font-family: Arial, sans-serif; color: #0b0c0c;">
<p>These safeguarding checks need your attention, most urgent first.</p>
<table style="border-collapse: collapse;">
<thead><tr>{{range $h := headers}}<th scope="col" style="text-align: left; border-bottom: 2px solid #b1b4b6; padding: 4px 8px;">{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{range .Lines}}<tr>
<td style="padding: 4px 8px; border-bottom: 1px solid #b1b4b6;"><strong>{{.Headline}}</strong></td>
<td style="padding: 4px 8px; border-bottom: 1px solid #b1b4b6;">{{.CRN}}</td>
<td style="padding: 4px 8px; border-bottom: 1px solid #b1b4b6;">{{.Type}}</td>
<td style="padding: 4px 8px; border-bottom: 1px solid #b1b4b6;">{{.Agency}}</td>
<td style="padding: 4px 8px; border-bottom: 1px solid #b1b4b6;">{{.DueLabel}} {{.Due}}</td>
<td style="padding: 4px 8px; border-bottom: 1px solid #b1b4b6;">{{.ReleaseDate}} ({{.WorkdaysLeft}})</td>
<td style="padding: 4px 8px; border-bottom: 1px solid #b1b4b6;">{{with .RequestedBy}}{{.}}{{else}}Not yet requested{{end}}</td>
<td style="padding: 4px 8px; border-bottom: 1px solid #b1b4b6;"><a href="{{.Link}}">Open</a></td>
</tr>
{{end}}</tbody>
</table>
<p>Sign in to see the details. This email holds no personal details on purpose: please do not reply with any.</p>
<p>{{if .Support}}To get access to this service, or for help signing in, email <a href="mailto:{{.Support}}">{{.Support}}</a>.{{else}}To get access to this service, or for help signing in, ask the probation team that sent this email.{{end}}</p>
</body></html>
`

// templates are parsed once per Escalator.
type templates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

func newTemplates() templates {
	headers := func() []string {
		return []string{"What", "CRN", "Check", "Agency", "Date", "Release", "Requested by", "Link"}
	}
	return templates{
		text: texttemplate.Must(texttemplate.New("text").Parse(textBody)),
		html: htmltemplate.Must(htmltemplate.New("html").Funcs(htmltemplate.FuncMap{"headers": headers}).Parse(htmlBody)),
	}
}

func (t templates) render(d digest, support string) (text, html string, err error) {
	var tb, hb bytes.Buffer
	v := d.view(support)
	if err := t.text.Execute(&tb, v); err != nil {
		return "", "", fmt.Errorf("render text: %w", err)
	}
	if err := t.html.Execute(&hb, v); err != nil {
		return "", "", fmt.Errorf("render html: %w", err)
	}
	return tb.String(), hb.String(), nil
}
