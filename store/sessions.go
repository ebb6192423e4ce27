package store

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/probation/safeguarding/checks"
)

// sessionDoc is a signed-in browser, by the hash of its cookie.
type sessionDoc struct {
	ID           string     `bson:"_id"`
	UserID       string     `bson:"user_id"`
	CSRF         string     `bson:"csrf"`
	Method       string     `bson:"method,omitempty"`
	TokenID      string     `bson:"token_id,omitempty"`
	CreatedAt    time.Time  `bson:"created_at"`
	ExpiresAt    time.Time  `bson:"expires_at"`
	LastSeenAt   *time.Time `bson:"last_seen_at,omitempty"`
	AuditPending []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq     int64      `bson:"audit_seq"`
	AuditDirty   bool       `bson:"audit_dirty,omitempty"`
}

func (d sessionDoc) toSession() checks.Session {
	return checks.Session{ID: d.ID, UserID: d.UserID, CSRF: d.CSRF, Method: d.Method, TokenID: d.TokenID,
		CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC(), LastSeenAt: timeVal(d.LastSeenAt)}
}

// InsertSession writes a new session with the audit entries of its creation.
func (s *Store) InsertSession(ctx context.Context, sess checks.Session, audit ...checks.AuditEntry) error {
	d := sessionDoc{ID: sess.ID, UserID: sess.UserID, CSRF: sess.CSRF, Method: sess.Method, TokenID: sess.TokenID,
		CreatedAt: sess.CreatedAt, ExpiresAt: sess.ExpiresAt, LastSeenAt: timePtr(sess.LastSeenAt)}
	d.AuditPending, d.AuditSeq, d.AuditDirty = pending(audit)
	if _, err := s.sessions.InsertOne(ctx, d); err != nil {
		return dbError(err)
	}
	s.flushAfter(ctx, checks.ResourceSession, sess.ID, audit, d.AuditPending, d.AuditSeq)
	return nil
}

// Session reads a session by the hash of its cookie.
func (s *Store) Session(ctx context.Context, id string) (checks.Session, error) {
	return findOne(ctx, s.sessions, bson.M{"_id": id}, sessionDoc.toSession)
}

// EndSession ends a session: one update sets its end to at and adds the audit entries of
// its end to those still pending on it, the entries are copied to the audit trail, and then
// the session is removed, unless an entry is still pending. Removing it at once would lose
// an entry whose copy had failed (the sign-in's, say). When the copy fails now, the ended
// session stays with its entries; a later flush copies them and EndExpiredSessions then
// removes it. A session already gone has its end written to the audit trail directly.
func (s *Store) EndSession(ctx context.Context, id string, at time.Time, audit ...checks.AuditEntry) error {
	var d sessionDoc
	err := s.findAndUpdateByID(ctx, s.sessions, id, nil, pendingAudit(bson.M{"$set": bson.M{"expires_at": at}}, audit), &d)
	if err = dbError(err); errors.Is(err, checks.ErrNotFound) {
		return s.InsertAudit(ctx, audit...)
	}
	if err != nil {
		return err
	}
	if err := s.copyPending(ctx, s.sessions, id, d.AuditPending, d.AuditSeq); err != nil {
		s.log.WarnContext(ctx, "audit entries left pending on an ended session; a later flush copies them", "error", err)
		return nil
	}
	_, err = s.deleteByID(ctx, s.sessions, id, bson.D{{Key: "audit_dirty", Value: absent}})
	return err
}

// EndExpiredSessions removes sessions past their end whose audit entries are all copied.
func (s *Store) EndExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.sessions.DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lte": now}, "audit_dirty": bson.M{"$exists": false}})
	if err != nil {
		return 0, dbError(err)
	}
	return int(res.DeletedCount), nil
}

// TouchSession records a session's last use. It never moves an ended session's end.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.sessions.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"last_seen_at": at}})
	return dbError(err)
}

// EndUserSessions ends every session of a user still running at at.
func (s *Store) EndUserSessions(ctx context.Context, userID string, at time.Time) error {
	return s.endSessions(ctx, bson.M{"user_id": userID}, at)
}

// EndTokenSessions ends every session signed in with a token still running at at.
func (s *Store) EndTokenSessions(ctx context.Context, tokenID string, at time.Time) error {
	return s.endSessions(ctx, bson.M{"token_id": tokenID}, at)
}

func (s *Store) endSessions(ctx context.Context, f bson.M, at time.Time) error {
	f["expires_at"] = bson.M{"$gt": at}
	_, err := s.sessions.UpdateMany(ctx, f, bson.M{"$set": bson.M{"expires_at": at}})
	return dbError(err)
}

// signInLinkDoc is an emailed sign-in link, by the hash of its secret.
type signInLinkDoc struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	Browser   string    `bson:"browser"`
	Next      string    `bson:"next,omitempty"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
}

func (d signInLinkDoc) toLink() checks.SignInLink {
	return checks.SignInLink{ID: d.ID, UserID: d.UserID, Browser: d.Browser, Next: d.Next, CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC()}
}

// InsertSignInLink keeps a sign-in link.
func (s *Store) InsertSignInLink(ctx context.Context, l checks.SignInLink) error {
	_, err := s.signInLinks.InsertOne(ctx, signInLinkDoc{ID: l.ID, UserID: l.UserID, Browser: l.Browser, Next: l.Next, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt})
	return dbError(err)
}

// UseSignInLink removes and returns the link, in one write, only when it is for the browser
// and still valid: of two uses at once, one gets it.
func (s *Store) UseSignInLink(ctx context.Context, hash, browser string, now time.Time) (checks.SignInLink, error) {
	var d signInLinkDoc
	err := s.signInLinks.FindOneAndDelete(ctx, bson.M{"_id": hash, "browser": browser, "expires_at": bson.M{"$gt": now}}).Decode(&d)
	if err != nil {
		return checks.SignInLink{}, dbError(err)
	}
	return d.toLink(), nil
}

// EndExpiredSignInLinks removes the links past their end.
func (s *Store) EndExpiredSignInLinks(ctx context.Context, now time.Time) (int, error) {
	res, err := s.signInLinks.DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lte": now}})
	if err != nil {
		return 0, dbError(err)
	}
	return int(res.DeletedCount), nil
}
