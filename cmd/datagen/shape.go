package main

// The shape of the generated data: what one release, its two checks and their audit trail
// look like, decided by a random source of its own (so that releases can be made in parallel
// and the same seed makes the same data).
//
// A release's life is a timeline: recorded some weeks before the release date, each check
// requested around its request-by date (some late), answered within days (some after the
// due date), completed days later; some checks are marked not required, some releases are
// cancelled. What happens after now does not happen yet, so releases in the next months
// have open checks and older ones are closed. The escalation records are the rungs the
// ladder fired along the way; for open checks, every rung due before today is recorded, so
// that a run today finds only what became due today, as in a database in daily use.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

const day = 24 * time.Hour

// person is a user the data refers to.
type person struct {
	id, name, email string
}

// team is one probation team: its COMs and managers, and the agencies of its area (where
// most of its releases go).
type team struct {
	code     string
	coms     []person
	managers []person
	police   string
	council  string
}

// agencyBox is an agency's two mailboxes.
type agencyBox struct{ contact, escalation string }

// world is everything a release is made from.
type world struct {
	now       time.Time
	today     checks.Date
	deadlines checks.Deadlines
	ladder    notify.Ladder
	seed      uint64
	// Releases are spread evenly from back days before today to ahead days after it.
	back, ahead int
	teams       []team
	police      []string // every police force
	councils    []string // every local authority with children's services
	liaisons    map[string]person
	boxes       map[string]agencyBox
}

// generated is one release with what belongs to it.
type generated struct {
	release checks.Release
	checks  []checks.Check
	audit   []checks.AuditEntry
}

// event is one thing that happened to a check, in time order.
type event struct {
	at     time.Time
	action checks.Action
	by     person
	role   checks.Role
	note   string
}

var (
	givenNames = []string{"Jordan", "Sam", "Alex", "Chris", "Jamie", "Robin", "Taylor", "Morgan", "Casey", "Drew",
		"Aisha", "Ben", "Callum", "Dylan", "Ellis", "Farah", "Gareth", "Harvey", "Imran", "Jade", "Kyle", "Liam",
		"Mason", "Nathan", "Owen", "Priya", "Reece", "Shane", "Tyler", "Wayne"}
	familyNames = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright",
		"Evans", "Thomas", "Roberts", "Walker", "Robinson", "Khan", "Hughes", "Edwards", "Green", "Hall", "Wood",
		"Clarke", "Jackson", "Hill", "Lewis", "Harris", "Martin", "Cooper", "Ward", "Morris"}
	prisons = []string{"LEI", "PVI", "BWI", "WWI", "HDI", "BMI", "NMI", "WDI", "DMI", "EXI", "BLI", "CFI", "DWI",
		"HLI", "LPI", "MRI", "NLI", "PNI", "RNI", "SLI", "WLI", "WCI", "ONI", "SPI", "BXI", "HII", "LWI", "NWI"}
	summaries = []string{
		"No domestic abuse call-outs or intelligence held for the release address or the named household members.",
		"Two call-outs to the release address in 2024 (verbal argument, no arrest). No current bail conditions or " +
			"protective orders. Previous partner known to police; contact the MASH for the full record if a new " +
			"relationship is declared.",
		"The children at the address are known to children's services: a child in need plan closed in 2023. No " +
			"current involvement. The allocated social worker at the time can be reached through the front door.",
		"Non-molestation order in force until next year protecting a former partner, who does not live at the " +
			"release address. One child of the household subject to a child protection plan (neglect), reviewed monthly.",
		"Nothing held on the person or the address. The household members are not known to the service.",
		"We cannot share this: the information is held under an ongoing investigation. Ask the MASH manager for a " +
			"professionals meeting before release.",
	}
	completionNotes = []string{
		"Read and discussed with the person. No change to the risk management plan.",
		"Licence condition added: disclose new relationships to the COM. Home visit booked for the week of release.",
		"Risk assessment updated (RoSH medium to children). Referral to the local MARAC made.",
		"Release address not approved; alternative accommodation being sought. Checks to be repeated for the new address.",
	}
	notRequiredReasons = []string{
		"Released to an approved premises outside the area: checks are run by the receiving team.",
		"No children in the household or in contact, confirmed with the person and the prison.",
		"Deportation on release: no address in England and Wales.",
	}
	cancelReasons = []string{"Sentence recalculated: release date now unknown", "Further charges: remanded in custody", "Died in custody"}
)

// at is a time on day d, h hours and m minutes after midnight in London.
func at(d checks.Date, h, m int) time.Time {
	return d.Start().Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute).UTC()
}

// workTime is a random time in working hours on day d.
func workTime(r *rand.Rand, d checks.Date) time.Time {
	return at(d, 9+r.IntN(8), r.IntN(60))
}

// releaseDate spreads releases evenly over the window, on working days: a release falls
// on a weekday (a Saturday's moves to the Friday, a Sunday's to the Monday).
func (w *world) releaseDate(r *rand.Rand) checks.Date {
	d := w.today.AddDays(r.IntN(w.back+w.ahead) - w.back + 1)
	switch d.Weekday() {
	case time.Saturday:
		d = d.AddDays(-1)
	case time.Sunday:
		d = d.AddDays(1)
	}
	return d
}

// objectID is an id made at t, as the service makes them (its first four bytes are the
// time), so that ids grow with time as in a database in use.
func objectID(r *rand.Rand, t time.Time) string {
	id := bson.NewObjectIDFromTimestamp(t)
	// NewObjectIDFromTimestamp leaves the other eight bytes zero: fill them.
	for i := 4; i < 12; i++ {
		id[i] = byte(r.UintN(256))
	}
	return id.Hex()
}

// release makes release number i (0-based) with its checks and audit entries.
func (w *world) release(i int) generated {
	r := rand.New(rand.NewPCG(w.seed, uint64(i)))
	tm := w.teams[r.IntN(len(w.teams))]
	com := tm.coms[r.IntN(len(tm.coms))]
	date := w.releaseDate(r)
	created := workTime(r, date.AddDays(-(50 + r.IntN(120))))
	if !created.Before(w.now) {
		created = w.now.Add(-time.Duration(1+r.IntN(30*24)) * time.Hour)
	}
	police, council := tm.police, tm.council
	if r.IntN(100) < 15 { // moving out of the team's area
		police = w.police[r.IntN(len(w.police))]
		council = w.councils[r.IntN(len(w.councils))]
	}
	rel := checks.Release{
		ID:          objectID(r, created),
		CRN:         fmt.Sprintf("%c%06d", 'A'+(i/1_000_000)%26, i%1_000_000),
		NOMSNumber:  fmt.Sprintf("%c%04d%c%c", 'A'+r.IntN(26), r.IntN(10_000), 'A'+r.IntN(26), 'A'+r.IntN(26)),
		FullName:    givenNames[r.IntN(len(givenNames))] + " " + familyNames[r.IntN(len(familyNames))],
		DateOfBirth: date.AddDays(-(18*365 + r.IntN(50*365))),
		ReleaseDate: date, PrisonCode: prisons[r.IntN(len(prisons))],
		Team: tm.code, COMID: com.id, PoliceForce: police, LocalAuthority: council,
		Status: checks.ReleaseActive, CreatedAt: created, CreatedBy: com.id, UpdatedAt: created, Version: 1,
	}
	g := generated{}
	g.audit = append(g.audit, w.auditEntry(r, created, com, checks.RoleCOM, "release.create", checks.ResourceRelease, rel.ID, rel.ID,
		checks.Change{Field: "crn", After: rel.CRN}, checks.Change{Field: "release_date", After: date.String()},
		checks.Change{Field: "team", After: rel.Team}, checks.Change{Field: "police_force", After: police},
		checks.Change{Field: "local_authority", After: council}))

	// Some releases are redated once, early on; some are cancelled before they happen.
	var redated time.Time
	if r.IntN(100) < 8 {
		redated = created.Add(time.Duration(1+r.IntN(10)) * day)
		if redated.Before(w.now) {
			rel.Version++
			rel.UpdatedAt = redated
			g.audit = append(g.audit, w.auditEntry(r, redated, com, checks.RoleCOM, "release.update", checks.ResourceRelease, rel.ID, rel.ID,
				checks.Change{Field: "release_date", Before: date.AddDays(7 * (1 + r.IntN(4))).String(), After: date.String()}))
		} else {
			redated = time.Time{}
		}
	}
	var cancelled time.Time
	if r.IntN(100) < 2 {
		cancelled = workTime(r, date.AddDays(-(1 + r.IntN(40))))
		if !cancelled.After(created) {
			cancelled = created.Add(day)
		}
		if cancelled.Before(w.now) {
			rel.Status, rel.CancelReason = checks.ReleaseCancelled, cancelReasons[r.IntN(len(cancelReasons))]
			rel.Version++
			rel.UpdatedAt = cancelled
			g.audit = append(g.audit, w.auditEntry(r, cancelled, com, checks.RoleCOM, "release.cancel", checks.ResourceRelease, rel.ID, rel.ID,
				checks.Change{Field: "status", Before: "active", After: "cancelled"}))
		} else {
			cancelled = time.Time{}
		}
	}

	for _, t := range checks.CheckTypes() {
		c, audit := w.check(r, rel, t, tm, com, redated, cancelled)
		rel.Slots = append(rel.Slots, checks.Slot{CheckID: c.ID, Type: t, Agency: c.Agency})
		g.checks = append(g.checks, c)
		g.audit = append(g.audit, audit...)
	}
	g.release = rel
	return g
}

// check makes one check of rel: its timeline up to now, the history and state that timeline
// leaves, its escalation records and its audit entries.
func (w *world) check(r *rand.Rand, rel checks.Release, t checks.CheckType, tm team, com person, redated, cancelled time.Time) (checks.Check, []checks.AuditEntry) {
	agency := rel.Agency(t)
	liaison := w.liaisons[agency]
	c := checks.Check{
		ID: objectID(r, rel.CreatedAt), ReleaseID: rel.ID, Type: t, Agency: agency, Status: checks.StatusRequired,
		RequestBy: w.deadlines.RequestBy(rel.ReleaseDate), Version: 1,
		CRN: rel.CRN, FullName: rel.FullName, DateOfBirth: rel.DateOfBirth, ReleaseDate: rel.ReleaseDate,
		Team: rel.Team, COMID: rel.COMID, Escalations: map[string]checks.Escalation{},
	}
	events := []event{{at: rel.CreatedAt, action: checks.ActionCreate, by: com, role: checks.RoleCOM}}
	if !redated.IsZero() {
		events = append(events, event{at: redated, action: checks.ActionReleaseChanged, by: com, role: checks.RoleCOM, note: "release date changed"})
	}

	// The planned timeline; what lies after now (or after a cancellation) does not happen.
	var requested, responded time.Time
	var due checks.Date
	outcome := checks.OutcomeNoInformation
	switch n := r.IntN(100); {
	case n < 33:
		outcome = checks.OutcomeInformationHeld
	case n < 42:
		outcome = checks.OutcomeDeclined
	}
	if r.IntN(100) < 7 {
		events = append(events, event{at: rel.CreatedAt.Add(time.Duration(1+r.IntN(15)) * day), action: checks.ActionNotRequired,
			by: com, role: checks.RoleCOM, note: notRequiredReasons[r.IntN(len(notRequiredReasons))]})
	} else {
		requested = workTime(r, c.RequestBy.AddDays(-r.IntN(15)))
		if r.IntN(100) < 12 { // requested late
			requested = requested.Add(time.Duration(1+r.IntN(8)) * day)
		}
		if !requested.After(rel.CreatedAt) {
			requested = rel.CreatedAt.Add(time.Duration(1+r.IntN(48)) * time.Hour)
		}
		due = w.deadlines.ResponseDue(requested, rel.ReleaseDate)
		responded = requested.Add(time.Duration(1+r.IntN(10))*day + time.Duration(r.IntN(8))*time.Hour)
		if r.IntN(100) < 15 { // answered late
			responded = workTime(r, due.AddDays(1+r.IntN(6)))
		}
		if !responded.After(requested) {
			responded = requested.Add(4 * time.Hour)
		}
		completed := responded.Add(time.Duration(1+r.IntN(6))*day + time.Duration(r.IntN(6))*time.Hour)
		events = append(events, event{at: requested, action: checks.ActionRequest, by: com, role: checks.RoleCOM})
		if r.IntN(100) < 15 {
			events = append(events, event{at: requested.Add(responded.Sub(requested) / 2), action: checks.ActionNote, by: liaison, role: checks.RoleLiaison,
				note: "Waiting for the records of a neighbouring force; we will answer by the due date."})
		}
		events = append(events,
			event{at: responded, action: checks.ActionRespond, by: liaison, role: checks.RoleLiaison},
			event{at: completed, action: checks.ActionComplete, by: com, role: checks.RoleCOM, note: completionNotes[r.IntN(len(completionNotes))]})
	}

	// The redating may fall anywhere among the others.
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	var audit []checks.AuditEntry
	happened := 0
	for _, e := range events {
		if !e.at.Before(w.now) {
			break
		}
		if !cancelled.IsZero() && e.at.After(cancelled) {
			break
		}
		happened++
	}
	events = events[:happened]
	if !cancelled.IsZero() && statusAfter(events).Open() {
		events = append(events, event{at: cancelled, action: checks.ActionWithdraw, by: com, role: checks.RoleCOM, note: "release cancelled: " + rel.CancelReason})
	}
	for k, e := range events {
		h := checks.HistoryEntry{At: e.at, ActorID: e.by.id, ActorName: e.by.name, Role: e.role, Action: e.action, Note: e.note}
		from := c.Status
		switch e.action {
		case checks.ActionCreate:
			h.To = checks.StatusRequired
		case checks.ActionRequest:
			c.Status, c.RequestedAt, c.RequestedBy, c.DueDate = checks.StatusRequested, e.at, e.by.id, due
		case checks.ActionRespond:
			c.Status = checks.StatusResponded
			c.Response = &checks.Response{Outcome: outcome, Summary: summaries[r.IntN(len(summaries))], RespondedAt: e.at,
				RespondedBy: e.by.id, RespondedByName: e.by.name}
		case checks.ActionComplete:
			c.Status, c.CompletedAt, c.CompletedBy, c.CompletionNote = checks.StatusCompleted, e.at, e.by.id, e.note
			h.Note = ""
		case checks.ActionNotRequired:
			c.Status, c.NotRequiredReason = checks.StatusNotRequired, e.note
		case checks.ActionWithdraw:
			c.Status, c.WithdrawnReason = checks.StatusWithdrawn, e.note
		}
		if e.action != checks.ActionCreate && e.action != checks.ActionNote && e.action != checks.ActionReleaseChanged {
			h.From, h.To = from, c.Status
		}
		c.History = append(c.History, h)
		if k > 0 {
			c.Version++
		}
		changes := []checks.Change{{Field: "status", Before: string(from), After: string(c.Status)}}
		if e.action == checks.ActionCreate {
			changes = []checks.Change{{Field: "status", After: string(c.Status)}, {Field: "agency", After: agency},
				{Field: "request_by", After: c.RequestBy.String()}}
		}
		audit = append(audit, w.auditEntry(r, e.at, e.by, e.role, "check."+string(e.action), checks.ResourceCheck, c.ID, rel.ID, changes...))
		// The COM reads the answer (and the summary read is audited) soon after it comes.
		if e.action == checks.ActionRespond {
			read := e.at.Add(time.Duration(1+r.IntN(20)) * time.Hour)
			if read.Before(w.now) {
				audit = append(audit, w.auditEntry(r, read, com, checks.RoleCOM, "check.read_summary", checks.ResourceCheck, c.ID, rel.ID))
			}
		}
	}
	w.escalations(&c, tm, com, rel.ReleaseDate, events)
	return c, audit
}

// statusAfter is the status a check has after events.
func statusAfter(events []event) checks.Status {
	st := checks.StatusRequired
	for _, e := range events {
		switch e.action {
		case checks.ActionRequest:
			st = checks.StatusRequested
		case checks.ActionRespond:
			st = checks.StatusResponded
		case checks.ActionComplete:
			st = checks.StatusCompleted
		case checks.ActionNotRequired:
			st = checks.StatusNotRequired
		case checks.ActionWithdraw:
			st = checks.StatusWithdrawn
		}
	}
	return st
}

// escalations records on c the rungs of the ladder that fired along its timeline: the
// notices a minute after a request and an answer, and each dated rung at 07:00 on the day
// it became due while the check still stood where the rung applies. For an open check,
// every rung due by yesterday is recorded (the ladder itself decides which), so that a run
// today finds only what is new today.
func (w *world) escalations(c *checks.Check, tm team, com person, release checks.Date, events []event) {
	cal := w.deadlines.Calendar
	th := w.ladder.Thresholds
	box := w.boxes[c.Agency]
	var managers []string
	for _, m := range tm.managers {
		managers = append(managers, m.email)
	}
	to := func(rule notify.Rule) []string {
		switch rule {
		case notify.RequestNotice, notify.ResponseReminder, notify.DueDateChanged, notify.RequestWithdrawn:
			return []string{box.contact}
		case notify.ResponseNotice, notify.RequestReminder:
			return []string{com.email}
		case notify.RequestOverdue:
			return append([]string{com.email}, managers...)
		case notify.ResponseOverdue:
			return []string{box.contact, com.email}
		case notify.ResponseEscalated:
			return append([]string{box.escalation}, managers...)
		case notify.ReleaseImminent:
			if c.Status == checks.StatusRequired || c.Status == checks.StatusResponded {
				return append([]string{com.email}, managers...)
			}
			return append(append([]string(nil), managers...), box.escalation)
		}
		return append([]string(nil), managers...)
	}
	fire := func(rule notify.Rule, t time.Time) {
		if t.Before(w.now) {
			due := c.DueDate
			if c.Status == checks.StatusRequired {
				due = c.RequestBy
			}
			c.Escalations[string(rule)] = checks.Escalation{At: t, AsOf: t, Basis: notify.Basis(rule, *c), Due: due, To: to(rule)}
		}
	}
	// When each stage began and ended: requested from..until, etc.; zero when never.
	var requested, responded, closed time.Time
	for _, e := range events {
		switch e.action {
		case checks.ActionRequest:
			requested = e.at
		case checks.ActionRespond:
			responded = e.at
		case checks.ActionComplete, checks.ActionNotRequired, checks.ActionWithdraw:
			closed = e.at
		}
	}
	// before reports whether a stage (a time, zero when never reached) was not yet reached
	// at time t.
	before := func(stage, t time.Time) bool { return stage.IsZero() || stage.After(t) }
	if !requested.IsZero() {
		fire(notify.RequestNotice, requested.Add(30*time.Second))
	}
	if !responded.IsZero() {
		fire(notify.ResponseNotice, responded.Add(30*time.Second))
		if c.Response != nil && c.Response.Outcome == checks.OutcomeDeclined {
			fire(notify.ResponseDeclined, responded.Add(30*time.Second))
		}
	}
	if c.Status == checks.StatusWithdrawn && !requested.IsZero() {
		fire(notify.RequestWithdrawn, closed.Add(30*time.Second))
	}
	if c.Status.Open() {
		// The ladder as of yesterday, on the state the check has now.
		yesterday := w.today.AddDays(-1)
		for _, rule := range w.ladder.Due(*c, yesterday, nil) {
			fire(rule, at(yesterday, 7, 0))
		}
		return
	}
	if !closed.IsZero() && requested.IsZero() {
		return // marked not required (or withdrawn) before any request
	}
	run := func(d checks.Date) time.Time { return at(d, 7, 0) }
	if t := run(c.RequestBy); before(requested, t) && before(closed, t) {
		fire(notify.RequestReminder, t)
	}
	if t := run(cal.AddWorkdays(c.RequestBy, th.RequestOverdueDays)); before(requested, t) && before(closed, t) {
		fire(notify.RequestOverdue, t)
	}
	if !c.DueDate.IsZero() {
		if t := run(cal.AddWorkdays(c.DueDate, -th.ResponseReminderDays)); !requested.After(t) && before(responded, t) && before(closed, t) {
			fire(notify.ResponseReminder, t)
		}
		if t := run(c.DueDate.AddDays(1)); !requested.After(t) && before(responded, t) && before(closed, t) {
			fire(notify.ResponseOverdue, t)
		}
		if t := run(cal.AddWorkdays(c.DueDate, th.ResponseEscalationDays)); !requested.After(t) && before(responded, t) && before(closed, t) {
			fire(notify.ResponseEscalated, t)
		}
	}
	if t := run(cal.AddWorkdays(release, -th.ReleaseImminentDays)); before(closed, t) {
		fire(notify.ReleaseImminent, t)
	}
	if t := run(release.AddDays(1)); before(closed, t) {
		fire(notify.ReleasedIncomplete, t)
	}
}

// auditEntry is an entry of the audit trail, made at t.
func (w *world) auditEntry(r *rand.Rand, t time.Time, by person, role checks.Role, action, resource, id, releaseID string, changes ...checks.Change) checks.AuditEntry {
	return checks.AuditEntry{ID: objectID(r, t), At: t, ActorID: by.id, ActorName: by.name, Role: role, Action: action,
		Resource: resource, ResourceID: id, ReleaseID: releaseID, Changes: changes}
}
