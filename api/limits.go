package api

import (
	"context"
	"log/slog"
	"math"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/probation/safeguarding/checks"
)

// How the capacity of the service is shared. Every limit answers at once, with Retry-After,
// rather than queueing the request: a queue would hold a connection and a goroutine for
// whoever floods it.
//
//   - At most MaxInFlight requests are served at once; past that, 503. The health checks are
//     never refused: a busy service must not look dead to the load balancer.
//   - Each user has at most MaxInFlightPerUser of them; past that, 429. A rate limit alone
//     cannot do this: a client that keeps 50 slow requests open makes few requests a second,
//     well under any sane rate, while everyone else waits behind them.
//   - Each user has a token bucket (RateLimit, RateBurst), shared by the API and the pages.
//   - Each client address has a bucket for the requests it makes without signing in, and one
//     for its failed sign-ins and token checks; while the second is empty, no credential from
//     that address is even looked up.

// buckets gives each key (a user id, a client address) a token bucket. It works in real time,
// not the service's clock: it is about load, not about dates.
//
// The map stays bounded: a bucket that has filled up again is the same as a new one, so it is
// forgotten; and past maxKeys, new keys share one bucket until room is made, so a flood of
// addresses is held back together instead of growing the map.
type buckets struct {
	limit   rate.Limit
	burst   int
	maxKeys int

	mu       sync.Mutex
	byKey    map[string]*rate.Limiter
	overflow *rate.Limiter
	pruned   time.Time
}

// newBuckets returns buckets of perSecond tokens a second, up to burst; nil, which allows
// everything, when perSecond is 0.
func newBuckets(perSecond float64, burst int) *buckets {
	if perSecond <= 0 {
		return nil
	}
	limit, burst := rate.Limit(perSecond), max(burst, 1)
	return &buckets{limit: limit, burst: burst, maxKeys: 10000,
		byKey: map[string]*rate.Limiter{}, overflow: rate.NewLimiter(limit, burst)}
}

// allow takes a token of key's bucket, or says how long until there is one.
func (b *buckets) allow(key string, now time.Time) (bool, time.Duration) {
	if b == nil {
		return true, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.bucket(key, now, true)
	if l.AllowN(now, 1) {
		return true, 0
	}
	return false, b.untilToken(l, now)
}

// wait says how long until key's bucket has a token, without taking one: 0 when it has.
func (b *buckets) wait(key string, now time.Time) time.Duration {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.bucket(key, now, false)
	if l == nil {
		return 0 // a key without a bucket has a full one
	}
	return b.untilToken(l, now)
}

func (b *buckets) untilToken(l *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - l.TokensAt(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(missing / float64(b.limit) * float64(time.Second))
}

// bucket finds key's bucket, or makes it when create is set (else nil); b.mu is held. Past
// maxKeys a new key gets the shared bucket.
func (b *buckets) bucket(key string, now time.Time, create bool) *rate.Limiter {
	b.prune(now)
	if l, ok := b.byKey[key]; ok {
		return l
	}
	if len(b.byKey) >= b.maxKeys {
		return b.overflow
	}
	if !create {
		return nil
	}
	l := rate.NewLimiter(b.limit, b.burst)
	b.byKey[key] = l
	return l
}

// prune forgets, at most once a minute, the buckets that have filled up again; b.mu is held.
func (b *buckets) prune(now time.Time) {
	if now.Sub(b.pruned) < time.Minute {
		return
	}
	b.pruned = now
	for k, l := range b.byKey {
		if l.TokensAt(now) >= float64(b.burst) {
			delete(b.byKey, k)
		}
	}
}

// userSlots counts each user's requests in progress, up to max each. A user's entry lives
// only while it has one, so there are never more entries than requests in flight. (A
// semaphore per user would still need this count, to know when its entry may go.)
type userSlots struct {
	max int

	mu   sync.Mutex
	held map[string]int
}

// newUserSlots returns slots of max requests a user; nil, which allows everything, when max
// is 0.
func newUserSlots(max int) *userSlots {
	if max <= 0 {
		return nil
	}
	return &userSlots{max: max, held: map[string]int{}}
}

// take takes one of the user's slots, or reports that it has none free.
func (u *userSlots) take(user string) bool {
	if u == nil {
		return true
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.held[user] >= u.max {
		return false
	}
	u.held[user]++
	return true
}

// give gives back a slot taken.
func (u *userSlots) give(user string) {
	if u == nil {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.held[user]--
	if u.held[user] <= 0 {
		delete(u.held, user)
	}
}

// shed answers 503 while MaxInFlight requests are being served, except to the health checks.
func (s *Server) shed(c *gin.Context) {
	if s.inFlight == nil || c.FullPath() == "/healthz" || c.FullPath() == "/readyz" {
		c.Next()
		return
	}
	if !s.inFlight.TryAcquire(1) {
		s.refuse(c, checks.EUNAVAILABLE, time.Second, "the service is answering as many requests as it can: retry shortly")
		return
	}
	defer s.inFlight.Release(1)
	c.Next()
}

// limitUser holds a signed-in user to its rate and to its share of the requests in flight,
// on the API and on the pages alike.
func (s *Server) limitUser(c *gin.Context) {
	id := actor(c).ID
	if ok, wait := s.userRate.allow(id, time.Now()); !ok {
		s.refuse(c, codeRateLimited, wait, "too many requests from this user: wait and retry")
		return
	}
	if !s.userSlots.take(id) {
		s.refuse(c, codeRateLimited, time.Second, "too many requests from this user at once: wait for them to finish")
		return
	}
	defer s.userSlots.give(id)
	c.Next()
}

// limitAnonymous holds a client address to its rate of requests made without signing in.
func (s *Server) limitAnonymous(c *gin.Context) {
	if s.overAnonymousRate(c) {
		return
	}
	c.Next()
}

// overAnonymousRate answers 429, and says so, when the client's address is over its rate of
// requests made without signing in.
func (s *Server) overAnonymousRate(c *gin.Context) bool {
	ok, wait := s.anonymousRate.allow(clientAddress(c), time.Now())
	if !ok {
		s.refuse(c, codeRateLimited, wait, "too many requests from this address without signing in: wait and retry")
	}
	return !ok
}

// tooManyFailures answers 429, and says so, while the client's address has failed to sign in
// too often: its credentials are not looked up, valid or not, until Retry-After.
func (s *Server) tooManyFailures(c *gin.Context) bool {
	wait := s.failures.wait(clientAddress(c), time.Now())
	if wait > 0 {
		s.refuse(c, codeRateLimited, wait, "too many failed sign-ins from this address: wait and retry")
	}
	return wait > 0
}

// countFailure counts a credential the service refused against the client's address.
func (s *Server) countFailure(c *gin.Context, err error) {
	if checks.ErrorCode(err) == checks.EUNAUTHORIZED {
		s.failures.allow(clientAddress(c), time.Now())
	}
}

// clientAddress is what the per-address limits count by: the client's IP as the trusted
// proxies tell it, and for IPv6 its /64, which a single subscriber usually holds whole.
func clientAddress(c *gin.Context) string {
	ip, err := netip.ParseAddr(c.ClientIP())
	if err != nil {
		return c.ClientIP()
	}
	if ip = ip.Unmap(); ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// refuse turns a request away for now, saying when to retry: a problem on the API, a page in
// a browser.
func (s *Server) refuse(c *gin.Context, code string, wait time.Duration, detail string) {
	c.Header("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	if !isPage(c.Request.URL.Path) {
		s.answer(c, code, detail, nil, "")
		return
	}
	class := classOf(code)
	s.message(c, class.HTTPStatus, class.Heading, class.Advice)
}

// timeout bounds the time a request may take: the database calls it makes end at the
// deadline, and the request is answered 503.
func (s *Server) timeout(c *gin.Context) {
	if s.opts.RequestTimeout <= 0 {
		c.Next()
		return
	}
	limit := s.opts.RequestTimeout
	if importing(c) && s.opts.ImportTimeout > 0 {
		limit = s.opts.ImportTimeout
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), limit)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

type requestIDKey struct{}

// LogHandler wraps a log handler so that every record logged with a request's context
// carries that request's id.
func LogHandler(h slog.Handler) slog.Handler { return requestIDHandler{h} }

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
