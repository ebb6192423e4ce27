package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/probation/safeguarding/checks"
)

// sessionDoc is a signed-in browser, by the hash of its cookie.
type sessionDoc struct {
	ID           string     `bson:"_id"`
	UserID       string     `bson:"user_id"`
	CSRF         string     `bson:"csrf"`
	CreatedAt    time.Time  `bson:"created_at"`
	ExpiresAt    time.Time  `bson:"expires_at"`
	AuditPending []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq     int64      `bson:"audit_seq"`
	AuditDirty   bool       `bson:"audit_dirty,omitempty"`
}

func (d sessionDoc) toSession() checks.Session {
	return checks.Session{ID: d.ID, UserID: d.UserID, CSRF: d.CSRF, CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC()}
}

// InsertSession writes a new session with the audit entries of its creation.
func (s *Store) InsertSession(ctx context.Context, sess checks.Session, audit ...checks.AuditEntry) error {
	d := sessionDoc{ID: sess.ID, UserID: sess.UserID, CSRF: sess.CSRF, CreatedAt: sess.CreatedAt, ExpiresAt: sess.ExpiresAt}
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

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.sessions.DeleteOne(ctx, bson.M{"_id": id})
	return dbError(err)
}

// EndExpiredSessions removes sessions past their end.
func (s *Store) EndExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.sessions.DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lte": now}})
	if err != nil {
		return 0, dbError(err)
	}
	return int(res.DeletedCount), nil
}
