package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// errUsage marks a command line that cannot be run as given.
var errUsage = errors.New("usage")

const usageText = `Usage: loadgen [flags]

Drives a safeguarding service running on this machine with --clients concurrent clients
(reads of one check, lists of checks, and writes in the order of a check's life: create a
release, request its domestic abuse check, the police answer, the COM completes), then does
the same store operations directly through the driver against the same database, and
reports throughput, p50/p95/p99 per operation, the ratio service/direct of each, and the
service's peak RSS.

It needs the tokens of a COM and of a police liaison: with --safeguarding it creates both
by running that binary's "users add" on the service's database; or give them with
--com-token and --liaison-token (or LOADGEN_COM_TOKEN and LOADGEN_LIAISON_TOKEN).
--com-token may list several COMs' tokens, comma-separated (COMs of different teams, say):
the clients take them in turn, each listing, reading and writing its own team's checks.

Start the service without its per-user limits (a rate, and requests at once), or most
requests are answered 429:
  SAFEGUARDING_RATE_LIMIT=0 SAFEGUARDING_MAX_IN_FLIGHT_PER_USER=0 safeguarding serve

Flags:
`

// settings are what one run is asked to do.
type settings struct {
	url          string
	clients      int
	requests     int
	duration     time.Duration
	rounds       int
	mix          mix
	binary       string
	comToken     string
	liaisonToken string
	team         string
	policeForce  string
	localAuth    string
	dataDir      string
	mongoURI     string
	database     string
	pid          int
	json         bool
	cleanUp      bool
}

func parseSettings(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	var o settings
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fs.PrintDefaults()
	}
	orDefault := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&o.url, "url", "http://localhost:8080", "the service's address (loopback only)")
	fs.IntVar(&o.clients, "clients", 16, "concurrent clients")
	fs.IntVar(&o.requests, "requests", 1000, "requests to the service in all (the direct side does as many operations)")
	fs.DurationVar(&o.duration, "duration", 5*time.Minute, "longest time the load runs, both sides together")
	fs.IntVar(&o.rounds, "rounds", 4, "rounds of a service phase then a direct phase, to interleave the two")
	mixFlag := fs.String("mix", defaultMix.String(), "weights of reads of one check, lists of checks, and writes")
	fs.StringVar(&o.binary, "safeguarding", "", "the service's binary, to create the COM and the liaison with its 'users add'")
	fs.StringVar(&o.comToken, "com-token", getenv("LOADGEN_COM_TOKEN"), "a COM's bearer token, or several comma-separated (instead of --safeguarding) [LOADGEN_COM_TOKEN]")
	fs.StringVar(&o.liaisonToken, "liaison-token", getenv("LOADGEN_LIAISON_TOKEN"), "a police liaison's bearer token (instead of --safeguarding) [LOADGEN_LIAISON_TOKEN]")
	fs.StringVar(&o.team, "team", "N07-T1", "team of the COM that --safeguarding creates")
	fs.StringVar(&o.policeForce, "police-force", "E23000001", "agency of the liaison that --safeguarding creates (the releases' police force)")
	fs.StringVar(&o.localAuth, "local-authority", "E09000001", "the releases' local authority")
	fs.StringVar(&o.dataDir, "data-dir", orDefault("SAFEGUARDING_DATA_DIR", "./data"), "the service's data directory, to join its embedded database through its socket [SAFEGUARDING_DATA_DIR]")
	fs.StringVar(&o.mongoURI, "mongodb-uri", getenv("MONGODB_URI"), "the service's MongoDB, when it does not use the embedded database [MONGODB_URI]")
	fs.StringVar(&o.database, "mongodb-database", orDefault("MONGODB_DATABASE", "safeguarding"), "database name [MONGODB_DATABASE]")
	fs.IntVar(&o.pid, "pid", 0, "the service's process id, for its peak RSS (default: the process listening on --url's port)")
	fs.BoolVar(&o.json, "json", false, "write the report as JSON")
	fs.BoolVar(&o.cleanUp, "clean-up", false, "delete the releases the run created (both sides), with their checks and audit entries, at the end: so that runs one after the other find the same data")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: loadgen takes no arguments, got %q", errUsage, fs.Args())
	}
	var err error
	if o.mix, err = parseMix(*mixFlag); err != nil {
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	switch {
	case o.clients < 1:
		return o, fmt.Errorf("%w: --clients must be at least 1", errUsage)
	case o.requests < 1:
		return o, fmt.Errorf("%w: --requests must be at least 1", errUsage)
	case o.duration <= 0:
		return o, fmt.Errorf("%w: --duration must be positive", errUsage)
	case o.rounds < 1:
		return o, fmt.Errorf("%w: --rounds must be at least 1", errUsage)
	case o.binary == "" && (o.comToken == "" || o.liaisonToken == ""):
		return o, fmt.Errorf("%w: give --safeguarding (the service's binary, to create a COM and a liaison), or both --com-token and --liaison-token", errUsage)
	}
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, fmt.Errorf("%w: --url %q is not an http address", errUsage, o.url)
	}
	if !loopback(u.Hostname()) {
		return o, fmt.Errorf("%w: --url %q: loadgen only drives a service on this machine (localhost, 127.0.0.0/8 or ::1)", errUsage, o.url)
	}
	o.url = strings.TrimSuffix(o.url, "/")
	return o, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// run is the whole program: main only calls it, and the tests call it too.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseSettings(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "loadgen: "+format+"\n", a...) }

	api := newAPIClient(o.url, o.clients)
	if err := api.healthy(ctx); err != nil {
		return err
	}
	tokens, err := setUpUsers(ctx, o, api, progress)
	if err != nil {
		return err
	}
	db, err := openDirect(ctx, o)
	if err != nil {
		return err
	}
	defer db.close()
	if db.scratch {
		progress("copying the service's releases and checks to scratch collections for the direct writes")
		if _, err := db.prepareScratch(ctx); err != nil {
			return err
		}
	}

	g := &generator{o: o, api: api, db: db, users: tokens, created: &pool{}}
	if err := g.fillPools(ctx); err != nil {
		return err
	}

	rep := &Report{URL: o.url, Database: db.describe, Clients: o.clients, Rounds: o.rounds, Mix: o.mix.String()}
	pid, rssNote := o.pid, ""
	if pid == 0 {
		u, _ := url.Parse(o.url)
		port, _ := strconv.Atoi(u.Port())
		if port == 0 {
			port = map[string]int{"http": 80, "https": 443}[u.Scheme]
		}
		if pid, err = pidListening(port); err != nil {
			rssNote = err.Error()
		}
	}
	var sampler *rssSampler
	if pid != 0 {
		if _, err := readStatus(pid, "VmHWM"); err != nil {
			rssNote, pid = err.Error(), 0
		} else {
			rep.RSS.PID = pid
			rep.RSS.PeakSinceStart = resetPeak(pid) != nil
			sampler = startSampler(pid, 50*time.Millisecond)
		}
	}

	progress("%d clients, %d rounds, at most %d requests to the service and %s in all", o.clients, o.rounds, o.requests, o.duration)
	rec, elapsed := g.load(ctx, progress)

	if sampler != nil {
		rep.RSS.SampledMaxBytes = sampler.finish()
		if rep.RSS.PeakBytes, err = readStatus(pid, "VmHWM"); err != nil {
			rssNote = err.Error()
		}
	}
	rep.RSS.Note = rssNote
	if err := db.dropScratch(context.WithoutCancel(ctx)); err != nil {
		progress("could not drop the scratch collections: %v", err)
	}
	if o.cleanUp {
		n, err := db.cleanUp(context.WithoutCancel(ctx), g.created.all())
		if err != nil {
			return fmt.Errorf("clean up: %w", err)
		}
		progress("deleted the %d releases the run created, with their checks and audit entries", n)
	}

	var totals [numSides]SideTotals
	rep.Operations, rep.Writes, totals = summarise(rec, elapsed)
	rep.Core = summariseCore(rec, rep.Operations, elapsed[sideDirect])
	rep.Service, rep.Direct = totals[sideService], totals[sideDirect]
	rep.Errors = rec.samples
	if o.json {
		err = rep.writeJSON(stdout)
	} else {
		err = rep.writeText(stdout)
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: the report covers what ran until then")
	}
	if n := rep.Service.Errors + rep.Direct.Errors; n > 0 {
		return fmt.Errorf("%d of %d operations failed (see the report)", n, rep.Service.Count+rep.Direct.Count)
	}
	return nil
}

// generator runs the load.
type generator struct {
	o     settings
	api   *apiClient
	db    *directDB
	users users
	// created holds the ids of the releases the run created, on both sides.
	created *pool
}

// worker is one client: its random numbers and where it is in a release's life, on each
// side.
type worker struct {
	com  *com // whose token and team the client uses
	rng  *rand.Rand
	life [numSides]lifecycle
	rec  recorder
}

// load runs the rounds and returns what they recorded and how long each side ran.
func (g *generator) load(ctx context.Context, progress func(string, ...any)) (*recorder, [numSides]time.Duration) {
	workers := make([]*worker, g.o.clients)
	seed := uint64(time.Now().UnixNano())
	for i := range workers {
		workers[i] = &worker{com: g.users.coms[i%len(g.users.coms)], rng: rand.New(rand.NewPCG(seed, uint64(i))),
			life: [numSides]lifecycle{newLifecycle(), newLifecycle()}}
	}
	var elapsed [numSides]time.Duration
	start := time.Now()
	end := start.Add(g.o.duration)
	for round := range g.o.rounds {
		if ctx.Err() != nil || !time.Now().Before(end) {
			break
		}
		// What is left of the budgets, shared among the rounds still to run.
		left := g.o.rounds - round
		budget := (g.o.requests - requestsDone(workers) + left - 1) / left
		phaseTime := time.Until(end) / time.Duration(2*left)
		n, d := g.phase(ctx, sideService, workers, budget, phaseTime)
		elapsed[sideService] += d
		m, dd := g.phase(ctx, sideDirect, workers, n, phaseTime)
		elapsed[sideDirect] += dd
		progress("round %d/%d: service %d requests in %.1f s, direct %d operations in %.1f s",
			round+1, g.o.rounds, n, d.Seconds(), m, dd.Seconds())
		if budget <= 0 {
			break
		}
	}
	rec := &recorder{}
	for _, w := range workers {
		rec.merge(&w.rec)
	}
	return rec, elapsed
}

func requestsDone(workers []*worker) int {
	n := 0
	for _, w := range workers {
		c, _ := w.rec.count(sideService)
		n += c
	}
	return n
}

// phase runs up to budget operations of one side with every worker at once, for at most
// d, and returns how many it ran and how long it took. An operation under way when the time
// is up is finished, not cut short.
func (g *generator) phase(ctx context.Context, s side, workers []*worker, budget int, d time.Duration) (int, time.Duration) {
	if budget <= 0 {
		return 0, 0
	}
	var taken atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for _, w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) && taken.Add(1) <= int64(budget) {
				life := &w.life[s]
				o := g.o.mix.pick(w.rng, life)
				var took, core time.Duration
				var err error
				if s == sideService {
					took, err = g.serviceOp(ctx, w, o, life)
				} else {
					took, core, err = g.directOp(ctx, w, o, life)
				}
				if err != nil {
					w.rec.fail(s, o, err)
					if o.write() {
						life.reset()
					}
					continue
				}
				w.rec.ok(s, o, took)
				if s == sideDirect {
					w.rec.core(o, core)
				}
				if o.write() {
					life.advance()
				}
			}
		})
	}
	wg.Wait()
	return int(min(taken.Load(), int64(budget))), time.Since(start)
}

// pool is a set of ids shared by the clients: the checks a "get check" may read (those listed
// at the start and those created since), or the releases created.
type pool struct {
	mu  sync.Mutex
	ids []string
}

func (p *pool) add(ids ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids = append(p.ids, ids...)
}

func (p *pool) pick(r *rand.Rand) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ids) == 0 {
		return ""
	}
	return p.ids[r.IntN(len(p.ids))]
}

func (p *pool) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.ids)
}

func (p *pool) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids)
}
