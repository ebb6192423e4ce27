package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/probation/safeguarding/checks"
)

// DefaultSchedule runs the ladder at 07:00 London time on weekdays.
const DefaultSchedule = "CRON_TZ=Europe/London 0 7 * * 1-5"

// ParseSchedule checks a cron specification (five fields, with an optional CRON_TZ=).
func ParseSchedule(spec string) error {
	_, err := cron.ParseStandard(spec)
	return err
}

// Scheduler wakes the ladder and the sender. robfig/cron is only the alarm clock: a run works
// from the state of the checks, so a missed tick is caught up by the next one, and several
// replicas may run at once (every claim is a conditional update, every email has a unique
// key).
type Scheduler struct {
	escalator   *Escalator
	sender      *Sender
	calendar    *checks.Calendar
	clock       checks.Clock
	log         *slog.Logger
	spec        string
	noticeEvery time.Duration
	sendEvery   time.Duration

	// Maintenance, when set, runs before each daily run and every MaintenanceEvery (the
	// checks service's repairs: a release whose checks a database outage left behind is
	// whole again within minutes, not at the next daily run).
	Maintenance      func(context.Context) error
	MaintenanceEvery time.Duration

	cron    *cron.Cron
	running sync.Mutex // one run at a time in this process
	cancel  context.CancelFunc
	loops   sync.WaitGroup
	last    lastRun
}

// lastRun is the last daily run, for metrics.
type lastRun struct {
	mu       sync.Mutex
	at       time.Time
	duration time.Duration
}

// LastRun returns when the last full run started and how long it took.
func (s *Scheduler) LastRun() (time.Time, time.Duration) {
	s.last.mu.Lock()
	defer s.last.mu.Unlock()
	return s.last.at, s.last.duration
}

// NewScheduler returns a scheduler: the full ladder on spec (bank holidays skipped), the
// notices every noticeEvery, the outbox drained every sendEvery.
func NewScheduler(esc *Escalator, sender *Sender, cal *checks.Calendar, clock checks.Clock, spec string, noticeEvery, sendEvery time.Duration, log *slog.Logger) *Scheduler {
	return &Scheduler{escalator: esc, sender: sender, calendar: cal, clock: clock, spec: spec,
		noticeEvery: noticeEvery, sendEvery: sendEvery, log: log}
}

// Start starts the schedule, runs one full sweep now, and starts the notice and sender loops.
// They run until Stop; ctx only carries values (its cancellation is Stop's job).
func (s *Scheduler) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	logger := cronLogger{s.log}
	s.cron = cron.New(cron.WithLogger(logger), cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	if _, err := s.cron.AddFunc(s.spec, func() { s.daily(ctx) }); err != nil {
		return err
	}
	s.cron.Start()
	// The start-up sweep first, then the notices every few seconds.
	s.loop(ctx, func() { s.daily(ctx) }, func() { s.notices(ctx) }, s.noticeEvery)
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		s.sender.Loop(ctx, s.sendEvery)
	}()
	if s.Maintenance != nil && s.MaintenanceEvery > 0 {
		s.loop(ctx, func() {}, func() { s.maintain(ctx) }, s.MaintenanceEvery)
	}
	return nil
}

func (s *Scheduler) maintain(ctx context.Context) {
	if err := s.Maintenance(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("maintenance failed; the next tick tries again", "error", err)
	}
}

// loop runs first once, then fn now and every interval until Stop.
func (s *Scheduler) loop(ctx context.Context, first, fn func(), every time.Duration) {
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		first()
		fn()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn()
			}
		}
	}()
}

// Stop stops scheduling and cancels the runs under way (the start-up sweep, a notice sweep,
// a daily run, the maintenance), then waits, within ctx's deadline, for them and for the
// sender to finish its batch (a batch under way is sent whatever the context). A run is a
// series of single-document conditional updates, so a cancelled one leaves only whole
// rungs behind and the next run goes on from there; letting it finish instead would hold
// a shutdown for as long as the database takes. Stop takes no lock a run waits for.
func (s *Scheduler) Stop(ctx context.Context) {
	if s.cron == nil {
		return
	}
	s.cancel()
	cronDone := s.cron.Stop().Done()
	finished := make(chan struct{})
	go func() {
		<-cronDone
		s.loops.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
		s.log.Warn("scheduler stopped before its runs finished")
	}
}

// daily runs the whole ladder, on working days only.
func (s *Scheduler) daily(ctx context.Context) {
	now := s.clock.Now()
	if !s.calendar.IsWorkday(checks.DateOf(now)) {
		s.log.Info("escalation run skipped: not a working day", "day", checks.DateOf(now).String())
		return
	}
	start := time.Now()
	if s.Maintenance != nil {
		s.maintain(ctx)
	}
	if plan, ok := s.run(ctx, RunOptions{}, true); ok {
		s.last.mu.Lock()
		s.last.at, s.last.duration = now, time.Since(start)
		s.last.mu.Unlock()
		items, emails, undeliverable := plan.Counts()
		s.log.Info("escalation run", "as_of", plan.AsOf, "open_checks", plan.Checked, "escalations", items,
			"emails", emails, "undeliverable", undeliverable, "duration", time.Since(start))
	}
}

// notices sends the request and response notices, every few seconds.
func (s *Scheduler) notices(ctx context.Context) {
	// The last hour's changes: a request or an answer is noticed within seconds, and what a
	// longer pause missed the next daily run (or the sweep at start-up) sends.
	opts := RunOptions{Rules: NoticeRules(), ChangedSince: s.clock.Now().Add(-noticeWindow)}
	if plan, ok := s.run(ctx, opts, false); ok && len(plan.Items) > 0 {
		items, emails, undeliverable := plan.Counts()
		s.log.Info("notices queued", "escalations", items, "emails", emails, "undeliverable", undeliverable)
	}
}

// noticeWindow is how far back the notice sweep looks for requests and answers.
const noticeWindow = time.Hour

// run runs the ladder, one run at a time in this process: the daily run waits for a notice
// sweep under way (it must not be lost for a day), a notice sweep gives way to any run (the
// next comes in seconds). It wakes the sender when it queued anything. A failure is logged:
// the next tick tries again from the same state.
func (s *Scheduler) run(ctx context.Context, opts RunOptions, wait bool) (Plan, bool) {
	if wait {
		s.running.Lock()
	} else if !s.running.TryLock() {
		return Plan{}, false
	}
	defer s.running.Unlock()
	plan, err := s.escalator.Run(ctx, opts)
	if err != nil {
		if ctx.Err() == nil {
			level := slog.LevelError
			if checks.Classify(err).Temporary {
				level = slog.LevelWarn
			}
			s.log.Log(ctx, level, "escalation run failed; the next tick tries again", "error", err)
		}
		return plan, false
	}
	if len(plan.Emails) > 0 {
		s.sender.Wake()
	}
	return plan, true
}

// cronLogger passes robfig/cron's messages to slog: its routine ones at debug level.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "error", err)...)
}
