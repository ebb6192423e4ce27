package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"golang.org/x/sync/errgroup"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// Clock is the simulation's clock: it stands where the run puts it, and the service reads
// every "now" from it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the time the run stands at.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock (never back: a run only goes forward).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

// Mode says whether the ladder runs.
type Mode string

// The two runs of a simulation.
const (
	// ModeLadder runs the whole ladder at the daily run, as production does.
	ModeLadder Mode = "ladder"
	// ModeBaseline turns escalation off: only the notices (a request to the agency, an answer
	// to the COM) are sent, by the same sweeps.
	ModeBaseline Mode = "baseline"
)

// System is the service as serve wires it: the run acts through Service and runs the
// Escalator and the Sender at the times production's scheduler would.
type System struct {
	Service   *checks.Service
	Escalator *notify.Escalator
	Sender    *notify.Sender
	Calendar  *checks.Calendar
	// Schedule is the daily run's cron specification (config's, e.g. 07:00 London weekdays).
	Schedule string
	// Where says where the data lives, for the report.
	Where string
}

// Env is what one run gives the wiring: the clock every part must read, the SMTP server
// emails go to, and which run it is (each run its own database).
type Env struct {
	Clock    checks.Clock
	SMTPHost string
	SMTPPort int
	Mode     Mode
}

// Opener wires the service for one run; the function it returns closes it.
type Opener func(ctx context.Context, env Env) (System, func(), error)

// Simulate generates the year of p and runs it twice through the service open wires, with
// the ladder and without; progress (may be nil) is told how it goes. With parallel, the two
// runs go at once (each has its own database, clock and SMTP server); the embedded database
// serves one process's runs one at a time.
func Simulate(ctx context.Context, p Params, open Opener, progress io.Writer, parallel bool) (*Report, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	progress = &lockedWriter{w: progress}
	ladder, err := prepare(ctx, p, ModeLadder, open, progress)
	if err != nil {
		return nil, err
	}
	defer ladder.close()
	year, err := ladder.generate(ctx)
	if err != nil {
		return nil, err
	}
	ladder.y = year
	results := make([]RunResult, 2)
	baselineRun := func(ctx context.Context) error {
		b, err := prepare(ctx, p, ModeBaseline, open, progress)
		if err != nil {
			return err
		}
		defer b.close()
		b.y = year
		results[1], err = b.run(ctx)
		return err
	}
	if parallel {
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() (err error) { results[0], err = ladder.run(gctx); return err })
		g.Go(func() error { return baselineRun(gctx) })
		if err := g.Wait(); err != nil {
			return nil, err
		}
	} else {
		if results[0], err = ladder.run(ctx); err != nil {
			return nil, err
		}
		ladder.close()
		if err := baselineRun(ctx); err != nil {
			return nil, err
		}
	}
	rep := &Report{Params: p, Runs: results}
	rep.summarise(year)
	return rep, nil
}

// lockedWriter lets two runs report progress on one writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// prepare starts the run's SMTP server and wires the service for it.
func prepare(ctx context.Context, p Params, mode Mode, open Opener, progress io.Writer) (*runner, error) {
	clock := &Clock{t: p.Start.Start().Add(-time.Hour)}
	ms, err := StartMailServer(clock)
	if err != nil {
		return nil, err
	}
	sys, closeSys, err := open(ctx, Env{Clock: clock, SMTPHost: ms.Host, SMTPPort: ms.Port, Mode: mode})
	if err != nil {
		_ = ms.Close()
		return nil, fmt.Errorf("%s run: %w", mode, err)
	}
	r := &runner{p: p, sys: sys, svc: sys.Service, mail: ms, clock: clock, mode: mode, progress: progress,
		liaisons: map[string]checks.User{}, mailboxes: map[string]mailbox{}, byID: map[string]*held{}}
	var once sync.Once
	r.close = func() { once.Do(func() { closeSys(); _ = ms.Close() }) }
	if r.sched, err = cron.ParseStandard(sys.Schedule); err != nil {
		r.close()
		return nil, fmt.Errorf("the escalation schedule: %w", err)
	}
	return r, nil
}

// run plays the year through the runner's service.
func (r *runner) run(ctx context.Context) (RunResult, error) {
	started := time.Now()
	if err := r.people(ctx); err != nil {
		return RunResult{}, fmt.Errorf("%s run: create the region's people: %w", r.mode, err)
	}
	if err := r.year(ctx); err != nil {
		return RunResult{}, fmt.Errorf("%s run: %w", r.mode, err)
	}
	res, err := r.result(ctx)
	res.Wall = time.Since(started).Round(time.Second).String()
	res.Where = r.sys.Where
	return res, err
}

// runner is one run: the service, and the people's own memory of what they saw.
type runner struct {
	p        Params
	y        *Year
	sys      System
	svc      *checks.Service
	mail     *MailServer
	clock    *Clock
	mode     Mode
	sched    cron.Schedule
	progress io.Writer
	close    func()

	admin     checks.User
	coms      [][]checks.User
	managers  []checks.User
	liaisons  map[string]checks.User // by agency code
	mailboxes map[string]mailbox     // by address
	agencyOf  map[string]AgencyPlan

	checks []*held // every check, in the order created
	byID   map[string]*held
	wd     int // working days since the start
	days   []checks.Date
	mails  []Received
	events int
	errs   int
	// Where the wall time went: the daily runs, the notice sweeps, the people's actions.
	inDaily, inSweeps, inActions time.Duration
	sweeps                       int
}

// mailbox is whose an address is.
type mailbox struct {
	Kind string // com, manager, agency_contact, agency_escalation
	Team int
}

// held is what the people know of one check: their state, not the service's.
type held struct {
	rel, typ  int
	id        string
	releaseOn checks.Date
	recorded  time.Time
	recordWD  int
	// stage is whose move it is as the people see it: the COM's to request, the agency's to
	// answer (once it read the request), the COM's to complete (once it read the answer).
	stage         stage
	readRequestWD int
	readAnswerWD  int
	completedAt   time.Time
	requestedAt   time.Time
	answeredAt    time.Time
}

type stage int

const (
	toRequest stage = iota
	requestSent
	toAnswer
	answerSent
	toComplete
	done
)

// generate reads the agency directory and makes the year.
func (r *runner) generate(ctx context.Context) (*Year, error) {
	var police, las []string
	q := checks.AgencyFilter{Limit: 200}
	for {
		page, err := r.svc.Agencies(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("read the agency directory: %w", err)
		}
		for _, a := range page.Items {
			if !a.Active {
				continue
			}
			if a.Kind == checks.KindPolice {
				police = append(police, a.Code)
			} else {
				las = append(las, a.Code)
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	slices.Sort(police)
	slices.Sort(las)
	return Generate(r.p, r.sys.Calendar, police, las)
}

// people creates the region's users and sets its agencies' mailboxes.
func (r *runner) people(ctx context.Context) error {
	admin, _, err := r.svc.CreateUser(ctx, checks.System("simulate"), checks.UserInput{
		Name: "Simulation Admin", Email: "admin@probation.example.org", Role: string(checks.RoleAdmin)})
	if err != nil {
		return err
	}
	r.admin = admin
	add := func(in checks.UserInput, mb mailbox) (checks.User, error) {
		u, _, err := r.svc.CreateUser(ctx, admin, in)
		if err == nil && mb.Kind != "" {
			r.mailboxes[strings.ToLower(u.Email)] = mb
		}
		return u, err
	}
	for ti, t := range r.y.Teams {
		var coms []checks.User
		for i := range t.COMs {
			u, err := add(checks.UserInput{Name: fmt.Sprintf("COM %d of %s", i+1, t.Code), Email: fmt.Sprintf("com%d.%s@probation.example.org", i+1, strings.ToLower(t.Code)),
				Role: string(checks.RoleCOM), Team: t.Code}, mailbox{Kind: "com", Team: ti})
			if err != nil {
				return err
			}
			coms = append(coms, u)
		}
		r.coms = append(r.coms, coms)
		m, err := add(checks.UserInput{Name: "Manager of " + t.Code, Email: fmt.Sprintf("manager.%s@probation.example.org", strings.ToLower(t.Code)),
			Role: string(checks.RoleManager), Teams: []string{t.Code}}, mailbox{Kind: "manager", Team: ti})
		if err != nil {
			return err
		}
		r.managers = append(r.managers, m)
	}
	r.agencyOf = map[string]AgencyPlan{}
	for _, a := range r.y.Agencies {
		r.agencyOf[a.Code] = a
		code := strings.ToLower(a.Code)
		contact, escalation := code+"-checks@agency.example.org", code+"-manager@agency.example.org"
		if _, err := r.svc.UpdateAgency(ctx, admin, a.Code, nil, checks.AgencyPatch{ContactEmail: &contact, EscalationEmail: &escalation}); err != nil {
			return fmt.Errorf("agency %s: %w", a.Code, err)
		}
		r.mailboxes[contact] = mailbox{Kind: "agency_contact", Team: -1}
		r.mailboxes[escalation] = mailbox{Kind: "agency_escalation", Team: -1}
		u, err := add(checks.UserInput{Name: "Liaison of " + a.Code, Email: "liaison." + code + "@agency.example.org",
			Role: string(checks.RoleLiaison), Agency: a.Code}, mailbox{})
		if err != nil {
			return err
		}
		r.liaisons[a.Code] = u
	}
	return nil
}

// year moves the clock over every day of the year.
func (r *runner) year(ctx context.Context) error {
	next := 0 // the next release to record
	month := r.p.Start.Month
	for day := r.p.Start; !day.After(r.y.End); day = day.AddDays(1) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if day.Month != month {
			month = day.Month
			fmt.Fprintf(r.progress, "simulate: %s run at %s: %d checks, %d emails so far\n", r.mode, day, len(r.checks), len(r.mails))
		}
		if !r.sys.Calendar.IsWorkday(day) {
			// Nobody works, and the scheduler skips the day (weekends by its schedule, bank
			// holidays by the calendar).
			continue
		}
		r.days = append(r.days, day)
		if err := r.dailyRun(ctx, day); err != nil {
			return err
		}
		// Each person reads what arrived since the last working day at 09:00.
		r.clock.Set(at(day, 9, 0))
		prompts := r.read(ctx, r.mail.Take())
		var evs []event
		for next < len(r.y.Releases) && !r.y.Releases[next].RecordOn.After(day) {
			i := next
			evs = append(evs, event{at: at(day, 9, 5+i%55), do: func(ctx context.Context) (bool, error) { return false, r.record(ctx, i) }})
			next++
		}
		evs = append(evs, r.decide(prompts)...)
		slices.SortStableFunc(evs, func(a, b event) int { return a.at.Compare(b.at) })
		// The notice sweep runs every NoticeEvery: after each window in which someone
		// requested or answered, as the scheduler's loop would find them.
		var windowEnd time.Time
		dirty := false
		for _, e := range evs {
			if dirty && !e.at.Before(windowEnd) {
				r.clock.Set(windowEnd)
				if err := r.noticeSweep(ctx); err != nil {
					return err
				}
				dirty = false
			}
			r.clock.Set(e.at)
			stop := r.timed(&r.inActions)
			changed, err := e.do(ctx)
			stop()
			if err != nil {
				return err
			}
			r.events++
			if changed {
				dirty = true
				windowEnd = e.at.Truncate(r.p.NoticeEvery).Add(r.p.NoticeEvery)
			}
		}
		if dirty {
			r.clock.Set(windowEnd)
			if err := r.noticeSweep(ctx); err != nil {
				return err
			}
		}
		r.wd++
	}
	// The last day's emails are counted too.
	r.read(ctx, r.mail.Take())
	return nil
}

// timed adds the time until the returned function is called to total.
func (r *runner) timed(total *time.Duration) func() {
	start := time.Now()
	return func() { *total += time.Since(start) }
}

// at is a London time of day on d.
func at(d checks.Date, hour, minute int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, hour, minute, 0, 0, checks.London())
}

// dailyRun runs the ladder at the time the schedule gives for the day, then the sender, as
// the scheduler's daily run does. Without escalation the same run sends notices only.
func (r *runner) dailyRun(ctx context.Context, day checks.Date) error {
	t := r.sched.Next(day.Start().Add(-time.Second))
	if checks.DateOf(t) != day {
		return nil // the schedule does not run that day
	}
	r.clock.Set(t)
	opts := notify.RunOptions{}
	if r.mode == ModeBaseline {
		opts.Rules = notify.NoticeRules()
	}
	defer r.timed(&r.inDaily)()
	return r.runLadder(ctx, opts)
}

// runLadder runs the escalator and drains the outbox to the SMTP server.
func (r *runner) runLadder(ctx context.Context, opts notify.RunOptions) error {
	plan, err := r.sys.Escalator.Run(ctx, opts)
	if err != nil {
		return fmt.Errorf("escalation run at %s: %w", r.clock.Now().Format(time.RFC3339), err)
	}
	if len(plan.Emails) == 0 {
		return nil
	}
	res, err := r.sys.Sender.Drain(ctx)
	if err != nil {
		return fmt.Errorf("drain the outbox: %w", err)
	}
	if res.Retrying > 0 || res.Dead > 0 {
		return fmt.Errorf("the sender failed to deliver %d emails to the in-process SMTP server", res.Retrying+res.Dead)
	}
	return nil
}

// noticeSweep is what the scheduler's notice loop does: the last hour's requests and answers.
func (r *runner) noticeSweep(ctx context.Context) error {
	defer r.timed(&r.inSweeps)()
	r.sweeps++
	return r.runLadder(ctx, notify.RunOptions{Rules: notify.NoticeRules(), ChangedSince: r.clock.Now().Add(-time.Hour)})
}

// event is one person's action at a time of day; do reports whether it made a notice due.
type event struct {
	at time.Time
	do func(context.Context) (bool, error)
}

// read hands each email to its reader: a request makes the agency's queue, an answer the
// COM's, and a chasing email prompts whoever holds the check.
func (r *runner) read(ctx context.Context, mails []Received) map[*held]float64 {
	r.mails = append(r.mails, mails...)
	prompts := map[*held]float64{}
	push := func(h *held, p float64) {
		prompts[h] = 1 - (1-prompts[h])*(1-p)
	}
	for _, m := range mails {
		mb, ok := r.mailboxes[m.To]
		if !ok {
			continue
		}
		for _, it := range m.Items {
			h := r.byID[it.CheckID]
			if h == nil {
				continue
			}
			switch mb.Kind {
			case "com":
				switch it.Rule {
				case notify.ResponseNotice:
					if h.stage == answerSent {
						h.stage, h.readAnswerWD = toComplete, r.wd
					}
				case notify.RequestReminder, notify.RequestOverdue, notify.ReleaseImminent, notify.ResponseOverdue:
					if h.stage == toRequest || h.stage == toComplete {
						push(h, r.p.COMChase)
					}
				}
			case "manager":
				switch it.Rule {
				case notify.RequestOverdue, notify.ReleaseImminent, notify.ResponseEscalated, notify.ReleasedIncomplete:
					push(h, r.p.ManagerRelay*r.holderChance(h))
				}
			case "agency_contact":
				switch it.Rule {
				case notify.RequestNotice:
					if h.stage == requestSent {
						h.stage, h.readRequestWD = toAnswer, r.wd
					}
				case notify.ResponseReminder, notify.ResponseOverdue, notify.DueDateChanged:
					if h.stage == toAnswer {
						push(h, r.p.AgencyChase)
					}
				}
			case "agency_escalation":
				switch it.Rule {
				case notify.ResponseEscalated, notify.ReleaseImminent:
					if h.stage == toAnswer {
						push(h, r.p.ManagerRelay*r.p.AgencyChase)
					}
				}
			}
		}
	}
	return prompts
}

// holderChance is the chance the holder of the check acts when chased.
func (r *runner) holderChance(h *held) float64 {
	switch h.stage {
	case toRequest, toComplete:
		return r.p.COMChase
	case toAnswer:
		return r.p.AgencyChase
	}
	return 0
}

// decide says who acts today: the holder of each open check acts when its own delay is over,
// or when an email prompted it and the day's draw says so.
func (r *runner) decide(prompts map[*held]float64) []event {
	var evs []event
	for _, h := range r.checks {
		pc := r.y.Releases[h.rel].Checks[h.typ]
		var due bool
		switch h.stage {
		case toRequest:
			due = r.wd >= h.recordWD+pc.RequestDelay
		case toAnswer:
			due = pc.AnswerDelay != never && r.wd >= h.readRequestWD+pc.AnswerDelay
		case toComplete:
			due = r.wd >= h.readAnswerWD+pc.CompleteDelay
		default:
			continue
		}
		u := chance(r.p.Seed, uint64(h.rel), uint64(h.typ), uint64(r.wd), uint64(h.stage))
		if !due && !(prompts[h] > 0 && u < prompts[h]) {
			continue
		}
		// The hour of the day: office hours, after the morning's reading.
		minute := int(chance(r.p.Seed, uint64(h.rel), uint64(h.typ), uint64(r.wd), 99) * 7 * 60)
		h := h
		evs = append(evs, event{at: at(r.days[len(r.days)-1], 10, 0).Add(time.Duration(minute) * time.Minute),
			do: func(ctx context.Context) (bool, error) { return r.act(ctx, h) }})
	}
	return evs
}

// record is the COM recording release i: the service creates its checks.
func (r *runner) record(ctx context.Context, i int) error {
	pr := r.y.Releases[i]
	com := r.coms[pr.Team][pr.COM]
	yes := true
	people := []checks.PersonInput{{Name: "Partner " + pr.CRN, DateOfBirth: pr.ReleaseOn.AddDays(-(30 * 365)).String(),
		Relationship: string(checks.RelPartner), LivesThere: &yes}}
	rel, err := r.svc.CreateRelease(ctx, com, checks.ReleaseInput{
		CRN: pr.CRN, NOMSNumber: pr.NOMS, FullName: "Person " + pr.CRN, DateOfBirth: pr.ReleaseOn.AddDays(-(35 * 365)).String(),
		ReleaseDate: pr.ReleaseOn.String(), PrisonCode: "PVI", PoliceForce: pr.Police, LocalAuthority: pr.LA,
		Address: &checks.AddressInput{Line1: fmt.Sprintf("%d Example Road", 1+i%200), Town: "Exampletown", Postcode: "M1 1AE"},
		People:  people,
	})
	if err != nil {
		return fmt.Errorf("record release %s: %w", pr.CRN, err)
	}
	for ti, t := range checks.CheckTypes() {
		for _, c := range rel.Checks {
			if c.Type == t && !c.Superseded() {
				h := &held{rel: i, typ: ti, id: c.ID, releaseOn: pr.ReleaseOn, recorded: rel.CreatedAt, recordWD: r.wd}
				r.checks = append(r.checks, h)
				r.byID[c.ID] = h
			}
		}
	}
	return nil
}

// act is the holder of a check doing their part through the service.
func (r *runner) act(ctx context.Context, h *held) (bool, error) {
	pr := r.y.Releases[h.rel]
	com := r.coms[pr.Team][pr.COM]
	switch h.stage {
	case toRequest:
		c, err := r.svc.RequestCheck(ctx, com, h.id, nil, "")
		if err != nil {
			return false, r.refused(h, "request", err)
		}
		h.stage, h.requestedAt = requestSent, c.RequestedAt
		return true, nil
	case toAnswer:
		pc := pr.Checks[h.typ]
		agency := pr.Police
		if h.typ == 1 {
			agency = pr.LA
		}
		summary := ""
		switch pc.Outcome {
		case checks.OutcomeInformationHeld:
			summary = "Information held: see our records system (simulated answer)."
		case checks.OutcomeDeclined:
			summary = "Declined: the request lacks the previous addresses (simulated answer)."
		}
		c, err := r.svc.RespondToCheck(ctx, r.liaisons[agency], h.id, nil, checks.ResponseInput{Outcome: string(pc.Outcome), Summary: summary})
		if err != nil {
			return false, r.refused(h, "answer", err)
		}
		h.stage, h.answeredAt = answerSent, c.Response.RespondedAt
		return true, nil
	case toComplete:
		c, err := r.svc.CompleteCheck(ctx, com, h.id, nil, "Read; no change to the risk management plan (simulated).")
		if err != nil {
			return false, r.refused(h, "complete", err)
		}
		h.stage, h.completedAt = done, c.CompletedAt
	}
	return false, nil
}

// refused handles a transition the service refused: a conflict means the check moved on (the
// person's view was stale) and is not an error of the run; anything else is.
func (r *runner) refused(h *held, what string, err error) error {
	var ce *checks.Error
	if errors.As(err, &ce) && ce.Code == checks.ECONFLICT {
		r.errs++
		h.stage = done
		return nil
	}
	return fmt.Errorf("%s check %s: %w", what, h.id, err)
}
