// Command datagen fills a MongoDB database (a real engine: FerretDB v2 with DocumentDB, or
// MongoDB) with a realistic national data set for benchmarks: probation teams with their
// COMs and managers, a liaison for every agency, and releases spread over years with their
// two checks each, their history, responses, escalation records and audit trail. Most
// checks are closed; the open ones are those of the releases of the next months.
//
// Users and the agency directory are made through the domain service, so their tokens work;
// releases, checks and audit entries are written in bulk through the store (batches of at
// most 10,000 documents, several at once), as they stand in a database in daily use.
//
//	datagen --size 10k  --mongodb-database bench10k     # a region's year
//	datagen --size 100k --mongodb-database bench100k    # the country's year
//	datagen --size 1m   --mongodb-database bench1m      # the country's ten years
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "datagen:", err)
		os.Exit(1)
	}
}

// settings are what one run is asked to make.
type settings struct {
	uri, database string
	checks        int
	teams         int
	years         int
	ahead         int
	coms          int
	managers      int
	workers       int
	batch         int
	seed          uint64
	today         checks.Date
	tokens        string
	drop          bool
	indexesFirst  bool
	prepareOnly   bool
}

// sizes are the data sets of the benchmarks: checks, teams, years before today (and
// --ahead-days after it).
var sizes = map[string][3]int{
	"10k":  {10_000, 40, 1},      // a region's year
	"100k": {100_000, 400, 1},    // the country's year
	"1m":   {1_000_000, 400, 10}, // the country's ten years
}

const usageText = `Usage: datagen --mongodb-database NAME [--size 10k|100k|1m | --checks N --teams N --years N] [flags]

Fills an empty database with benchmark data: teams of COMs and managers (40 teams a region),
a liaison for every agency of the directory, and releases spread over the years (two checks
each, most closed; the open ones in the next --ahead-days), with history, responses,
escalation records and the audit trail. It writes the tokens of an admin, of one COM a team and
of a police liaison to --tokens, and prints the loadgen flags that match the data.

Flags:
`

func parseSettings(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	var o settings
	fs := flag.NewFlagSet("datagen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	size := fs.String("size", "", "a preset: 10k (a region's year: 40 teams, 1 year), 100k (the country's year: 400 teams), 1m (the country's ten years)")
	fs.StringVar(&o.uri, "mongodb-uri", getenv("MONGODB_URI"), "the database server [MONGODB_URI]")
	fs.StringVar(&o.database, "mongodb-database", "", "the database to fill (it must hold no checks, unless --drop)")
	fs.IntVar(&o.checks, "checks", 0, "checks to make (two a release)")
	fs.IntVar(&o.teams, "teams", 0, "probation teams (40 a region)")
	fs.IntVar(&o.years, "years", 0, "years of releases, the last --ahead-days of them after today")
	fs.IntVar(&o.ahead, "ahead-days", 150, "how far ahead of today the releases go (recorded some months ahead): their checks are the open ones")
	fs.IntVar(&o.coms, "coms-per-team", 6, "COMs in each team")
	fs.IntVar(&o.managers, "managers-per-team", 1, "managers of each team")
	fs.IntVar(&o.workers, "workers", 4, "batches written at once")
	fs.IntVar(&o.batch, "batch", 2000, "releases a batch (their checks and audit entries are written in batches of at most 10,000)")
	fs.Uint64Var(&o.seed, "seed", 1, "the random seed: the same seed, size and today make the same data")
	todayFlag := fs.String("today", "", "the day the data stands at, YYYY-MM-DD (default: today in London)")
	fs.StringVar(&o.tokens, "tokens", "datagen-tokens.txt", "file to write the tokens of an admin, one COM a team and a police liaison to (owner-only)")
	fs.BoolVar(&o.drop, "drop", false, "drop the database first")
	fs.BoolVar(&o.prepareOnly, "prepare-only", false, "write nothing: only create the indexes the service needs on the database as it is (after they were dropped, say), with a longer timeout than serve's 10 s a call")
	fs.BoolVar(&o.indexesFirst, "indexes-first", false, "create the indexes before writing the data (default: after, which is faster)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("datagen takes no arguments, got %q", fs.Args())
	}
	if *size != "" {
		p, ok := sizes[strings.ToLower(*size)]
		if !ok {
			return o, fmt.Errorf("--size %q: use 10k, 100k or 1m", *size)
		}
		if o.checks == 0 {
			o.checks = p[0]
		}
		if o.teams == 0 {
			o.teams = p[1]
		}
		if o.years == 0 {
			o.years = p[2]
		}
	}
	o.today = checks.DateOf(time.Now())
	if *todayFlag != "" {
		d, err := checks.ParseDate(*todayFlag)
		if err != nil {
			return o, fmt.Errorf("--today %q is not a date YYYY-MM-DD", *todayFlag)
		}
		o.today = d
	}
	switch {
	case o.uri == "":
		return o, errors.New("give --mongodb-uri (or MONGODB_URI): datagen fills a real engine, not the embedded database")
	case o.database == "":
		return o, errors.New("give --mongodb-database: the database to fill")
	case o.prepareOnly:
	case o.checks < 2 || o.teams < 1 || o.years < 1:
		return o, errors.New("give --size, or --checks (at least 2), --teams and --years (at least 1)")
	case o.ahead < 1 || o.ahead >= 365*o.years:
		return o, errors.New("--ahead-days must be at least 1 and less than the years of releases")
	case o.coms < 1 || o.managers < 0 || o.workers < 1:
		return o, errors.New("--coms-per-team and --workers must be at least 1, --managers-per-team at least 0")
	case o.batch < 1 || o.batch > 5000:
		return o, errors.New("--batch must be from 1 to 5,000 releases (10,000 checks)")
	}
	return o, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseSettings(args, getenv, stderr)
	if err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "datagen: "+format+"\n", a...) }
	began := time.Now()

	client, err := mongo.Connect(options.Client().ApplyURI(o.uri).
		SetServerSelectionTimeout(5 * time.Second).
		SetWriteConcern(writeconcern.Majority()).
		// Bulk writes of 10,000 documents take longer than the service's 10 s bound.
		SetTimeout(5 * time.Minute))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	if err := client.Ping(ctx, nil); err != nil {
		return fmt.Errorf("the database does not answer: %w", err)
	}
	db := client.Database(o.database)
	if o.prepareOnly {
		o.drop, o.indexesFirst = false, true
	}
	if o.drop {
		progress("dropping database %s", o.database)
		if err := db.Drop(ctx); err != nil {
			return fmt.Errorf("drop %s: %w", o.database, err)
		}
	} else if n, err := db.Collection("checks").EstimatedDocumentCount(ctx); err == nil && n > 0 && !o.prepareOnly {
		return fmt.Errorf("database %s already holds %d checks: choose another --mongodb-database, or --drop it", o.database, n)
	}

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st := store.New(db, log)
	now := o.today.Start().Add(12 * time.Hour).UTC()
	if o.today == checks.DateOf(time.Now()) {
		now = time.Now().UTC().Truncate(time.Millisecond)
	}
	clock := fixedClock{now}
	deadlines := checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}
	svc := checks.NewService(st, clock, deadlines, log)
	// The service's start-up: the indexes, the agency directory, the repairs (none here).
	prepare := func() error {
		if err := svc.Start(ctx); err != nil {
			return fmt.Errorf("prepare the database: %w", err)
		}
		if err := store.NewOutbox(db).EnsureIndexes(ctx); err != nil {
			return fmt.Errorf("prepare the outbox: %w", err)
		}
		return nil
	}
	if o.indexesFirst {
		progress("preparing %s: indexes and the agency directory", o.database)
		t := time.Now()
		if err := prepare(); err != nil {
			return err
		}
		if o.prepareOnly {
			progress("prepared in %.1f s", time.Since(t).Seconds())
			return nil
		}
	} else {
		// Only the directory now: the indexes are built once the data is in, which is
		// quicker than keeping them up to date through every insert. The emails made here are
		// unique, so nothing needs the unique index on them meanwhile.
		directory, err := checks.Directory()
		if err != nil {
			return err
		}
		if _, err := st.SeedAgencies(ctx, directory, now); err != nil {
			return fmt.Errorf("load the agency directory: %w", err)
		}
	}

	w := &world{
		now: now, today: o.today, deadlines: deadlines,
		ladder: notify.Ladder{Thresholds: notify.DefaultThresholds(), Deadlines: deadlines},
		seed:   o.seed, ahead: o.ahead, back: 365*o.years - o.ahead,
		liaisons: map[string]person{}, boxes: map[string]agencyBox{},
	}
	tokens, err := people(ctx, o, svc, w, progress)
	if err != nil {
		return err
	}

	releases := o.checks / 2
	progress("writing %d releases, %d checks and their audit trail, %d workers, %d releases a batch",
		releases, 2*releases, o.workers, o.batch)
	counts, err := fill(ctx, o, st, w, releases, progress)
	if err != nil {
		return err
	}
	if !o.indexesFirst {
		progress("creating the indexes and preparing %s as serve does at start-up", o.database)
		t := time.Now()
		if err := prepare(); err != nil {
			return err
		}
		progress("indexes created in %.1f s", time.Since(t).Seconds())
	}
	if err := writeTokens(o.tokens, tokens); err != nil {
		return err
	}
	report(stdout, o, w, counts, time.Since(began))
	return nil
}

// fixedClock is the day the data stands at.
type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// tokenLine is one token of the tokens file.
type tokenLine struct{ role, who, token string }

// people creates the teams' COMs and managers, a liaison for every agency and an admin,
// through the service (so that their tokens work), and gives every agency its mailboxes.
func people(ctx context.Context, o settings, svc *checks.Service, w *world, progress func(string, ...any)) ([]tokenLine, error) {
	sys := checks.System("datagen")
	directory, err := checks.Directory()
	if err != nil {
		return nil, err
	}
	var police, councils []string
	for _, a := range directory {
		if a.Kind == checks.KindPolice {
			police = append(police, a.Code)
		} else {
			councils = append(councils, a.Code)
		}
	}
	w.police, w.councils = police, councils
	const regions = 10
	for t := range o.teams {
		region := (t / 40) % regions
		rp := police[region*len(police)/regions : (region+1)*len(police)/regions]
		rc := councils[region*len(councils)/regions : (region+1)*len(councils)/regions]
		w.teams = append(w.teams, team{code: fmt.Sprintf("N%02d-T%02d", t/40+1, t%40+1), police: rp[t%len(rp)], council: rc[t%len(rc)]})
	}

	type job struct {
		in    checks.UserInput
		apply func(checks.User, string)
	}
	var jobs []job
	var tokens []tokenLine
	var mu sync.Mutex
	for ti := range w.teams {
		tm := &w.teams[ti]
		slug := strings.ToLower(tm.code)
		for j := range o.coms {
			first, last := givenNames[(ti+j)%len(givenNames)], familyNames[(ti*7+j)%len(familyNames)]
			jobs = append(jobs, job{checks.UserInput{Name: first + " " + last, Email: fmt.Sprintf("com%d.%s@probation.example.org", j+1, slug), Role: "com", Team: tm.code},
				func(u checks.User, token string) {
					mu.Lock()
					defer mu.Unlock()
					tm.coms = append(tm.coms, person{u.ID, u.Name, u.Email})
					if j == 0 { // one COM a team, for loads of several teams at once
						tokens = append(tokens, tokenLine{"com", tm.code + " " + u.Email, token})
					}
				}})
		}
		for j := range o.managers {
			first, last := givenNames[(ti*3+j+5)%len(givenNames)], familyNames[(ti+j+11)%len(familyNames)]
			jobs = append(jobs, job{checks.UserInput{Name: first + " " + last, Email: fmt.Sprintf("manager%d.%s@probation.example.org", j+1, slug), Role: "manager", Team: tm.code},
				func(u checks.User, _ string) {
					mu.Lock()
					defer mu.Unlock()
					tm.managers = append(tm.managers, person{u.ID, u.Name, u.Email})
				}})
		}
	}
	for _, a := range directory {
		code := a.Code
		slug := strings.ToLower(code)
		w.boxes[code] = agencyBox{"checks@" + slug + ".example.org", "checks-manager@" + slug + ".example.org"}
		jobs = append(jobs, job{checks.UserInput{Name: "Liaison of " + a.Name, Email: "liaison@" + slug + ".example.org", Role: "liaison", Agency: code},
			func(u checks.User, token string) {
				mu.Lock()
				defer mu.Unlock()
				w.liaisons[code] = person{u.ID, u.Name, u.Email}
				if code == w.teams[0].police {
					tokens = append(tokens, tokenLine{"liaison", code + " " + u.Email, token})
				}
			}})
	}
	jobs = append(jobs, job{checks.UserInput{Name: "Benchmark Admin", Email: "bench.admin@probation.example.org", Role: "admin"},
		func(u checks.User, token string) {
			mu.Lock()
			defer mu.Unlock()
			tokens = append(tokens, tokenLine{"admin", u.Email, token})
		}})

	progress("creating %d users and the mailboxes of %d agencies", len(jobs), len(directory))
	work := make(chan func() error)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for fn := range work {
				if err := fn(); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		})
	}
	for _, j := range jobs {
		work <- func() error {
			u, token, err := svc.CreateUser(ctx, sys, j.in)
			if err != nil {
				return fmt.Errorf("create user %s: %w", j.in.Email, err)
			}
			j.apply(u, token)
			return nil
		}
	}
	for _, a := range directory {
		box := w.boxes[a.Code]
		work <- func() error {
			_, err := svc.UpdateAgency(ctx, sys, a.Code, nil, checks.AgencyPatch{ContactEmail: &box.contact, EscalationEmail: &box.escalation})
			if err != nil {
				return fmt.Errorf("set the mailboxes of %s: %w", a.Code, err)
			}
			return nil
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	// The order the goroutines finished in must not change the data a seed makes.
	for i := range w.teams {
		slices.SortFunc(w.teams[i].coms, func(a, b person) int { return strings.Compare(a.email, b.email) })
		slices.SortFunc(w.teams[i].managers, func(a, b person) int { return strings.Compare(a.email, b.email) })
	}
	slices.SortFunc(tokens, func(a, b tokenLine) int { return strings.Compare(a.role+" "+a.who, b.role+" "+b.who) })
	return tokens, nil
}

// counts are what fill wrote.
type counts struct {
	releases, checks, audit atomic.Int64
	status                  [6]atomic.Int64 // by checks.Statuses() order
	escalations             atomic.Int64
	history                 atomic.Int64
}

// fill writes the releases, in batches of o.batch releases, o.workers batches at once.
func fill(ctx context.Context, o settings, st *store.Store, w *world, releases int, progress func(string, ...any)) (*counts, error) {
	c := &counts{}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan int)
	var firstErr error
	var once sync.Once
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	statusIndex := map[checks.Status]int{}
	for i, s := range checks.Statuses() {
		statusIndex[s] = i
	}
	var wg sync.WaitGroup
	for range o.workers {
		wg.Go(func() {
			for lo := range batches {
				hi := min(lo+o.batch, releases)
				rs := make([]checks.Release, 0, hi-lo)
				cs := make([]checks.Check, 0, 2*(hi-lo))
				var audit []checks.AuditEntry
				for i := lo; i < hi; i++ {
					g := w.release(i)
					rs = append(rs, g.release)
					cs = append(cs, g.checks...)
					audit = append(audit, g.audit...)
				}
				if err := st.InsertReleases(ctx, rs); err != nil {
					fail(fmt.Errorf("insert releases: %w", err))
					return
				}
				if err := st.InsertChecks(ctx, cs); err != nil {
					fail(fmt.Errorf("insert checks: %w", err))
					return
				}
				for k := 0; k < len(audit); k += 10_000 {
					if err := st.InsertAudit(ctx, audit[k:min(k+10_000, len(audit))]...); err != nil {
						fail(fmt.Errorf("insert audit entries: %w", err))
						return
					}
				}
				c.releases.Add(int64(len(rs)))
				c.checks.Add(int64(len(cs)))
				c.audit.Add(int64(len(audit)))
				for _, ch := range cs {
					c.status[statusIndex[ch.Status]].Add(1)
					c.escalations.Add(int64(len(ch.Escalations)))
					c.history.Add(int64(len(ch.History)))
				}
			}
		})
	}
	start := time.Now()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
feed:
	for lo := 0; lo < releases; lo += o.batch {
		for {
			select {
			case batches <- lo:
				continue feed
			case <-ctx.Done():
				break feed
			case <-tick.C:
				n := c.checks.Load()
				progress("%d of %d checks written (%.0f checks/s, %.0f audit entries/s)", n, 2*releases,
					float64(n)/time.Since(start).Seconds(), float64(c.audit.Load())/time.Since(start).Seconds())
			}
		}
	}
	close(batches)
	wg.Wait()
	if firstErr != nil {
		return c, firstErr
	}
	if err := ctx.Err(); err != nil {
		return c, err
	}
	progress("%d checks written in %.1f s", c.checks.Load(), time.Since(start).Seconds())
	return c, nil
}

// writeTokens writes the tokens file, owner-only.
func writeTokens(path string, tokens []tokenLine) error {
	var b strings.Builder
	b.WriteString("# role, who, bearer token (benchmark data made by datagen)\n")
	for _, t := range tokens {
		fmt.Fprintf(&b, "%s\t%s\t%s\n", t.role, t.who, t.token)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write the tokens file: %w", err)
	}
	return os.Chmod(path, 0o600)
}

// report says what was made, and how to load it.
func report(out io.Writer, o settings, w *world, c *counts, took time.Duration) {
	fmt.Fprintf(out, "database %s, as of %s: %d teams, %d releases, %d checks, %d audit entries, in %.0f s\n",
		o.database, o.today, len(w.teams), c.releases.Load(), c.checks.Load(), c.audit.Load(), took.Seconds())
	open := int64(0)
	var parts []string
	for i, s := range checks.Statuses() {
		n := c.status[i].Load()
		if s.Open() {
			open += n
		}
		parts = append(parts, fmt.Sprintf("%s %d", s, n))
	}
	n := max(c.checks.Load(), 1)
	fmt.Fprintf(out, "checks: %s (open %d, %.1f%%); %.1f history entries and %.1f escalation records a check\n",
		strings.Join(parts, ", "), open, 100*float64(open)/float64(n), float64(c.history.Load())/float64(n), float64(c.escalations.Load())/float64(n))
	tm := w.teams[0]
	fmt.Fprintf(out, "tokens in %s; loadgen flags for its COM and liaison: --team %s --police-force %s --local-authority %s\n",
		o.tokens, tm.code, tm.police, tm.council)
}
