// Package testenv gives tests the real parts they run against: the embedded database (one
// server per test binary, a fresh database per test) and a clock the test moves.
package testenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/internal/embedded"
)

// shared is the embedded server and client of this test binary, set up by Main. Test
// helpers are the one place package state is allowed: a test binary is one process.
var shared struct {
	server *embedded.Server
	client *mongo.Client
	seq    atomic.Int64
}

// Main starts the embedded database for the package's tests, runs them and stops it. Call it
// from TestMain: os.Exit(testenv.Main(m)).
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "safeguarding-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	server, err := embedded.Open(ctx, dir, Logger())
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv: start embedded database:", err)
		return 1
	}
	defer server.Close()
	client, err := mongo.Connect(options.Client().ApplyURI(server.URI))
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv: connect:", err)
		return 1
	}
	defer client.Disconnect(context.Background())
	shared.server, shared.client = server, client
	return m.Run()
}

// URI returns the connection string of the package's embedded database.
func URI() string { return shared.server.URI }

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// Database returns a new, empty database for one test, dropped when the test ends.
func Database(t testing.TB) *mongo.Database {
	t.Helper()
	if shared.client == nil {
		t.Fatal("testenv: the package's TestMain must call testenv.Main")
	}
	name := strings.ToLower(unsafeChars.ReplaceAllString(t.Name(), "_"))
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	db := shared.client.Database(fmt.Sprintf("t%d_%s", shared.seq.Add(1), strings.Trim(name, "_")))
	t.Cleanup(func() { _ = db.Drop(context.Background()) })
	return db
}

// Client returns the package's shared client.
func Client() *mongo.Client { return shared.client }

// Logger returns a logger for tests: quiet unless SAFEGUARDING_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("SAFEGUARDING_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Clock is a clock a test sets and moves. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// At returns a clock standing at an RFC 3339 time; it fails the test on a bad time.
func At(t testing.TB, rfc3339 string) *Clock {
	t.Helper()
	now, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		t.Fatalf("testenv.At: %v", err)
	}
	return NewClock(now)
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
