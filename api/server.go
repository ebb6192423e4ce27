// Package api is the HTTP API of the service: a gin router, its middleware (request id,
// logging, recovery, limits, authentication) and handlers that turn requests into calls on
// the domain and its answers into JSON. Errors become application/problem+json in one
// function (fail).
package api

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sync/semaphore"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/imports"
	"github.com/probation/safeguarding/notify"
)

// Options configure the HTTP layer.
type Options struct {
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed; none when
	// empty, so the client address is the peer's.
	TrustedProxies []string
	// Ready reports whether the service can answer (the database is reachable).
	Ready func(context.Context) error
	// Escalator, Outbox and Sender serve the escalation and outbox endpoints.
	Escalator *notify.Escalator
	Outbox    Outbox
	Sender    *notify.Sender
	// Metrics serves /metrics (to admins); Observe is told of every answered request.
	Metrics http.Handler
	Observe func(route, method string, status int, d time.Duration)
	// RateLimit is each user's sustained requests a second, on the API and the pages together
	// (0: no limit), RateBurst its burst.
	RateLimit float64
	RateBurst int
	// MaxInFlight bounds the requests served at once, the health checks aside: past it a
	// request is answered 503. MaxInFlightPerUser bounds each user's share of them: past it,
	// 429. 0 is no bound.
	MaxInFlight        int
	MaxInFlightPerUser int
	// AnonymousRate is each client address's sustained requests a second made without signing
	// in (0: no limit), AnonymousBurst its burst.
	AnonymousRate  float64
	AnonymousBurst int
	// SignInRate is each client address's sustained failed sign-ins and token checks a minute
	// (0: no limit), SignInBurst its burst. Past them nothing from that address is
	// authenticated until Retry-After.
	SignInRate  float64
	SignInBurst int
	// RequestTimeout bounds each request (0: no bound).
	RequestTimeout time.Duration
	// ImportTimeout bounds an import of a release schedule instead (0: RequestTimeout).
	ImportTimeout time.Duration
	// SecureCookies marks the pages' cookies Secure, names them with the __Host- (or
	// __Secure-) prefix and sends HSTS: set it when the service is reached over https (the
	// base URL says so).
	SecureCookies bool

	// BaseURL is the service's public address: single sign-on's redirect address and the
	// emailed sign-in links are made on it.
	BaseURL string
	// TokenSignIn lets the sign-in page take a pasted API token: for trials only. Off, the
	// pages are signed in to by single sign-on and emailed links alone.
	TokenSignIn bool
	// SupportEmail is where people ask for access or help (SAFEGUARDING_SUPPORT_EMAIL): the
	// sign-in page, the phase banner, the footer and the accessibility statement give it.
	// Empty: they say whom to ask instead.
	SupportEmail string
	// OIDC are the OpenID Connect providers offered for single sign-on.
	OIDC []OIDCIssuer
	// SignInLinks sends emailed sign-in links; nil offers none.
	SignInLinks SignInMailer
	// LinkEmailBurst and LinkAddressBurst bound the sign-in links asked for, for each email
	// address and each client address: that many at once, then one every LinkEvery (0: 3
	// and 10, and 5 minutes).
	LinkEmailBurst   int
	LinkAddressBurst int
	LinkEvery        time.Duration
}

// SignInMailer sends a sign-in link (notify.SignInLinks does, through the outbox).
type SignInMailer interface {
	Send(ctx context.Context, to, link string, expires time.Time) error
}

// Outbox is what the admin endpoints read of the outbox (package store keeps it).
type Outbox interface {
	// List lists emails created since a time, newest first, optionally of one status.
	List(ctx context.Context, status notify.Status, since time.Time, limit int, cursor string) (checks.Page[notify.Email], error)
	// Get reads one email by its key.
	Get(ctx context.Context, key string) (notify.Email, error)
	// About reads the emails, without their bodies, that carry any of the items (see
	// notify.Firings): the release page's emails about each check.
	About(ctx context.Context, items []string) ([]notify.Email, error)
}

// Server holds what the handlers need.
type Server struct {
	svc   *checks.Service
	log   *slog.Logger
	opts  Options
	pages map[string]*template.Template

	// The shares of capacity (see limits.go); a nil one does not limit.
	inFlight      *semaphore.Weighted
	userSlots     *userSlots
	userRate      *buckets
	anonymousRate *buckets
	failures      *buckets
	// The emailed links asked for, by email address and by client address.
	linksByEmail   *buckets
	linksByAddress *buckets

	oidc *oidcIssuers

	namesMu     sync.Mutex
	agencyNames map[string]string

	imports *imports.Importer
}

// New returns the HTTP handler of the service.
func New(svc *checks.Service, log *slog.Logger, opts Options) (http.Handler, error) {
	_, h, err := newServer(svc, log, opts)
	if err != nil {
		return nil, err
	}
	return h, nil
}

// newServer returns the server and its router (the tests reach the server through it).
func newServer(svc *checks.Service, log *slog.Logger, opts Options) (*Server, *gin.Engine, error) {
	// gin's mode is process-wide; release mode keeps its debug banner out of the logs.
	gin.SetMode(gin.ReleaseMode)
	if _, ok := log.Handler().(requestIDHandler); !ok {
		log = slog.New(LogHandler(log.Handler()))
	}
	s := &Server{svc: svc, log: log, opts: opts, agencyNames: map[string]string{}, imports: imports.New(svc)}
	var err error
	if s.pages, err = parsePages(s.templateFuncs()); err != nil {
		return nil, nil, err
	}
	if opts.MaxInFlight > 0 {
		s.inFlight = semaphore.NewWeighted(int64(opts.MaxInFlight))
	}
	s.userSlots = newUserSlots(opts.MaxInFlightPerUser)
	s.userRate = newBuckets(opts.RateLimit, opts.RateBurst)
	s.anonymousRate = newBuckets(opts.AnonymousRate, opts.AnonymousBurst)
	s.failures = newBuckets(opts.SignInRate/60, opts.SignInBurst)
	every := opts.LinkEvery
	if every <= 0 {
		every = 5 * time.Minute
	}
	s.linksByEmail = newBuckets(1/every.Seconds(), cmp.Or(opts.LinkEmailBurst, 3))
	s.linksByAddress = newBuckets(1/every.Seconds(), cmp.Or(opts.LinkAddressBurst, 10))
	if s.oidc, err = newOIDCIssuers(opts.OIDC, opts.BaseURL); err != nil {
		return nil, nil, err
	}
	r := gin.New()
	if err := r.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, nil, err
	}
	r.HandleMethodNotAllowed = true
	// A path with a trailing slash is not an endpoint: answer a problem, not a redirect.
	r.RedirectTrailingSlash = false
	r.ContextWithFallback = true
	r.Use(s.requestID, s.logRequests, s.recover, s.limits, s.shed, s.timeout)
	r.NoRoute(s.limitAnonymous, func(c *gin.Context) {
		if isPage(c.Request.URL.Path) {
			s.failPage(c, checks.ErrNotFound)
			return
		}
		s.fail(c, &checks.Error{Code: checks.ENOTFOUND, Message: "no such endpoint: see /api/v1/openapi.json"})
	})
	r.NoMethod(s.limitAnonymous, func(c *gin.Context) {
		s.answer(c, codeMethodNotAllowed, "this endpoint does not take "+c.Request.Method, nil, "")
	})
	s.routes(r)
	return s, r, nil
}

const (
	keyRequestID = "request_id"
	keyUser      = "user"
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID keeps the caller's X-Request-ID when it is sane, or makes one, and sends it back.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !requestIDPattern.MatchString(id) {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(keyRequestID, id)
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestIDKey{}, id))
	c.Header("X-Request-ID", id)
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(keyRequestID) }

// logRequests logs one line per request: never a name, a date of birth or a summary, only
// the route, the status and who called (by id). A request whose client hung up before it
// was answered is logged and counted as 499 (client closed request), whatever the handler
// made of it: it is not a fault of the service.
func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	// The request's own context, before timeout wraps it (and cancels that wrapping when
	// the request is done): only the client's hanging up cancels this one.
	client := c.Request.Context()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	if errors.Is(client.Err(), context.Canceled) && !c.Writer.Written() {
		status = checks.StatusClientClosedRequest
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
	}
	if u, ok := c.Get(keyUser); ok {
		attrs = append(attrs, slog.String("user_id", u.(checks.User).ID))
	}
	// A 503 is the database or the capacity saying "later": a warning, as fail logs it; any
	// other 5xx is a fault of ours.
	level := slog.LevelInfo
	switch {
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case status >= 500:
		level = slog.LevelError
	}
	// The request id is in the context: LogHandler adds it.
	s.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
	if s.opts.Observe != nil {
		s.opts.Observe(route, c.Request.Method, status, time.Since(start))
	}
}

// recover turns a panic into a 500 problem; the stack goes to the log, never to the client.
func (s *Server) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(c.Request.Context(), "panic", "panic", v, "stack", string(debug.Stack()))
			s.answer(c, checks.EINTERNAL, "something went wrong on our side; it has been logged with the request id", nil, "")
		}
	}()
	c.Next()
}

// limits bounds the body and sets the headers every answer carries: nothing here may be
// cached or sniffed.
func (s *Server) limits(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, bodyLimit(c))
	h := c.Writer.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if s.opts.SecureCookies {
		// A year, as the HSTS preload list asks: once a browser has been here over https it
		// never comes over http, where the cookies could be seen or set by the network.
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// isPage reports whether a path is one of the pages, answered in HTML, rather than the API,
// the metrics or the health checks.
func isPage(path string) bool {
	switch path {
	case "/metrics", "/healthz", "/readyz":
		return false
	}
	return !strings.HasPrefix(path, "/api/")
}

// authenticate requires a valid bearer token and puts its user on the context. A request
// without one counts against its address's rate of requests made without signing in; a token
// refused, against its address's failed sign-ins.
func (s *Server) authenticate(c *gin.Context) {
	scheme, secret, ok := strings.Cut(c.GetHeader("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		if !s.overAnonymousRate(c) {
			s.fail(c, &checks.Error{Code: checks.EUNAUTHORIZED, Message: "send Authorization: Bearer <token>"})
		}
		return
	}
	if s.tooManyFailures(c) {
		return
	}
	u, err := s.svc.Authenticate(c.Request.Context(), strings.TrimSpace(secret))
	if err != nil {
		s.countFailure(c, err)
		s.fail(c, err)
		return
	}
	c.Set(keyUser, u)
	c.Next()
}

func actor(c *gin.Context) checks.User { return c.MustGet(keyUser).(checks.User) }

// ifMatch reads If-Match: nil when absent or "*", else the version it names.
func ifMatch(c *gin.Context) (*int64, error) {
	h := strings.TrimSpace(c.GetHeader("If-Match"))
	if h == "" || h == "*" {
		return nil, nil
	}
	v, err := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if err != nil || strings.HasPrefix(h, "W/") {
		return nil, bad("If-Match", `must be the ETag of the resource, e.g. "3"`)
	}
	return &v, nil
}

func etag(c *gin.Context, version int64) {
	c.Header("ETag", `"`+strconv.FormatInt(version, 10)+`"`)
}

// queryInt reads an optional whole-number query parameter.
func queryInt(c *gin.Context, name string) (int, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, bad(name, "must be a whole number")
	}
	return n, nil
}

func (s *Server) view() view {
	return view{today: s.svc.Today(), deadlines: s.svc.Deadlines()}
}
