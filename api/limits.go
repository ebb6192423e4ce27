package api

import (
	"context"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// rateLimiter gives each user a token bucket: rate requests a second, bursts up to burst.
// It works in real time, not the service's clock: it is about load, not about dates.
type rateLimiter struct {
	rate  rate.Limit
	burst int

	mu    sync.Mutex
	users map[string]*bucket
	calls int
}

type bucket struct {
	limiter *rate.Limiter
	seen    time.Time
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate.Limit(perSecond), burst: burst, users: map[string]*bucket{}}
}

// allow takes a token for the user, or says how long to wait for one.
func (l *rateLimiter) allow(user string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%1000 == 0 {
		// Forget users idle for ten minutes, so the map does not grow for ever.
		for id, b := range l.users {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.users, id)
			}
		}
	}
	b := l.users[user]
	if b == nil {
		b = &bucket{limiter: rate.NewLimiter(l.rate, l.burst)}
		l.users[user] = b
	}
	b.seen = now
	r := b.limiter.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// limitRate answers 429, with Retry-After, to a user over its rate.
func (s *Server) limitRate(c *gin.Context) {
	if s.limiter == nil {
		c.Next()
		return
	}
	ok, wait := s.limiter.allow(actor(c).ID, time.Now())
	if !ok {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.answer(c, codeRateLimited, "too many requests from this user: wait and retry", nil, "")
		return
	}
	c.Next()
}

// timeout bounds the time a request may take: the database calls it makes end at the
// deadline, and the request is answered 503.
func (s *Server) timeout(c *gin.Context) {
	if s.opts.RequestTimeout <= 0 {
		c.Next()
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.RequestTimeout)
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
