package main

// simulate: a probation region's year through the real service (see the simulate package),
// wired as serve wires it, on the engine the settings name.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/probation/safeguarding/config"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/simulate"
)

func simulateCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommand("simulate", "simulate [--out DIR] [--seed N] [assumptions...]", stderr)
	p := simulate.DefaultParams()
	simulate.RegisterFlags(c.fs, &p)
	out := c.fs.String("out", "", "directory to write report.json and the SVG charts to (none: the table on standard output only)")
	if err := c.parse(args); err != nil {
		return ignoreHelp(err)
	}
	if c.fs.NArg() > 0 {
		return usageError("simulate takes no arguments, got %q", c.fs.Args())
	}
	cfg, log, err := c.load(getenv)
	if err != nil {
		return err
	}
	if p.Teams == 0 {
		p.Teams = simulate.TeamTeams
		if cfg.MongoURI != "" {
			p.Teams = simulate.RegionTeams
		}
	}
	if err := p.Validate(); err != nil {
		return usageError("%v", err)
	}
	// The service's own logs would be one line per run and email: warnings and errors only.
	log = slog.New(levelFilter{log.Handler(), max(cfg.LogLevel, slog.LevelWarn)})
	open, cleanup, err := simulationOpener(cfg, log, p.Seed)
	if err != nil {
		return err
	}
	defer cleanup()
	rep, err := simulate.Simulate(ctx, p, open, stderr, cfg.MongoURI != "")
	if err != nil {
		return err
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if *out != "" {
		if err := rep.WriteDir(*out); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "simulate: figures and charts written to %s\n", *out)
	}
	return nil
}

// simulationOpener wires each run as serve does (openApp), with the run's clock and SMTP
// server, in a database of its own: on the real engine MONGODB_DATABASE-sim-SEED-MODE
// (dropped first, kept after for inspection); on the embedded one a fresh data directory,
// removed at the end, so that a simulation never touches the service's own data.
func simulationOpener(cfg config.Config, log *slog.Logger, seed uint64) (simulate.Opener, func(), error) {
	cleanup := func() {}
	if cfg.MongoURI == "" {
		dir, err := os.MkdirTemp("", "safeguarding-simulate-")
		if err != nil {
			return nil, nil, fmt.Errorf("a data directory for the simulation: %w", err)
		}
		cfg.DataDir = dir
		cleanup = func() { _ = os.RemoveAll(dir) }
	}
	base := cfg.Database
	open := func(ctx context.Context, env simulate.Env) (simulate.System, func(), error) {
		run := cfg
		run.Database = fmt.Sprintf("%s-sim-%d-%s", base, seed, env.Mode)
		run.SMTP.Host, run.SMTP.Port, run.SMTP.TLS = env.SMTPHost, env.SMTPPort, notify.TLSNone
		run.SMTP.Username, run.SMTP.Password = "", ""
		run.ClockStart = time.Time{}
		a, err := openAppClock(ctx, run, log, false, env.Clock)
		if err != nil {
			return simulate.System{}, nil, err
		}
		// A fresh database: drop what an earlier run of the same seed left, and prepare again.
		if err := a.client.Database(run.Database).Drop(ctx); err != nil {
			a.Close()
			return simulate.System{}, nil, fmt.Errorf("drop the simulation's database %s: %w", run.Database, err)
		}
		a.Close()
		if a, err = openAppClock(ctx, run, log, false, env.Clock); err != nil {
			return simulate.System{}, nil, err
		}
		sys := simulate.System{Service: a.svc, Escalator: a.escalator, Sender: a.sender, Calendar: a.calendar,
			Schedule: run.EscalationSchedule, Where: a.where()}
		return sys, a.Close, nil
	}
	return open, cleanup, nil
}
