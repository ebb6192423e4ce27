package store

import (
	"context"
	"time"

	"github.com/probation/safeguarding/checks"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

type userDoc struct {
	ID        string    `bson:"_id"`
	Name      string    `bson:"name"`
	Email     string    `bson:"email"`
	Phone     string    `bson:"phone,omitempty"`
	Role      string    `bson:"role"`
	Teams     []string  `bson:"teams"`
	Agency    string    `bson:"agency,omitempty"`
	Active    bool      `bson:"active"`
	CreatedAt time.Time `bson:"created_at"`

	AuditPending []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq     int64      `bson:"audit_seq"`
	AuditDirty   bool       `bson:"audit_dirty,omitempty"`
}

func toUserDoc(u checks.User) userDoc {
	teams := u.Teams
	if teams == nil {
		teams = []string{}
	}
	return userDoc{ID: u.ID, Name: u.Name, Email: u.Email, Phone: u.Phone, Role: string(u.Role), Teams: teams, Agency: u.Agency, Active: u.Active, CreatedAt: u.CreatedAt}
}

func (d userDoc) toUser() checks.User {
	return checks.User{ID: d.ID, Name: d.Name, Email: d.Email, Phone: d.Phone, Role: checks.Role(d.Role), Teams: d.Teams,
		Agency: d.Agency, Active: d.Active, CreatedAt: d.CreatedAt.UTC()}
}

// tokenDoc is a bearer token. Only the SHA-256 of the token is kept, as the document id: a
// lookup by id is the one query the embedded server answers without a scan, and it is the
// query that authenticates an API call.
type tokenDoc struct {
	Hash      string     `bson:"_id"`
	UserID    string     `bson:"user_id"`
	Label     string     `bson:"label,omitempty"`
	CreatedAt time.Time  `bson:"created_at"`
	RevokedAt *time.Time `bson:"revoked_at,omitempty"`
	// ExpiresAt is absent on a token stored before tokens expired: see toToken.
	ExpiresAt  *time.Time `bson:"expires_at,omitempty"`
	LastUsedAt *time.Time `bson:"last_used_at,omitempty"`

	AuditPending []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq     int64      `bson:"audit_seq"`
	AuditDirty   bool       `bson:"audit_dirty,omitempty"`
}

// toToken converts a token. One stored before tokens expired expires DefaultTokenLifetime
// after it was created: old tokens end by the same rule as new ones, and an admin issues a
// new one where that is already past (the command line needs no token).
func (d tokenDoc) toToken() checks.Token {
	t := checks.Token{ID: d.Hash, UserID: d.UserID, Label: d.Label, CreatedAt: d.CreatedAt.UTC(), RevokedAt: timeVal(d.RevokedAt),
		ExpiresAt: timeVal(d.ExpiresAt), LastUsedAt: timeVal(d.LastUsedAt)}
	if t.ExpiresAt.IsZero() {
		t.ExpiresAt = t.CreatedAt.Add(checks.DefaultTokenLifetime)
	}
	return t
}

// InsertUser writes a new user with the audit entries of its creation. ECONFLICT when the
// email is taken.
func (s *Store) InsertUser(ctx context.Context, u checks.User, audit ...checks.AuditEntry) error {
	d := toUserDoc(u)
	d.AuditPending, d.AuditSeq, d.AuditDirty = pending(audit)
	if _, err := s.users.InsertOne(ctx, d); err != nil {
		return dbError(err)
	}
	s.flushAfter(ctx, checks.ResourceUser, u.ID, audit, d.AuditPending, d.AuditSeq)
	return nil
}

// User reads one user by id.
func (s *Store) User(ctx context.Context, id string) (checks.User, error) {
	return findOne(ctx, s.users, bson.M{"_id": id}, userDoc.toUser)
}

// userList reads users into pages, by email.
var userList = listing[userDoc, checks.User]{
	order: order{field: "email"},
	key:   func(d userDoc) (any, string) { return d.Email, d.ID },
	conv:  userDoc.toUser,
}

// FindUsers lists users sorted by email.
func (s *Store) FindUsers(ctx context.Context, q checks.UserQuery) (checks.Page[checks.User], error) {
	f := bson.M{}
	if q.Role != "" {
		f["role"] = string(q.Role)
	}
	if q.Team != "" {
		f["teams"] = q.Team // matches an element of the array
	}
	if q.Agency != "" {
		f["agency"] = q.Agency
	}
	return userList.page(ctx, []source{{s.users, f}}, q.Limit, q.Cursor)
}

// SetUserActive activates or deactivates a user and returns the user as stored.
func (s *Store) SetUserActive(ctx context.Context, id string, active bool, audit ...checks.AuditEntry) (checks.User, error) {
	var d userDoc
	err := s.findAndUpdateByID(ctx, s.users, id, nil, pendingAudit(bson.M{"$set": bson.M{"active": active}}, audit), &d)
	if err != nil {
		return checks.User{}, dbError(err)
	}
	s.flushAfter(ctx, checks.ResourceUser, id, audit, d.AuditPending, d.AuditSeq)
	return d.toUser(), nil
}

// UserByEmail reads the user with an email.
func (s *Store) UserByEmail(ctx context.Context, email string) (checks.User, error) {
	return findOne(ctx, s.users, bson.M{"email": email}, userDoc.toUser)
}

// TouchToken records a token's last use.
func (s *Store) TouchToken(ctx context.Context, hash string, at time.Time) error {
	_, err := s.tokens.UpdateOne(ctx, bson.M{"_id": hash}, bson.M{"$set": bson.M{"last_used_at": at}})
	return dbError(err)
}

// InsertToken stores a token by its hash, with the audit entries of its issue.
func (s *Store) InsertToken(ctx context.Context, t checks.Token, audit ...checks.AuditEntry) error {
	d := tokenDoc{Hash: t.ID, UserID: t.UserID, Label: t.Label, CreatedAt: t.CreatedAt, ExpiresAt: timePtr(t.ExpiresAt)}
	d.AuditPending, d.AuditSeq, d.AuditDirty = pending(audit)
	if _, err := s.tokens.InsertOne(ctx, d); err != nil {
		return dbError(err)
	}
	s.flushAfter(ctx, checks.ResourceToken, t.ID, audit, d.AuditPending, d.AuditSeq)
	return nil
}

// Token reads a token by its hash.
func (s *Store) Token(ctx context.Context, hash string) (checks.Token, error) {
	return findOne(ctx, s.tokens, bson.M{"_id": hash}, tokenDoc.toToken)
}

// UserTokens lists the tokens of a user, newest first.
func (s *Store) UserTokens(ctx context.Context, userID string) ([]checks.Token, error) {
	return findAll(ctx, s.tokens, bson.M{"user_id": userID}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}), tokenDoc.toToken)
}

// RevokeToken marks a token revoked, once; revoking it again keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, hash string, at time.Time, audit ...checks.AuditEntry) (checks.Token, error) {
	revoked, err := s.updateByID(ctx, s.tokens, hash, bson.D{{Key: "revoked_at", Value: absent}},
		pendingAudit(bson.M{"$set": bson.M{"revoked_at": at}}, audit))
	if err != nil {
		return checks.Token{}, err
	}
	if revoked {
		s.flushAfter(ctx, checks.ResourceToken, hash, audit, nil, 0)
	}
	return s.Token(ctx, hash)
}

// AllUsers reads every user in one query: the escalation run reads them once rather than one
// by one.
func (s *Store) AllUsers(ctx context.Context) ([]checks.User, error) {
	return findAll(ctx, s.users, bson.M{}, nil, userDoc.toUser)
}
