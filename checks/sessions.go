package checks

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"
)

// Session is a signed-in browser: a random id in a cookie, kept only as its SHA-256, with
// the CSRF token every form of the session must carry.
type Session struct {
	ID        string // the hash of the cookie's value
	UserID    string
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// SessionLength is how long a sign-in lasts.
const SessionLength = 8 * time.Hour

// SignIn exchanges a bearer token for a session. It returns the session and the cookie value,
// shown this once.
func (s *Service) SignIn(ctx context.Context, token string) (User, Session, string, error) {
	u, err := s.Authenticate(ctx, token)
	if err != nil {
		return User{}, Session{}, "", err
	}
	secret := newSecret()
	now := s.now()
	sess := Session{ID: HashToken(secret), UserID: u.ID, CSRF: newSecret(), CreatedAt: now, ExpiresAt: now.Add(SessionLength)}
	entry := s.audit(u, "session.create", ResourceSession, sess.ID, "", []Change{{Field: "expires_at", After: auditValue(sess.ExpiresAt)}})
	if err := s.store.InsertSession(ctx, sess, entry); err != nil {
		return User{}, Session{}, "", err
	}
	return u, sess, secret, nil
}

// SessionUser returns the user and session of a cookie value. An unknown or expired session,
// or one whose user was deactivated, is EUNAUTHORIZED.
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
	if !s.now().Before(sess.ExpiresAt) {
		return User{}, Session{}, unauthorized
	}
	u, err := s.store.User(ctx, sess.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return User{}, Session{}, unauthorized
	}
	if err != nil {
		return User{}, Session{}, err
	}
	return u, sess, nil
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
