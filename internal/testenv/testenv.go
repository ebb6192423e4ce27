// Package testenv gives tests the real parts they run against: a database (the embedded
// server, one per test binary, or the real engine named by SAFEGUARDING_TEST_MONGODB_URI; a
// fresh database per test either way) and a clock the test moves.
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
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/probation/safeguarding/internal/embedded"
)

// EngineVar names the variable that points the tests at a real engine (FerretDB v2 with
// DocumentDB, or MongoDB) instead of the embedded server.
const EngineVar = "SAFEGUARDING_TEST_MONGODB_URI"

// shared is the database server and client of this test binary, set up by Main. Test
// helpers are the one place package state is allowed: a test binary is one process.
var shared struct {
	uri    string
	real   bool
	client *mongo.Client
	seq    atomic.Int64
	// server is the embedded server this binary runs; nil on a real engine.
	server *embedded.Server
}

// Main connects to the package's database, runs the tests and disconnects: the engine named
// by SAFEGUARDING_TEST_MONGODB_URI when set, else an embedded server started for this test
// binary. Call it from TestMain: os.Exit(testenv.Main(m)).
func Main(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := options.Client()
	if uri := os.Getenv(EngineVar); uri != "" {
		// A real engine is used as production uses it: a normal pool and majority writes.
		shared.uri, shared.real = uri, true
		opts.SetWriteConcern(writeconcern.Majority())
	} else {
		dir, err := os.MkdirTemp("", "safeguarding-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		server, err := embedded.Open(ctx, dir, Logger())
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv: start embedded database:", err)
			return 1
		}
		defer server.Close()
		shared.uri, shared.server = server.URI, server
	}
	client, err := mongo.Connect(opts.ApplyURI(shared.uri))
	if err == nil {
		err = client.Ping(ctx, nil)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "testenv: connect to %s: %v\n", shared.uri, err)
		return 1
	}
	defer client.Disconnect(context.Background())
	shared.client = client
	return m.Run()
}

// URI returns the connection string of the package's database server.
func URI() string { return shared.uri }

// RealEngine reports whether the tests run on a real engine rather than the embedded server.
func RealEngine() bool { return shared.real }

// RequireRealEngine skips a test that proves something only a real engine can (index use,
// several writers on several connections).
func RequireRealEngine(t testing.TB) {
	t.Helper()
	_ = os.Getenv(EngineVar) // recorded in the test cache's key, as in DatabaseName
	if !shared.real {
		t.Skipf("needs a real engine: set %s (see the README)", EngineVar)
	}
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// DatabaseName returns a name for a new database of one test, unique across the test
// binaries that share a server, and drops that database when the test ends. For tests whose
// database another process opens.
func DatabaseName(t testing.TB) string {
	t.Helper()
	// Read again while the test runs: go test caches a result by the environment a test
	// reads, and TestMain's read, before the tests start, is not recorded. Without this, a
	// run on the real engine would be answered from an embedded run's cache.
	_ = os.Getenv(EngineVar)
	if shared.client == nil {
		t.Fatal("testenv: the package's TestMain must call testenv.Main")
	}
	name := strings.ToLower(unsafeChars.ReplaceAllString(t.Name(), "_"))
	if len(name) > 32 {
		name = name[len(name)-32:]
	}
	db := fmt.Sprintf("t%d_%d_%s", os.Getpid(), shared.seq.Add(1), strings.Trim(name, "_"))
	t.Cleanup(func() { _ = shared.client.Database(db).Drop(context.Background()) })
	return db
}

// Database returns a new, empty database for one test, dropped when the test ends.
func Database(t testing.TB) *mongo.Database {
	t.Helper()
	return shared.client.Database(DatabaseName(t))
}

// IndexIDs gives the collections of db the index the embedded server's lookups by id use, as
// the service does once its collections exist (see embedded.Server.IndexIDs). Nothing on a
// real engine. Call it after EnsureIndexes where a test or benchmark measures or depends on
// the cost of a lookup.
func IndexIDs(t testing.TB, db *mongo.Database) {
	t.Helper()
	if shared.server == nil {
		return
	}
	if err := shared.server.IndexIDs(context.Background(), db.Name()); err != nil {
		t.Fatalf("testenv: index the ids of %s: %v", db.Name(), err)
	}
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
