package checks

import (
	"context"
	"crypto/subtle"
	"errors"
	"strings"
	"time"
)

// Session is a signed-in browser: a random id in a cookie, kept only as its SHA-256, with
// the CSRF token every form of the session must carry.
type Session struct {
	ID     string // the hash of the cookie's value
	UserID string
	CSRF   string
	// Method is how the browser signed in (MethodToken, MethodOIDC, MethodLink).
	Method string
	// TokenID is the token a session signed in with a token was opened with: revoking the
	// token ends the session.
	TokenID   string
	CreatedAt time.Time
	ExpiresAt time.Time
	// LastSeenAt is when the session was last used, to the minute (see SessionIdle).
	LastSeenAt time.Time
}

// The ways of signing in.
const (
	MethodToken = "token"
	MethodOIDC  = "oidc"
	MethodLink  = "link"
)

// SessionLength is how long a sign-in lasts at most, however busy.
const SessionLength = 8 * time.Hour

// SessionIdle is how long a session lasts unused.
const SessionIdle = 30 * time.Minute

// seenEvery is how stale a session's LastSeenAt may be: a write on every page would double
// the cost of each one, and a minute is nothing against SessionIdle.
const seenEvery = time.Minute

// SignIn exchanges a bearer token for a session. It returns the session and the cookie value,
// shown this once. The session ends when the token does, if sooner than SessionLength.
func (s *Service) SignIn(ctx context.Context, token string) (User, Session, string, error) {
	u, t, err := s.authenticateToken(ctx, token)
	if err != nil {
		return User{}, Session{}, "", err
	}
	sess, secret, err := s.startSession(ctx, u, MethodToken, t.ID, t.ExpiresAt)
	return u, sess, secret, err
}

// SignInVerified opens a session for the active user with a verified email address (the
// identity provider verified it): no user, or an inactive one, is EUNAUTHORIZED. There is
// no self-registration: an admin adds users.
func (s *Service) SignInVerified(ctx context.Context, address string) (User, Session, string, error) {
	u, err := s.activeUserByEmail(ctx, address)
	if err != nil {
		return User{}, Session{}, "", err
	}
	sess, secret, err := s.startSession(ctx, u, MethodOIDC, "", time.Time{})
	return u, sess, secret, err
}

func (s *Service) activeUserByEmail(ctx context.Context, address string) (User, error) {
	unauthorized := &Error{Code: EUNAUTHORIZED, Message: "no active user has this email address"}
	var f fields
	address = email(&f, "email", address, true)
	if f.err() != nil {
		return User{}, unauthorized
	}
	u, err := s.store.UserByEmail(ctx, address)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return User{}, unauthorized
	}
	return u, err
}

// startSession opens a session for u, ending at SessionLength or at until when sooner.
func (s *Service) startSession(ctx context.Context, u User, method, tokenID string, until time.Time) (Session, string, error) {
	secret := newSecret()
	now := s.now()
	sess := Session{ID: HashToken(secret), UserID: u.ID, CSRF: newSecret(), Method: method, TokenID: tokenID,
		CreatedAt: now, ExpiresAt: now.Add(SessionLength), LastSeenAt: now}
	if !until.IsZero() && until.Before(sess.ExpiresAt) {
		sess.ExpiresAt = until
	}
	entry := s.audit(u, "session.create", ResourceSession, sess.ID, "", []Change{
		{Field: "method", After: method}, {Field: "expires_at", After: auditValue(sess.ExpiresAt)}})
	if err := s.store.InsertSession(ctx, sess, entry); err != nil {
		return Session{}, "", err
	}
	return sess, secret, nil
}

// SessionUser returns the user and session of a cookie value, and records the use. An
// unknown session, one ended (signed out, its token revoked, its user deactivated), one
// unused for SessionIdle or older than SessionLength, or one whose user is deactivated, is
// EUNAUTHORIZED.
func (s *Service) SessionUser(ctx context.Context, secret string) (User, Session, error) {
	unauthorized := &Error{Code: EUNAUTHORIZED, Message: "not signed in, or the session has ended"}
	if len(secret) < 20 || len(secret) > 100 {
		return User{}, Session{}, unauthorized
	}
	sess, err := s.store.Session(ctx, HashToken(secret))
	if errors.Is(err, ErrNotFound) {
		return User{}, Session{}, unauthorized
	}
	if err != nil {
		return User{}, Session{}, err
	}
	now := s.now()
	if !now.Before(sess.Ends()) {
		return User{}, Session{}, unauthorized
	}
	u, err := s.store.User(ctx, sess.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return User{}, Session{}, unauthorized
	}
	if err != nil {
		return User{}, Session{}, err
	}
	if now.Sub(sess.LastSeenAt) >= seenEvery {
		if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
			return User{}, Session{}, err
		}
		sess.LastSeenAt = now
	}
	return u, sess, nil
}

// Ends is when the session ends if it is not used again: SessionIdle after its last use, or
// its end, whichever is sooner. A session stored before uses were recorded counts from its
// start.
func (sess Session) Ends() time.Time {
	seen := sess.LastSeenAt
	if seen.IsZero() {
		seen = sess.CreatedAt
	}
	if idle := seen.Add(SessionIdle); idle.Before(sess.ExpiresAt) {
		return idle
	}
	return sess.ExpiresAt
}

// SignOut ends a session. Its end is recorded on the session in the write that ends it, as
// every write's entry is: the session's sign-in entry may still be pending on it (when its
// copy to the audit trail failed), and the session is removed only once both are copied.
func (s *Service) SignOut(ctx context.Context, u User, sess Session) error {
	return s.store.EndSession(ctx, sess.ID, s.now(), s.audit(u, "session.end", ResourceSession, sess.ID, "", nil))
}

// ValidCSRF compares a form's CSRF token with the session's in constant time.
func ValidCSRF(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// NewCSRF returns a random token, for forms shown before there is a session (sign-in).
func NewCSRF() string { return newSecret() }

// SignInLink is a sign-in link sent by email: its secret is in the link, and only its hash
// is kept; it is bound to the browser that asked for it by the hash of a secret in that
// browser's cookie.
type SignInLink struct {
	ID        string // the hash of the link's secret
	UserID    string
	Browser   string // the hash of the asking browser's secret
	Next      string // where to go once signed in
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SignInLinkLength is how long an emailed link works.
const SignInLinkLength = 15 * time.Minute

// RequestSignInLink makes a sign-in link for the active user with an email address, bound
// to the browser whose secret is browser. It returns the user and the link's secret, or
// found false, with no error, when no active user has the address: the caller must answer
// the same either way.
func (s *Service) RequestSignInLink(ctx context.Context, address, browser, next string) (u User, secret string, found bool, err error) {
	if len(browser) < 20 || len(browser) > 100 {
		return User{}, "", false, Malformed("browser", "is not a browser's secret")
	}
	u, err = s.activeUserByEmail(ctx, address)
	if ErrorCode(err) == EUNAUTHORIZED {
		return User{}, "", false, nil
	}
	if err != nil {
		return User{}, "", false, err
	}
	secret = newSecret()
	now := s.now()
	l := SignInLink{ID: HashToken(secret), UserID: u.ID, Browser: HashToken(browser), Next: next, CreatedAt: now, ExpiresAt: now.Add(SignInLinkLength)}
	if err := s.store.InsertSignInLink(ctx, l); err != nil {
		return User{}, "", false, err
	}
	return u, secret, true, nil
}

// UseSignInLink exchanges a link's secret, in the browser that asked for it, for a session,
// once. It returns the session's cookie value and where the link said to go next. A link
// unknown, used, expired, asked for by another browser, or whose user was deactivated since,
// is EUNAUTHORIZED.
func (s *Service) UseSignInLink(ctx context.Context, secret, browser string) (User, Session, string, string, error) {
	unauthorized := &Error{Code: EUNAUTHORIZED, Message: "the link is not valid: it is used, expired, or was asked for in another browser"}
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 || len(browser) < 20 || len(browser) > 100 {
		return User{}, Session{}, "", "", unauthorized
	}
	l, err := s.store.UseSignInLink(ctx, HashToken(secret), HashToken(browser), s.now())
	if errors.Is(err, ErrNotFound) {
		return User{}, Session{}, "", "", unauthorized
	}
	if err != nil {
		return User{}, Session{}, "", "", err
	}
	u, err := s.store.User(ctx, l.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return User{}, Session{}, "", "", unauthorized
	}
	if err != nil {
		return User{}, Session{}, "", "", err
	}
	sess, cookie, err := s.startSession(ctx, u, MethodLink, "", time.Time{})
	return u, sess, cookie, l.Next, err
}

// NewBrowserSecret returns a random secret for a browser to hold while it waits for a
// sign-in link.
func NewBrowserSecret() string { return newSecret() }
