package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/probation/safeguarding/api"
	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/config"
	"github.com/probation/safeguarding/internal/embedded"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

// app is the service's parts wired together: the database (embedded or not), the store and
// the domain service. serve, the administration commands and the end-to-end tests all build
// it the same way.
type app struct {
	cfg      config.Config
	log      *slog.Logger
	embedded *embedded.Server // nil when MONGODB_URI is set
	client   *mongo.Client
	store    *store.Store
	svc      *checks.Service
	clock    checks.Clock
	calendar *checks.Calendar

	outbox    *store.Outbox
	escalator *notify.Escalator
	sender    *notify.Sender
}

// openApp connects to the database (starting or joining the embedded one when MONGODB_URI
// is unset), checks that it answers, and prepares it. serving is true for serve, which must
// run the embedded database itself and alone (see openEmbedded).
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger, serving bool) (*app, error) {
	return openAppClock(ctx, cfg, log, serving, nil)
}

// openAppClock is openApp with the clock every part reads, when clock is not nil: simulate
// runs the same wiring on a clock it moves.
func openAppClock(ctx context.Context, cfg config.Config, log *slog.Logger, serving bool, clock checks.Clock) (*app, error) {
	a := &app{cfg: cfg, log: log, clock: checks.SystemClock{}}
	if !cfg.ClockStart.IsZero() {
		a.clock = checks.NewOffsetClock(cfg.ClockStart)
	}
	if clock != nil {
		a.clock = clock
	}
	uri := cfg.MongoURI
	if uri == "" {
		srv, err := openEmbedded(ctx, cfg.DataDir, log, serving)
		if err != nil {
			return nil, err
		}
		a.embedded, uri = srv, srv.URI
	}
	opts := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(5 * time.Second).
		// Every claim and state change must survive a failover on a replica set.
		SetWriteConcern(writeconcern.Majority()).
		// No database call may hang a request past this bound.
		SetTimeout(10 * time.Second)
	client, err := mongo.Connect(opts)
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	a.client = client
	// mongo.Connect does not contact the server: ping, so that a wrong URI fails here.
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx, nil); err != nil {
		a.Close()
		return nil, fmt.Errorf("the database at %s does not answer: %w", redact(uri), err)
	}
	db := client.Database(cfg.Database)
	a.store = store.New(db, log)
	a.calendar = checks.NewCalendar(cfg.ExtraClosures)
	deadlines := checks.Deadlines{Policy: cfg.Policy, Calendar: a.calendar}
	a.svc = checks.NewService(a.store, a.clock, deadlines, log)
	a.svc.SetTokenLifetime(cfg.TokenLifetime)
	a.outbox = store.NewOutbox(db)
	ladder := notify.Ladder{Thresholds: cfg.Thresholds, Deadlines: deadlines}
	a.escalator = notify.NewEscalator(a.store, a.store, a.outbox, ladder, a.clock, cfg.BaseURL, log)
	a.escalator.Support = cfg.SupportEmail
	a.sender = notify.NewSender(a.outbox, a.mailer(), a.clock, cfg.Sender, log)
	if err := a.svc.Start(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("prepare the database: %w", err)
	}
	if err := a.outbox.EnsureIndexes(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("prepare the outbox: %w", err)
	}
	if err := a.indexIDs(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("prepare the embedded database: %w", err)
	}
	return a, nil
}

// indexIDs gives the embedded server's collections the index its lookups by id need (see
// embedded.Server.IndexIDs): at start-up, once the store's collections exist, and with each
// maintenance, for those made since. Nothing on another engine, or when another process runs
// the embedded server.
func (a *app) indexIDs(ctx context.Context) error {
	if a.embedded == nil {
		return nil
	}
	return a.embedded.IndexIDs(ctx, a.cfg.Database)
}

// openEmbedded starts or joins the embedded database of dataDir. A command joins the server
// running there, if any. serve must be the only service of the directory: the embedded server
// keeps conditional updates atomic only on one connection, and two services would each bring
// their own. So serve refuses to start while another serve runs there, and it never joins a
// command's server (that server stops when the command ends): it waits for it to stop, then
// starts its own, which the commands then join.
func openEmbedded(ctx context.Context, dataDir string, log *slog.Logger, serving bool) (*embedded.Server, error) {
	// FerretDB logs every error answer (a duplicate key, say) as a warning with the whole
	// message, which may hold personal data: keep only its own errors.
	dbLog := slog.New(levelFilter{log.Handler(), slog.LevelError}).With("component", "embedded-db")
	if !serving {
		return embedded.Open(ctx, dataDir, dbLog)
	}
	srv, err := embedded.OpenExclusive(ctx, dataDir, dbLog, func(pid int) {
		log.Info("waiting for a command to stop the embedded database it runs, to start the service's own",
			"data_dir", dataDir, "pid", pid)
	})
	var inUse *embedded.InUseError
	if errors.As(err, &inUse) {
		return nil, fmt.Errorf("%w: stop it first, or use MONGODB_URI (see the README) for several replicas", err)
	}
	return srv, err
}

// mailer is the SMTP relay when one is configured, else .eml files under the data directory.
func (a *app) mailer() notify.Mailer {
	if a.cfg.SMTP.Host == "" {
		return notify.FileMailer{Dir: a.mailDir(), From: a.cfg.SMTP.From, FromName: a.cfg.SMTP.FromName}
	}
	return notify.NewSMTPMailer(a.cfg.SMTP)
}

func (a *app) mailDir() string { return filepath.Join(a.cfg.DataDir, "mail") }

// describeMail says where emails go, for start-up messages.
func (a *app) describeMail() string {
	if a.cfg.SMTP.Host == "" {
		abs, _ := filepath.Abs(a.mailDir())
		return "written as .eml files in " + abs + " (set SAFEGUARDING_SMTP_HOST to send them)"
	}
	return fmt.Sprintf("sent through %s:%d (%s) from %s", a.cfg.SMTP.Host, a.cfg.SMTP.Port, a.cfg.SMTP.TLS, a.cfg.SMTP.From)
}

// Close disconnects and stops the embedded database if this process runs it.
func (a *app) Close() {
	if a.client != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = a.client.Disconnect(ctx)
		cancel()
	}
	if a.embedded != nil {
		if err := a.embedded.Close(); err != nil {
			a.log.Warn("closing the embedded database", "error", err)
		}
	}
}

// where says where the data lives, for start-up messages.
func (a *app) where() string {
	if a.embedded != nil {
		how := "started by this process"
		if !a.embedded.Owned {
			how = "shared with the service already running there"
		}
		return fmt.Sprintf("embedded database in %s (%s)", a.embedded.Dir, how)
	}
	return "MongoDB at " + redact(a.cfg.MongoURI) + ", database " + a.cfg.Database
}

// redact hides the password of a connection string.
func redact(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return uri
	}
	creds, host, ok := strings.Cut(rest, "@")
	if !ok {
		return uri
	}
	user, _, _ := strings.Cut(creds, ":")
	return scheme + "://" + user + ":***@" + host
}

// newLogger returns the service's logger: text or JSON on w.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	// Every line logged while serving a request carries its id.
	return slog.New(api.LogHandler(h))
}

// levelFilter drops records below a level, whatever the wrapped handler accepts.
type levelFilter struct {
	slog.Handler
	min slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.min && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelFilter{f.Handler.WithAttrs(attrs), f.min}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{f.Handler.WithGroup(name), f.min}
}
