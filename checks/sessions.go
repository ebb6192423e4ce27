package checks

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
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

type sessionDoc struct {
	ID           string     `bson:"_id"`
	UserID       string     `bson:"user_id"`
	CSRF         string     `bson:"csrf"`
	CreatedAt    time.Time  `bson:"created_at"`
	ExpiresAt    time.Time  `bson:"expires_at"`
	AuditPending []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq     int64      `bson:"audit_seq"`
}

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
	d := sessionDoc{ID: sess.ID, UserID: sess.UserID, CSRF: sess.CSRF, CreatedAt: now, ExpiresAt: sess.ExpiresAt}
	entry := s.audit(u, "session.create", ResourceSession, sess.ID, "", []Change{{Field: "expires_at", After: auditValue(sess.ExpiresAt)}})
	d.AuditPending, d.AuditSeq = []auditDoc{toAuditDoc(entry)}, 1
	if _, err := s.store.sessions.InsertOne(ctx, d); err != nil {
		return User{}, Session{}, "", storeError(err)
	}
	s.flush(ctx, ResourceSession, sess.ID)
	return u, sess, secret, nil
}

// SessionUser returns the user and session of a cookie value. An unknown or expired session,
// or one whose user was deactivated, is EUNAUTHORIZED.
func (s *Service) SessionUser(ctx context.Context, secret string) (User, Session, error) {
	unauthorized := &Error{Code: EUNAUTHORIZED, Message: "not signed in, or the session has ended"}
	if len(secret) < 20 || len(secret) > 100 {
		return User{}, Session{}, unauthorized
	}
	var d sessionDoc
	err := s.store.sessions.FindOne(ctx, bson.M{"_id": HashToken(secret)}).Decode(&d)
	if err != nil {
		if errors.Is(storeError(err), ErrNotFound) {
			return User{}, Session{}, unauthorized
		}
		return User{}, Session{}, storeError(err)
	}
	if !s.now().Before(d.ExpiresAt) {
		return User{}, Session{}, unauthorized
	}
	u, err := s.store.User(ctx, d.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return User{}, Session{}, unauthorized
	}
	if err != nil {
		return User{}, Session{}, err
	}
	return u, Session{d.ID, d.UserID, d.CSRF, d.CreatedAt.UTC(), d.ExpiresAt.UTC()}, nil
}

// SignOut ends a session.
func (s *Service) SignOut(ctx context.Context, u User, sess Session) error {
	if _, err := s.store.sessions.DeleteOne(ctx, bson.M{"_id": sess.ID}); err != nil {
		return storeError(err)
	}
	return s.store.InsertAudit(ctx, s.audit(u, "session.end", ResourceSession, sess.ID, "", nil))
}

// ValidCSRF compares a form's CSRF token with the session's in constant time.
func ValidCSRF(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// NewCSRF returns a random token, for forms shown before there is a session (sign-in).
func NewCSRF() string { return newSecret() }

// endExpiredSessions removes sessions past their end.
func (s *Store) endExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.sessions.DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lte": now}})
	if err != nil {
		return 0, storeError(err)
	}
	return res.DeletedCount, nil
}
