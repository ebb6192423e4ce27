package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/probation/safeguarding/api"
	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/config"
	"github.com/probation/safeguarding/internal/metrics"
	"github.com/probation/safeguarding/notify"
)

// errUsage marks a command line that cannot be run as given (exit status 2).
var errUsage = errors.New("usage")

func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s (see: safeguarding help)", errUsage, fmt.Sprintf(format, args...))
}

// run is the whole program: main only calls it, and the end-to-end tests call it too.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		help(stderr)
		return usageError("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, getenv, stderr)
	case "users":
		return usersCommand(ctx, rest, getenv, stdout, stderr)
	case "tokens":
		return tokensCommand(ctx, rest, getenv, stdout, stderr)
	case "escalate":
		return escalate(ctx, rest, getenv, stdout, stderr)
	case "seed":
		return seedCommand(ctx, rest, getenv, stdout, stderr)
	case "simulate":
		return simulateCommand(ctx, rest, getenv, stdout, stderr)
	case "import":
		return importCommand(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version())
		return nil
	case "help", "-h", "-help", "--help":
		help(stdout)
		return nil
	}
	return usageError("unknown command %q", cmd)
}

func help(w io.Writer) {
	fmt.Fprint(w, `safeguarding tracks the domestic abuse and child safeguarding checks probation must get
before each prisoner is released, and chases the ones that are late.

Commands:
  safeguarding serve                    run the API (and the embedded database when MONGODB_URI is unset)
  safeguarding users add --role ROLE --name NAME --email EMAIL [--team T] [--teams T1,T2] [--agency CODE]
                                        add a user; prints its bearer token alone on standard output
  safeguarding users list [--role ROLE] list users
  safeguarding users deactivate ID      deactivate a user (its tokens stop working)
  safeguarding tokens issue --user ID [--label TEXT]
                                        issue another token; prints it alone on standard output
  safeguarding tokens revoke ID         revoke a token (ID is the token's id, not its secret)
  safeguarding escalate [--as-of TIME] [--dry-run]
                                        run the escalation ladder now (or as of TIME: later than now only
                                        with --dry-run) and print the plan
  safeguarding seed --demo [--tokens FILE]
                                        create demo users and releases; prints the path of the file holding their tokens
  safeguarding simulate [--out DIR] [--seed N] [assumptions...]
                                        run a simulated year of a region (or a team, on the embedded
                                        database) through the service, with the ladder and without; print
                                        the figures (simulate --help lists every assumption)
  safeguarding import --as EMAIL [--dry-run] [--all-or-nothing] FILE
                                        load a release schedule (CSV) as that COM, manager or admin, and
                                        print what it added, changed, left and rejected
  safeguarding version                  print the version
  safeguarding help                     this text

Roles: admin, com (one --team), manager (--teams), liaison (--agency, e.g. E23000001).

Every command takes these settings, from the environment or as flags (flags win):

`)
	config.Usage(w)
}

func version() string {
	v := "devel"
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		v = info.Main.Version
	}
	return "safeguarding " + v
}

// command is a parsed command line: the settings and the command's own flags.
type command struct {
	fs       *flag.FlagSet
	settings *config.Flags
	stderr   io.Writer
}

func newCommand(name, synopsis string, stderr io.Writer) *command {
	fs := flag.NewFlagSet("safeguarding "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &command{fs: fs, settings: config.Register(fs), stderr: stderr}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: safeguarding %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\nSettings (environment variable, or the flag to override it):")
		config.Usage(stderr)
	}
	return c
}

// parse reads the flags; errHelp means --help was asked for and answered.
func (c *command) parse(args []string) error {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flag.ErrHelp
		}
		return usageError("%v", err)
	}
	return nil
}

// open loads the settings and opens the app for an administration command, logging to stderr.
func (c *command) open(ctx context.Context, getenv func(string) string) (*app, error) {
	cfg, log, err := c.load(getenv)
	if err != nil {
		return nil, err
	}
	return openApp(ctx, cfg, log, false)
}

// load reads the settings and makes the logger, on stderr.
func (c *command) load(getenv func(string) string) (config.Config, *slog.Logger, error) {
	cfg, err := c.settings.Load(getenv)
	if err != nil {
		return config.Config{}, nil, err
	}
	log := newLogger(cfg, c.stderr)
	if !cfg.ClockStart.IsZero() {
		log.Warn("!!! THE CLOCK IS MOVED: SAFEGUARDING_CLOCK_START is set, so 'now' is not the real time. Demos and acceptance tests only. !!!",
			"clock_start", cfg.ClockStart.Format(time.RFC3339))
	}
	return cfg, log, nil
}

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	c := newCommand("serve", "serve [flags]", stderr)
	if err := c.parse(args); err != nil {
		return ignoreHelp(err)
	}
	if c.fs.NArg() > 0 {
		return usageError("serve takes no arguments, got %q", c.fs.Args())
	}
	cfg, log, err := c.load(getenv)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer a.Close()

	scheduler := notify.NewScheduler(a.escalator, a.sender, a.calendar, a.clock, a.cfg.EscalationSchedule,
		a.cfg.NoticeInterval, a.cfg.OutboxInterval, a.log)
	scheduler.Maintenance = func(ctx context.Context) error { return errors.Join(a.svc.Maintain(ctx), a.indexIDs(ctx)) }
	scheduler.MaintenanceEvery = 5 * time.Minute
	m := metrics.New(metrics.Sources{
		CountChecks: func(ctx context.Context) ([]checks.CheckCount, int, error) {
			return a.store.CountChecks(ctx, a.svc.Today())
		},
		OutboxCounts: a.outbox.Counts,
		LastRun:      scheduler.LastRun,
	})
	a.escalator.Observe, a.sender.Observe = m, m
	handler, err := api.New(a.svc, a.log, api.Options{
		TrustedProxies: a.cfg.TrustedProxies, Ready: a.store.Ping,
		Escalator: a.escalator, Outbox: a.outbox, Sender: a.sender,
		Metrics: m.Handler(), Observe: m.ObserveRequest,
		RateLimit: a.cfg.RateLimit, RateBurst: a.cfg.RateBurst, RequestTimeout: a.cfg.RequestTimeout, ImportTimeout: a.cfg.ImportTimeout,
		MaxInFlight: a.cfg.MaxInFlight, MaxInFlightPerUser: a.cfg.MaxInFlightPerUser,
		AnonymousRate: a.cfg.AnonymousRate, AnonymousBurst: a.cfg.AnonymousBurst,
		SignInRate: a.cfg.SignInRate, SignInBurst: a.cfg.SignInBurst,
		SecureCookies: strings.HasPrefix(a.cfg.BaseURL, "https://"),
		BaseURL:       a.cfg.BaseURL, TokenSignIn: a.cfg.TokenSignIn, SupportEmail: a.cfg.SupportEmail,
		OIDC:        oidcIssuers(a.cfg.OIDCIssuers),
		SignInLinks: notify.NewSignInLinks(a.outbox, a.sender, a.clock),
	})
	if err != nil {
		return fmt.Errorf("the HTTP layer: %w", err)
	}
	ln, err := net.Listen("tcp", a.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	// Everything start-up has to say comes before "listening", which tells a watcher (and the
	// tests) that start-up is over.
	a.log.Info("emails", "delivery", a.describeMail(), "escalation_schedule", a.cfg.EscalationSchedule)
	a.hintFirstAdmin(ctx)
	a.log.Info("listening", "url", listenURL(ln.Addr()), "data", a.where())

	if err := scheduler.Start(ctx); err != nil {
		return fmt.Errorf("escalation schedule: %w", err)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	a.log.Info("shutting down", "timeout", a.cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	// Cancel the runs under way (they go on from where they stopped at the next start), let
	// the sender finish its batch, then stop.
	scheduler.Stop(shutdownCtx)
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.log.Info("stopped")
	return nil
}

// hintFirstAdmin tells a new user how to create the first admin, while there is none.
func (a *app) hintFirstAdmin(ctx context.Context) {
	admins, err := a.svc.Users(ctx, checks.System("start-up"), checks.UserQuery{Role: checks.RoleAdmin, Limit: 1})
	if err != nil || len(admins.Items) > 0 {
		return
	}
	flags := ""
	if a.embedded != nil {
		flags = " --data-dir " + a.embedded.Dir
	}
	a.log.Info("no admin yet: create the first one with:  safeguarding users add --role admin --name 'Your Name' --email you@example.org" + flags)
}

// listenURL is the address to give a user: localhost when listening on every interface.
func listenURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func ignoreHelp(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// listFlag reads a comma-separated flag into a list.
func listFlag(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// oidcIssuers converts the configured issuers for the HTTP layer.
func oidcIssuers(in []config.OIDCIssuer) []api.OIDCIssuer {
	var out []api.OIDCIssuer
	for _, is := range in {
		out = append(out, api.OIDCIssuer{ID: is.ID, Name: is.Name, Issuer: is.Issuer, ClientID: is.ClientID, ClientSecret: is.ClientSecret, Domains: is.Domains,
			EmailVerifiedClaim: is.EmailVerifiedClaim})
	}
	return out
}
