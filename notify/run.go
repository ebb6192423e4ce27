package notify

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/probation/safeguarding/checks"
)

// checkSource is what a run needs of the checks store.
type checkSource interface {
	// OpenChecks streams the checks in one of the statuses (changed since a time, when not
	// zero) to fn.
	OpenChecks(ctx context.Context, statuses []checks.Status, changedSince time.Time, fn func(checks.Check) error) error
	// MarkEscalation records that a rung fired against e.Basis, unless it already had for
	// that basis (e.Earlier ends with the record it replaces, if any).
	MarkEscalation(ctx context.Context, checkID, rule string, e checks.Escalation) (bool, error)
	// AdoptEscalation writes a basis on a record written before bases were kept.
	AdoptEscalation(ctx context.Context, checkID, rule string, basis, due checks.Date) (bool, error)
	// Lease takes the named lease for holder until until, if it is free at now or already
	// holder's; EndLease gives it up.
	Lease(ctx context.Context, name, holder string, now, until time.Time) (bool, error)
	EndLease(ctx context.Context, name, holder string) error
}

// directory finds the people and mailboxes a rung goes to.
type directory interface {
	AllUsers(ctx context.Context) ([]checks.User, error)
	AllAgencies(ctx context.Context) ([]checks.Agency, error)
}

// Observer is told what the escalation and the sender do, for metrics.
type Observer interface {
	Recorded(rule Rule)
	Attempted(failed bool)
}

type noObserver struct{}

func (noObserver) Recorded(Rule)  {}
func (noObserver) Attempted(bool) {}

// Escalator runs the ladder: it finds the rungs due as of a time, queues one digest per
// recipient in the outbox, then records on each check that the rung fired.
type Escalator struct {
	// Observe is told of every rung recorded; nobody by default.
	Observe Observer
	// Support is the address every email gives for getting access to the service or help
	// signing in (SAFEGUARDING_SUPPORT_EMAIL); empty, the emails say to ask probation.
	Support string

	checks    checkSource
	directory directory
	outbox    queue
	ladder    Ladder
	clock     checks.Clock
	baseURL   string
	templates templates
	log       *slog.Logger
	// holder names this escalator's turn at the run lease.
	holder string
}

// NewEscalator returns an escalator. Links in emails start with baseURL.
func NewEscalator(store checkSource, dir directory, outbox queue, ladder Ladder, clock checks.Clock, baseURL string, log *slog.Logger) *Escalator {
	return &Escalator{
		Observe: noObserver{}, checks: store, directory: dir, outbox: outbox, ladder: ladder, clock: clock,
		baseURL: strings.TrimSuffix(baseURL, "/"), templates: newTemplates(), log: log,
		holder: rand.Text(),
	}
}

// RunOptions say what a run looks at and whether it writes.
type RunOptions struct {
	// AsOf is the time the run stands at; zero means now.
	AsOf time.Time
	// DryRun computes the plan and writes nothing.
	DryRun bool
	// Rules limits the run to these rules (nil: every rule).
	Rules map[Rule]bool
	// ChangedSince limits the run to the checks changed since then (zero: every open check).
	// The notice sweep looks at the last hour's changes only; the daily run, and the sweep at
	// start-up, at every open check, so that nothing a pause missed is left behind.
	ChangedSince time.Time
}

// Plan is what a run decided: which rung for which check to whom, and the emails.
type Plan struct {
	AsOf    time.Time
	DryRun  bool
	Checked int // open checks looked at
	Items   []PlanItem
	Emails  []PlanEmail
	// Adopted counts the records written before bases were kept that this run gave the basis
	// they count as fired for (none in a dry run).
	Adopted int
}

// PlanItem is one rung for one check.
type PlanItem struct {
	CheckID string
	CRN     string
	Type    checks.CheckType
	Agency  string
	Rule    Rule
	// Basis is the date the rung is based on (see Basis).
	Basis         checks.Date
	To            []string
	Undeliverable []string
	// Recorded reports whether this run wrote the escalation on the check (false in a dry
	// run, or when another run recorded it first).
	Recorded bool
}

// PlanEmail is one digest.
type PlanEmail struct {
	Key     string
	To      string
	Missing string
	Subject string
	Items   int
	// Queued is false in a dry run, or when the same email was already in the outbox.
	Queued bool
}

// Counts summarises a plan for logs and metrics.
func (p Plan) Counts() (items, emails, undeliverable int) {
	for _, e := range p.Emails {
		if e.To == "" {
			undeliverable++
		}
	}
	return len(p.Items), len(p.Emails), undeliverable
}

// due is one rung due for one check, with where it goes.
type due struct {
	check   checks.Check
	item    Item
	targets []target
}

// target is one recipient of a rung: an address, or whom it could not reach.
type target struct {
	to        string
	missing   string
	recipient string // kind and key, to find the address again on retry
}

func (t target) key() string { return digest{To: t.to, Missing: t.missing}.recipientKey() }

// Run runs the ladder once, in five stages:
//
//   - select: stream the open checks from the store;
//   - decide: which rungs of the ladder are due for each, as of the run's day;
//   - address: to whom each rung goes (or whom it cannot reach, for want of an address);
//   - queue: one digest per recipient, put in the outbox, leaving out what a run cut short
//     already queued;
//   - record: write on each check that its rung fired, and against which date, once every
//     email is queued; and write today's basis on the records of the run's rules written
//     before bases were kept (see unbased).
//
// A dry run stops after the emails are composed, writing nothing. Runs that write take turns
// across replicas (see turn).
func (e *Escalator) Run(ctx context.Context, opts RunOptions) (Plan, error) {
	if err := futureRun(opts, e.clock.Now()); err != nil {
		return Plan{}, err
	}
	if !opts.DryRun {
		end, err := e.turn(ctx)
		if err != nil {
			return Plan{}, err
		}
		defer end()
	}
	now := e.clock.Now().UTC().Truncate(time.Millisecond)
	asOf := opts.AsOf
	if asOf.IsZero() {
		asOf = now
	}
	asOf = asOf.UTC().Truncate(time.Millisecond)
	plan := Plan{AsOf: asOf, DryRun: opts.DryRun, Items: []PlanItem{}, Emails: []PlanEmail{}}
	today := checks.DateOf(asOf)

	book := newAddressBook(e.directory)
	var dues []due
	var olds []adoption
	err := e.selectOpen(ctx, opts, func(c checks.Check) error {
		plan.Checked++
		olds = append(olds, e.unbased(c, opts.Rules)...)
		for _, it := range e.decide(c, today, opts.Rules) {
			d, err := e.address(ctx, book, c, it)
			if err != nil {
				return err
			}
			dues = append(dues, d)
		}
		return nil
	})
	if err != nil {
		return plan, fmt.Errorf("find due escalations: %w", err)
	}
	if plan.Emails, err = e.queue(ctx, dues, asOf, now, opts.DryRun); err != nil {
		return plan, err
	}
	if plan.Items, err = e.record(ctx, dues, asOf, now, opts.DryRun); err != nil {
		return plan, err
	}
	if !opts.DryRun {
		if plan.Adopted, err = e.adopt(ctx, olds); err != nil {
			return plan, err
		}
	}
	return plan, nil
}

// ErrFutureRun is the cause of the refusal of a run that would write as of a time later
// than now.
var ErrFutureRun = errors.New("a run dated in the future must be a dry run")

// futureRun refuses a run that writes as of a time later than now. What it would record
// has not happened: a rung recorded as fired tomorrow is never sent tomorrow, and an email
// queued today says what is only true then. A dry run may stand at any time, to show what
// would be due.
func futureRun(opts RunOptions, now time.Time) error {
	if opts.DryRun || !opts.AsOf.After(now) {
		return nil
	}
	return &checks.Error{Code: checks.EMALFORMED, Message: "a run dated in the future records nothing: ask for a dry run",
		Fields: []checks.FieldError{{Field: "as_of", Reason: fmt.Sprintf("is later than now (%s): only a dry run (dry_run) may stand in the future",
			now.UTC().Truncate(time.Second).Format(time.RFC3339))}},
		Err: ErrFutureRun}
}

// Runs take turns. Each rung is recorded once whatever runs at once, but two runs that read
// the open checks at slightly different moments (a transition in between, a notice sweep
// beside the daily run) put different sets of rungs in their digests: different emails, and
// the same rung would reach a person twice. So a run that writes first takes a lease in the
// database, one conditional upsert that one replica wins; the others wait for their turn,
// and then find the rungs already recorded.
const (
	runLease = "escalation-run"
	// runLeaseLength outlasts any run (the country's open checks take seconds): a replica
	// that dies holding the lease holds it at most this long.
	runLeaseLength = 10 * time.Minute
	// turnWait is how long a run waits for its turn before it gives up.
	turnWait = time.Minute
)

// ErrRunBusy is answered when another run keeps the lease for longer than a run waits.
var ErrRunBusy = &checks.Error{Code: checks.EUNAVAILABLE, Message: "another escalation run is in progress; try again shortly"}

// turn waits for the run lease and returns the function that ends it.
func (e *Escalator) turn(ctx context.Context) (func(), error) {
	holder := e.holder + "-" + rand.Text()[:8]
	deadline := time.Now().Add(turnWait)
	for {
		now := e.clock.Now().UTC()
		ok, err := e.checks.Lease(ctx, runLease, holder, now, now.Add(runLeaseLength))
		if err != nil {
			return nil, fmt.Errorf("take the run lease: %w", err)
		}
		if ok {
			return func() {
				if err := e.checks.EndLease(context.WithoutCancel(ctx), runLease, holder); err != nil {
					e.log.Warn("ending the run lease; it runs out by itself", "error", err)
				}
			}, nil
		}
		if time.Now().After(deadline) {
			return nil, ErrRunBusy
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// selectOpen is the select stage: the checks still open, streamed; only those in a status
// some rule of the run can be due for, and changed since opts.ChangedSince when it is set.
func (e *Escalator) selectOpen(ctx context.Context, opts RunOptions, fn func(checks.Check) error) error {
	statuses := openStatuses()
	if opts.Rules != nil {
		statuses = statusesFor(opts.Rules)
	}
	if len(statuses) > 0 {
		if err := e.checks.OpenChecks(ctx, statuses, opts.ChangedSince, fn); err != nil {
			return err
		}
	}
	if opts.Rules != nil && !opts.Rules[RequestWithdrawn] {
		return nil
	}
	// Withdrawn checks, for the notice of their withdrawal: only those changed lately, or a
	// run would read every check ever withdrawn. The notice goes within a minute; a run still
	// finds one it missed (the service down) for withdrawnWindow after.
	since := e.clock.Now().Add(-withdrawnWindow)
	if opts.ChangedSince.After(since) {
		since = opts.ChangedSince
	}
	return e.checks.OpenChecks(ctx, []checks.Status{checks.StatusWithdrawn}, since, fn)
}

// withdrawnWindow is how long after a withdrawal a run still tells the agency of it.
const withdrawnWindow = 30 * 24 * time.Hour

// decide is the decide stage: the digest items of the rungs due for c on today (only those
// of rules, when given), not yet fired.
func (e *Escalator) decide(c checks.Check, today checks.Date, rules map[Rule]bool) []Item {
	var out []Item
	for _, rule := range e.ladder.Due(c, today, rules) {
		it := Item{
			CheckID: c.ID, Rule: rule, CRN: c.CRN, Type: c.Type, Agency: c.Agency,
			Status: c.Status, ReleaseDate: c.ReleaseDate, Urgent: c.Urgent,
			WorkdaysLeft: e.ladder.Deadlines.WorkdaysToRelease(today, c.ReleaseDate),
			Link:         e.baseURL + "/checks/" + c.ID,
			Basis:        Basis(rule, c),
		}
		it.DueLabel, it.Due = dueOf(c)
		if prev, ok := c.Escalations[string(rule)]; ok {
			it.Earlier = len(prev.Earlier) + 1
		}
		if rule == DueDateChanged {
			it.Was = announced(c)
		}
		out = append(out, it)
	}
	return out
}

// dueOf is the date a reader of an email about c must act by, and how it is labelled.
func dueOf(c checks.Check) (string, checks.Date) {
	switch c.Status {
	case checks.StatusWithdrawn:
		return "Answer", checks.Date{}
	case checks.StatusRequired:
		return "Request by", c.RequestBy
	}
	return "Answer due", c.DueDate
}

// adoption is a record written before bases were kept, and the basis it counts as fired for.
type adoption struct {
	checkID    string
	rule       Rule
	basis, due checks.Date
}

// unbased finds c's records written before bases were kept, for rules of the run that can be
// due in c's status. Each counts as fired for the basis it has now (see firedFor); writing that
// basis on it keeps it so, and lets the rung fire again when the date later moves.
func (e *Escalator) unbased(c checks.Check, rules map[Rule]bool) []adoption {
	var out []adoption
	for _, g := range rungs() {
		rec, ok := c.Escalations[string(g.rule)]
		if !ok || !rec.Basis.IsZero() || g.to(c.Status) == nil || (rules != nil && !rules[g.rule]) {
			continue
		}
		if basis := Basis(g.rule, c); !basis.IsZero() {
			_, due := dueOf(c)
			out = append(out, adoption{checkID: c.ID, rule: g.rule, basis: basis, due: due})
		}
	}
	return out
}

// adopt writes their basis on the records written before bases were kept, several at once
// as the record stage does: after an upgrade the first run writes one per such record, and
// no run after it.
func (e *Escalator) adopt(ctx context.Context, olds []adoption) (int, error) {
	var wg sync.WaitGroup
	errs := make([]error, len(olds))
	done := make([]bool, len(olds))
	slots := make(chan struct{}, recordAtOnce)
	for i, a := range olds {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			done[i], errs[i] = e.checks.AdoptEscalation(ctx, a.checkID, string(a.rule), a.basis, a.due)
		}()
	}
	wg.Wait()
	n := 0
	for _, ok := range done {
		if ok {
			n++
		}
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("write the basis of an old escalation record: %w", err)
	}
	return n, nil
}

// queue is the queue stage: it groups the rungs into one digest per recipient, leaving out
// the items already in an email of the outbox (a run cut short before it recorded them),
// composes each and puts it in the outbox (not in a dry run).
func (e *Escalator) queue(ctx context.Context, dues []due, asOf, now time.Time, dryRun bool) ([]PlanEmail, error) {
	keys := make([]string, 0, len(dues))
	for _, d := range dues {
		keys = append(keys, d.item.key())
	}
	queued, err := alreadyQueued(ctx, e.outbox, keys)
	if err != nil {
		return nil, fmt.Errorf("find queued emails: %w", err)
	}
	out := []PlanEmail{}
	for _, g := range group(dues, queued) {
		email, err := e.compose(g.digest, g.recipient, asOf, now)
		if err != nil {
			return out, err
		}
		pe := PlanEmail{Key: email.Key, To: email.To, Missing: email.Missing, Subject: email.Subject, Items: len(g.digest.lines())}
		if !dryRun {
			if pe.Queued, err = e.outbox.Insert(ctx, email); err != nil {
				return out, fmt.Errorf("queue email: %w", err)
			}
		}
		out = append(out, pe)
	}
	return out, nil
}

// grouped is one digest to compose, with how to find its recipient's address again.
type grouped struct {
	digest    digest
	recipient string
}

// group gathers the rungs into one digest per recipient, in the order recipients first
// appear, each digest's items most urgent first. Items in queued (recipient key → item
// keys) are left out.
func group(dues []due, queued map[string]map[string]bool) []grouped {
	var out []grouped
	index := map[string]int{}
	for _, d := range dues {
		for _, t := range d.targets {
			k := t.key()
			if queued[k][d.item.key()] {
				continue
			}
			i, ok := index[k]
			if !ok {
				i = len(out)
				index[k] = i
				out = append(out, grouped{digest: digest{To: t.to, Missing: t.missing}, recipient: t.recipient})
			}
			out[i].digest.Items = append(out[i].digest.Items, d.item)
		}
	}
	for i := range out {
		sortItems(out[i].digest.Items)
	}
	return out
}

// record is the record stage: every email is queued, so it writes on each check that its
// rung fired. A crash before this point re-records them next time without queueing
// anything new. The writes go several at a time (each is still its own single-document
// conditional update, so of several replicas one records each rung): one after another, a
// heavy day's eleven thousand rungs took 27 s on the real engine. The plan lists the most
// urgent rungs first.
func (e *Escalator) record(ctx context.Context, dues []due, asOf, now time.Time, dryRun bool) ([]PlanItem, error) {
	out := make([]PlanItem, len(dues))
	for i, d := range dues {
		pi := PlanItem{CheckID: d.check.ID, CRN: d.check.CRN, Type: d.check.Type, Agency: d.check.Agency, Rule: d.item.Rule, Basis: d.item.Basis}
		for _, t := range d.targets {
			if t.to != "" {
				pi.To = append(pi.To, t.to)
			} else {
				pi.Undeliverable = append(pi.Undeliverable, t.missing)
			}
		}
		out[i] = pi
	}
	if !dryRun {
		var wg sync.WaitGroup
		errs := make([]error, len(dues))
		slots := make(chan struct{}, recordAtOnce)
		for i := range out {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				pi := &out[i]
				d := dues[i]
				rec := checks.Escalation{At: now, AsOf: asOf, Basis: d.item.Basis, Due: d.item.Due, To: pi.To, Undeliverable: pi.Undeliverable}
				if rec.To == nil {
					rec.To = []string{}
				}
				// A firing against a new basis keeps the earlier ones, the one it replaces last.
				if prev, ok := d.check.Escalations[string(pi.Rule)]; ok {
					rec.Earlier = append(slices.Clone(prev.Earlier), prev)
					rec.Earlier[len(rec.Earlier)-1].Earlier = nil
				}
				pi.Recorded, errs[i] = e.checks.MarkEscalation(ctx, pi.CheckID, string(pi.Rule), rec)
				if pi.Recorded {
					e.Observe.Recorded(pi.Rule)
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return out, fmt.Errorf("record escalation: %w", err)
		}
	}
	slices.SortStableFunc(out, func(a, b PlanItem) int { return rungOf(b.Rule).urgency - rungOf(a.Rule).urgency })
	return out, nil
}

// recordAtOnce is how many escalation records a run writes at once.
const recordAtOnce = 8

// address is the address stage: the recipients of one rung, each once.
func (e *Escalator) address(ctx context.Context, book *addressBook, c checks.Check, it Item) (due, error) {
	agency, err := book.agency(ctx, c.Agency)
	if err != nil {
		return due{}, err
	}
	it.AgencyName = agency.Name
	if c.RequestedBy != "" {
		// Who asked, so that the agency knows whom to call: the name and team of a member of
		// staff, never anything about the person the check is on.
		u, err := book.user(ctx, c.RequestedBy)
		if err != nil {
			return due{}, err
		}
		if u != nil {
			it.RequestedBy = u.Name
			if len(u.Teams) > 0 {
				it.RequestedBy += " (team " + strings.Join(u.Teams, ", ") + ")"
			}
			it.RequestedAt = c.RequestedAt
		}
	}
	d := due{check: c, item: it}
	seen := map[string]bool{}
	for _, r := range rungOf(it.Rule).to(c.Status) {
		targets, err := book.targets(ctx, c, agency, r)
		if err != nil {
			return due{}, err
		}
		for _, t := range targets {
			if !seen[t.key()] {
				seen[t.key()] = true
				d.targets = append(d.targets, t)
			}
		}
	}
	return d, nil
}

func (e *Escalator) compose(d digest, recipient string, asOf, now time.Time) (Email, error) {
	text, html, err := e.templates.render(d, e.Support)
	if err != nil {
		return Email{}, err
	}
	email := Email{
		Key: d.idempotencyKey(), To: d.To, Missing: d.Missing, Subject: d.subject(recipient), Text: text, HTML: html,
		Recipient: recipient, Status: StatusPending, NextAttemptAt: now, AsOf: asOf, CreatedAt: now,
	}
	if d.To == "" {
		// Kept for admins to see (GET /api/v1/outbox?status=undeliverable) and retry once
		// the address is set; the body is the one the recipient will get.
		email.Status = StatusUndeliverable
	}
	for _, it := range d.Items {
		email.Items = append(email.Items, it.key())
	}
	return email, nil
}

// addressBook finds recipients. It reads every user and agency once, on first use, so a run
// makes two queries for its recipients however many rungs are due.
type addressBook struct {
	dir      directory
	loaded   bool
	users    map[string]checks.User
	managers map[string][]checks.User // team → its active managers
	agencies map[string]checks.Agency
}

func newAddressBook(dir directory) *addressBook {
	return &addressBook{dir: dir}
}

func (b *addressBook) load(ctx context.Context) error {
	if b.loaded {
		return nil
	}
	users, err := b.dir.AllUsers(ctx)
	if err != nil {
		return err
	}
	agencies, err := b.dir.AllAgencies(ctx)
	if err != nil {
		return err
	}
	b.fill(users, agencies)
	return nil
}

// fill indexes the users and agencies of the directory.
func (b *addressBook) fill(users []checks.User, agencies []checks.Agency) {
	b.users = make(map[string]checks.User, len(users))
	b.managers = map[string][]checks.User{}
	for _, u := range users {
		b.users[u.ID] = u
		if u.Role == checks.RoleManager && u.Active {
			for _, team := range u.Teams {
				b.managers[team] = append(b.managers[team], u)
			}
		}
	}
	b.agencies = make(map[string]checks.Agency, len(agencies))
	for _, a := range agencies {
		b.agencies[a.Code] = a
	}
	b.loaded = true
}

func (b *addressBook) agency(ctx context.Context, code string) (checks.Agency, error) {
	if err := b.load(ctx); err != nil {
		return checks.Agency{}, err
	}
	if a, ok := b.agencies[code]; ok {
		return a, nil
	}
	return checks.Agency{Code: code, Name: "unknown agency"}, nil
}

func (b *addressBook) user(ctx context.Context, id string) (*checks.User, error) {
	if err := b.load(ctx); err != nil {
		return nil, err
	}
	if u, ok := b.users[id]; ok {
		return &u, nil
	}
	return nil, nil
}

func (b *addressBook) teamManagers(ctx context.Context, team string) ([]checks.User, error) {
	if err := b.load(ctx); err != nil {
		return nil, err
	}
	return b.managers[team], nil
}

// targets resolves one kind of recipient of a check.
func (b *addressBook) targets(ctx context.Context, c checks.Check, a checks.Agency, r recipient) ([]target, error) {
	switch r {
	case toCOM:
		u, err := b.user(ctx, c.COMID)
		if err != nil {
			return nil, err
		}
		if u == nil || !u.Active {
			return []target{{missing: "the COM of " + c.CRN + " (no active COM is assigned)", recipient: "com " + c.COMID}}, nil
		}
		return []target{{to: u.Email, recipient: "com " + u.ID}}, nil
	case toManagers:
		ms, err := b.teamManagers(ctx, c.Team)
		if err != nil {
			return nil, err
		}
		if len(ms) == 0 {
			return []target{{missing: "the managers of team " + c.Team + " (none is registered)", recipient: "managers " + c.Team}}, nil
		}
		var out []target
		for _, m := range ms {
			out = append(out, target{to: m.Email, recipient: "managers " + c.Team})
		}
		return out, nil
	case toAgencyContact:
		if a.ContactEmail == "" {
			return []target{{missing: fmt.Sprintf("the contact mailbox of %s (%s): none is set", a.Name, a.Code), recipient: "agency_contact " + a.Code}}, nil
		}
		return []target{{to: a.ContactEmail, recipient: "agency_contact " + a.Code}}, nil
	case toAgencyEscalation:
		if a.EscalationEmail == "" {
			return []target{{missing: fmt.Sprintf("the escalation mailbox of %s (%s): none is set", a.Name, a.Code), recipient: "agency_escalation " + a.Code}}, nil
		}
		return []target{{to: a.EscalationEmail, recipient: "agency_escalation " + a.Code}}, nil
	}
	return nil, fmt.Errorf("unknown recipient %q", r)
}

// addresses finds the current addresses of an undeliverable email's recipient, for a retry
// after an admin has set them.
func (e *Escalator) addresses(ctx context.Context, book *addressBook, who string) ([]string, error) {
	kind, key, _ := strings.Cut(who, " ")
	switch recipient(kind) {
	case toCOM:
		u, err := book.user(ctx, key)
		if err != nil || u == nil || !u.Active {
			return nil, err
		}
		return []string{u.Email}, nil
	case toManagers:
		ms, err := book.teamManagers(ctx, key)
		var out []string
		for _, m := range ms {
			out = append(out, m.Email)
		}
		return out, err
	case toAgencyContact, toAgencyEscalation:
		a, err := book.agency(ctx, key)
		if err != nil {
			return nil, err
		}
		addr := a.ContactEmail
		if recipient(kind) == toAgencyEscalation {
			addr = a.EscalationEmail
		}
		if addr == "" {
			return nil, nil
		}
		return []string{addr}, nil
	}
	return nil, nil
}

// AuditRetries records retries before they are made (checks.Service.AuditEmailRetries, with
// the admin who asks): when it fails, nothing is requeued.
type AuditRetries func(ctx context.Context, retries []checks.EmailRetry) error

// Retry puts a dead or undeliverable email back in the queue, audited first. An
// undeliverable one goes to the address its recipient has now (a copy to each, for several
// managers); if there is still none, the retry is refused with what to set.
func (e *Escalator) Retry(ctx context.Context, key string, audit AuditRetries) ([]Email, error) {
	email, err := e.outbox.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	if email.Status != StatusDead && email.Status != StatusUndeliverable {
		return nil, &checks.Error{Code: checks.ECONFLICT, Message: fmt.Sprintf("the email is %s: only dead or undeliverable emails can be retried", email.Status)}
	}
	plan, err := e.planRetry(ctx, newAddressBook(e.directory), email)
	if err != nil {
		return nil, err
	}
	if plan == nil {
		return nil, &checks.Error{Code: checks.ECONFLICT, Message: "there is still no address for " + email.Missing + ": set it, then retry"}
	}
	if err := audit(ctx, []checks.EmailRetry{plan.audit}); err != nil {
		return nil, err
	}
	return e.requeue(ctx, *plan)
}

// RetryResult is what retrying every stuck email did.
type RetryResult struct {
	// Requeued are the emails back in the queue (with the copies made for further managers).
	Requeued []Email
	// Left are the undeliverable emails whose recipient still has no address.
	Left []Email
	// Changed counts the emails that stopped being dead or undeliverable meanwhile.
	Changed int
}

// RetryAll puts every dead and undeliverable email back in the queue, as Retry does one:
// those that can go somewhere are audited together first, then requeued. An undeliverable
// email whose recipient still has no address is left, and said so.
func (e *Escalator) RetryAll(ctx context.Context, audit AuditRetries) (RetryResult, error) {
	var res RetryResult
	var stuck []Email
	for _, st := range []Status{StatusDead, StatusUndeliverable} {
		cursor := ""
		for {
			page, err := e.outbox.List(ctx, st, time.Time{}, 200, cursor)
			if err != nil {
				return res, err
			}
			stuck = append(stuck, page.Items...)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	book := newAddressBook(e.directory)
	var plans []retryPlan
	var entries []checks.EmailRetry
	for _, m := range stuck {
		plan, err := e.planRetry(ctx, book, m)
		if err != nil {
			return res, err
		}
		if plan == nil {
			res.Left = append(res.Left, m)
			continue
		}
		plans = append(plans, *plan)
		entries = append(entries, plan.audit)
	}
	if len(plans) == 0 {
		return res, nil
	}
	if err := audit(ctx, entries); err != nil {
		return res, err
	}
	for _, p := range plans {
		out, err := e.requeue(ctx, p)
		if checks.ErrorCode(err) == checks.ECONFLICT {
			res.Changed++ // sent or retried by someone else meanwhile
			continue
		}
		if err != nil {
			return res, err
		}
		res.Requeued = append(res.Requeued, out...)
	}
	return res, nil
}

// retryPlan is a retry decided and not yet made: the email, its addresses now (none for a
// dead one, which keeps its own) and the audit entry that says so.
type retryPlan struct {
	email Email
	addrs []string
	audit checks.EmailRetry
}

// planRetry decides where a stuck email goes now; nil when it is undeliverable and its
// recipient still has no address.
func (e *Escalator) planRetry(ctx context.Context, book *addressBook, email Email) (*retryPlan, error) {
	p := &retryPlan{email: email, audit: checks.EmailRetry{ID: email.Key, Status: string(email.Status)}}
	if email.Status == StatusDead {
		return p, nil
	}
	addrs, err := e.addresses(ctx, book, email.Recipient)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, nil
	}
	p.addrs, p.audit.To = addrs, addrs
	return p, nil
}

// requeue makes a planned retry.
func (e *Escalator) requeue(ctx context.Context, p retryPlan) ([]Email, error) {
	now := e.clock.Now().UTC().Truncate(time.Millisecond)
	if len(p.addrs) == 0 {
		requeued, err := e.outbox.Requeue(ctx, p.email.Key, "", now)
		if err != nil {
			return nil, retryError(err)
		}
		return []Email{requeued}, nil
	}
	requeued, err := e.outbox.Requeue(ctx, p.email.Key, p.addrs[0], now)
	if err != nil {
		return nil, retryError(err)
	}
	out := []Email{requeued}
	for _, addr := range p.addrs[1:] {
		cp := requeued
		cp.Key = shaHex(addr + "\n" + p.email.Key) // stable: retrying twice queues one copy
		cp.To, cp.Status, cp.CreatedAt, cp.NextAttemptAt = addr, StatusPending, now, now
		if _, err := e.outbox.Insert(ctx, cp); err != nil {
			return out, err
		}
		out = append(out, cp)
	}
	return out, nil
}

func retryError(err error) error {
	if errors.Is(err, checks.ErrStale) {
		return &checks.Error{Code: checks.ECONFLICT, Message: "the email changed meanwhile: it is no longer dead or undeliverable"}
	}
	return err
}
