package testenv

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/internal/embedded"
)

// Stoppable is a database server of one test's own, which the test stops and starts again to
// see what an outage does: on the embedded engine, an embedded server on a directory of the
// test's; on the real engine, a private instance of it (PostgreSQL with DocumentDB and
// FerretDB v2) started by scripts/engine, so that stopping it harms no other test.
type Stoppable struct {
	// URI is the server's connection string (it stays the same across restarts).
	URI string
	// Pooled reports whether clients of it use a normal connection pool: the embedded server
	// wants one connection (see package embedded).
	Pooled bool

	stop, start func() error
}

// StartStoppable starts a server for t, stopped when the test ends. On a real engine it
// needs scripts/engine and an installed engine (CI has both); without them the test is
// skipped, saying why.
func StartStoppable(t testing.TB) *Stoppable {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if !shared.real {
		dir := t.TempDir()
		srv, err := embedded.Open(ctx, dir, Logger())
		if err != nil {
			t.Fatalf("start an embedded database: %v", err)
		}
		s := &Stoppable{URI: srv.URI}
		s.stop = func() error { return srv.Close() }
		s.start = func() error {
			next, err := embedded.Open(context.Background(), dir, Logger())
			if err != nil {
				return err
			}
			if !next.Owned {
				return fmt.Errorf("the embedded database of %s was still running when started again", dir)
			}
			srv = next
			return nil
		}
		t.Cleanup(func() { _ = s.stop() })
		return s
	}
	script, err := engineScript()
	if err != nil {
		t.Skipf("a private engine is needed to stop one: %v", err)
	}
	// A short path: both sockets live in it.
	dir, err := os.MkdirTemp("/var/tmp", "sg-outage-")
	if err != nil {
		t.Fatal(err)
	}
	engine := func(verb string) (string, error) {
		var out, errOut bytes.Buffer
		cmd := exec.CommandContext(context.Background(), script, verb, dir)
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("scripts/engine %s: %v\n%s", verb, err, errOut.String())
		}
		return strings.TrimSpace(out.String()), nil
	}
	line, err := engine("start")
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Skipf("a private engine could not start (is it installed? scripts/engine install): %v", err)
	}
	s := &Stoppable{URI: strings.TrimPrefix(line, "MONGODB_URI="), Pooled: true}
	s.stop = func() error { _, err := engine("stop"); return err }
	s.start = func() error { _, err := engine("start"); return err }
	t.Cleanup(func() {
		_ = s.stop()
		_ = os.RemoveAll(dir)
	})
	return s
}

// Stop stops the server. It may be called from any goroutine: a failure is reported with
// Errorf.
func (s *Stoppable) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop(); err != nil {
		t.Errorf("stop the database: %v", err)
	}
}

// Start starts the stopped server again, on the same data.
func (s *Stoppable) Start(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatalf("start the database again: %v", err)
	}
}

// engineScript finds scripts/engine in the module the test runs in, and checks that the
// engine it starts is installed.
func engineScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		script := filepath.Join(dir, "scripts", "engine")
		if _, err := os.Stat(script); err == nil {
			prefix := os.Getenv("ENGINE_PREFIX")
			if prefix == "" {
				prefix = "/var/tmp/safeguarding-engine"
			}
			if _, err := os.Stat(filepath.Join(prefix, "bin", "ferretdb")); err != nil {
				return "", fmt.Errorf("the engine is not installed in %s (scripts/engine install)", prefix)
			}
			return script, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no scripts/engine above the test's directory")
		}
		dir = parent
	}
}
