package checks

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Service is what the API, the command line and the scheduler ask of the domain. Every method
// takes the acting user and applies the scope and role rules: callers need not check them.
type Service struct {
	store     Store
	clock     Clock
	deadlines Deadlines
	log       *slog.Logger
	tokens    *tokenCache
	ids       *ids
	// tokenLifetime is how long a token issued without a lifetime works.
	tokenLifetime time.Duration
}

// NewService returns a service on store, telling the time with clock and computing deadlines
// with deadlines.
func NewService(store Store, clock Clock, deadlines Deadlines, log *slog.Logger) *Service {
	return &Service{store: store, clock: clock, deadlines: deadlines, log: log, tokens: newTokenCache(TokenCacheTTL), ids: newIDs(), tokenLifetime: DefaultTokenLifetime}
}

// TokenCacheTTL is how long a process answers a token from memory: a revocation or a
// deactivation made through another process (a replica, the command line) takes at most this
// long to reach it; one made through this process applies at once.
const TokenCacheTTL = 2 * time.Second

// Deadlines returns the deadline rules the service applies.
func (s *Service) Deadlines() Deadlines { return s.deadlines }

// Clock returns the service's clock.
func (s *Service) Clock() Clock { return s.clock }

// System is the acting user for what the service does by itself or from the command line.
func System(name string) User {
	return User{ID: "", Name: name, Role: RoleAdmin, Active: true}
}

// Start prepares the database for use: indexes, the agency directory, and the repair of any
// release whose checks a crash left behind. Run it once at start-up.
func (s *Service) Start(ctx context.Context) error {
	if err := s.store.EnsureIndexes(ctx); err != nil {
		return err
	}
	agencies, err := Directory()
	if err != nil {
		return err
	}
	added, err := s.store.SeedAgencies(ctx, agencies, s.now())
	if err != nil {
		return fmt.Errorf("load agency directory: %w", err)
	}
	if added > 0 {
		s.log.InfoContext(ctx, "agency directory loaded", "added", added)
	}
	return s.Maintain(ctx)
}

// Maintain finishes what a crash may have cut short: releases whose checks were not brought
// in line, and audit entries not yet copied to the audit collection. It runs at start-up and
// before each daily escalation run.
func (s *Service) Maintain(ctx context.Context) error {
	if _, err := s.RepairPending(ctx); err != nil {
		return err
	}
	n, err := s.store.FlushPendingAudit(ctx)
	if n > 0 {
		s.log.InfoContext(ctx, "pending audit entries copied", "documents", n)
	}
	if err != nil {
		return err
	}
	if _, err = s.store.EndExpiredSessions(ctx, s.now()); err != nil {
		return err
	}
	if _, err = s.store.EndExpiredSignInLinks(ctx, s.now()); err != nil {
		return err
	}
	// An uploaded schedule holds names and addresses: none is kept past its hour.
	return s.store.DeleteExpiredPendingImports(ctx, s.now())
}

// now returns the clock's time to the millisecond, the precision the database keeps, so
// that what a call returns is what a later read returns.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// Today returns the current day in London.
func (s *Service) Today() Date { return DateOf(s.clock.Now()) }

// ids makes the ids of new releases, checks, users and audit entries: 12 bytes in hexadecimal,
// as MongoDB's object ids are, the seconds since 1970, 5 random bytes of this process and a
// counter. Ids made in one process sort in the order they were made, so that lists sorted by
// a time and then by id keep that order within a second.
type ids struct {
	process [5]byte
	counter atomic.Uint32
}

func newIDs() *ids {
	g := &ids{}
	_, _ = rand.Read(g.process[:]) // crypto/rand.Read never fails on supported systems
	var start [4]byte
	_, _ = rand.Read(start[:])
	g.counter.Store(binary.BigEndian.Uint32(start[:]))
	return g
}

func (g *ids) next() string {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
	copy(b[4:9], g.process[:])
	n := g.counter.Add(1)
	b[9], b[10], b[11] = byte(n>>16), byte(n>>8), byte(n)
	return hex.EncodeToString(b[:])
}

// newID returns a new id.
func (s *Service) newID() string { return s.ids.next() }

// checkID refuses a malformed id before it reaches the database.
func checkID(field, id string) error {
	if !ValidID(id) {
		return Malformed(field, "is not an id this service issues (24 hexadecimal characters)")
	}
	return nil
}

// retries bounds how often a change is retried after losing a race for a document.
const retries = 5

// stale reports whether err is a lost race, answered 412 when the caller named the version
// it expected and retried otherwise.
func stale(err error) bool { return errors.Is(err, ErrStale) }

// precondition checks an If-Match version against the current one.
func precondition(ifMatch *int64, version int64) error {
	if ifMatch != nil && *ifMatch != version {
		return &Error{Code: EPRECONDITION, Message: fmt.Sprintf("version %d is no longer current (now %d): read it again and retry", *ifMatch, version)}
	}
	return nil
}

// RecentDays is how far back a list reaches unless told otherwise: releases from this many
// days ago onwards. A list is sorted by release date, soonest first, so without a bound its
// first page would be the oldest release of years of records; and the bound keeps every list
// to what an index selects, however many years the database holds.
const RecentDays = 90

// limit applies the default and the maximum page size.
func limit(n int) (int, error) {
	switch {
	case n == 0:
		return 50, nil
	case n < 0 || n > 200:
		return 0, &Error{Code: EINVALID, Message: "the request has invalid fields", Fields: []FieldError{{"limit", "must be a whole number from 1 to 200"}}}
	}
	return n, nil
}

// actorEntry starts a history entry for something u did.
func actorEntry(u User, at time.Time, a Action) HistoryEntry {
	return HistoryEntry{At: at, ActorID: u.ID, ActorName: u.Name, Role: u.Role, Action: a}
}
