package checks

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

type userDoc struct {
	ID        string    `bson:"_id"`
	Name      string    `bson:"name"`
	Email     string    `bson:"email"`
	Role      string    `bson:"role"`
	Teams     []string  `bson:"teams"`
	Agency    string    `bson:"agency,omitempty"`
	Active    bool      `bson:"active"`
	CreatedAt time.Time `bson:"created_at"`

	AuditPending []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq     int64      `bson:"audit_seq"`
}

func toUserDoc(u User) userDoc {
	teams := u.Teams
	if teams == nil {
		teams = []string{}
	}
	return userDoc{ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), Teams: teams, Agency: u.Agency, Active: u.Active, CreatedAt: u.CreatedAt}
}

func (d userDoc) toUser() User {
	return User{d.ID, d.Name, d.Email, Role(d.Role), d.Teams, d.Agency, d.Active, d.CreatedAt.UTC()}
}

// tokenDoc is a bearer token. Only the SHA-256 of the token is kept, as the document id: a
// lookup by id is the one query the embedded server answers without a scan, and it is the
// query every API call makes.
type tokenDoc struct {
	Hash      string     `bson:"_id"`
	UserID    string     `bson:"user_id"`
	Label     string     `bson:"label,omitempty"`
	CreatedAt time.Time  `bson:"created_at"`
	RevokedAt *time.Time `bson:"revoked_at,omitempty"`

	AuditPending []auditDoc `bson:"audit_pending,omitempty"`
	AuditSeq     int64      `bson:"audit_seq"`
}

func (d tokenDoc) toToken() Token {
	return Token{ID: d.Hash, UserID: d.UserID, Label: d.Label, CreatedAt: d.CreatedAt.UTC(), RevokedAt: timeVal(d.RevokedAt)}
}

// InsertUser writes a new user with the audit entries of its creation. ECONFLICT when the
// email is taken.
func (s *Store) InsertUser(ctx context.Context, u User, audit ...AuditEntry) error {
	d := toUserDoc(u)
	for _, e := range audit {
		d.AuditPending, d.AuditSeq = append(d.AuditPending, toAuditDoc(e)), 1
	}
	_, err := s.users.InsertOne(ctx, d)
	return storeError(err)
}

// User reads one user by id.
func (s *Store) User(ctx context.Context, id string) (User, error) {
	var d userDoc
	if err := s.users.FindOne(ctx, bson.M{"_id": id}).Decode(&d); err != nil {
		return User{}, storeError(err)
	}
	return d.toUser(), nil
}

// UserQuery selects users for a list.
type UserQuery struct {
	Role   Role
	Team   string
	Agency string
	Limit  int
	Cursor string
}

// FindUsers lists users sorted by email.
func (s *Store) FindUsers(ctx context.Context, q UserQuery) (Page[User], error) {
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
	filter := f
	if q.Cursor != "" {
		after, err := afterCursor("email", q.Cursor)
		if err != nil {
			return Page[User]{}, err
		}
		filter = and(f, after)
	}
	return findPage(ctx, s.users, filter, "email", q.Limit,
		func(d userDoc) (string, string) { return d.Email, d.ID }, userDoc.toUser)
}

// SetUserActive activates or deactivates a user and returns the user as stored.
func (s *Store) SetUserActive(ctx context.Context, id string, active bool, audit ...AuditEntry) (User, error) {
	var d userDoc
	err := s.users.FindOneAndUpdate(ctx, bson.M{"_id": id}, pendingAudit(bson.M{"$set": bson.M{"active": active}}, audit),
		options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		return User{}, storeError(err)
	}
	return d.toUser(), nil
}

// InsertToken stores a token by its hash, with the audit entries of its issue.
func (s *Store) InsertToken(ctx context.Context, t Token, audit ...AuditEntry) error {
	d := tokenDoc{Hash: t.ID, UserID: t.UserID, Label: t.Label, CreatedAt: t.CreatedAt}
	for _, e := range audit {
		d.AuditPending, d.AuditSeq = append(d.AuditPending, toAuditDoc(e)), 1
	}
	_, err := s.tokens.InsertOne(ctx, d)
	return storeError(err)
}

// Token reads a token by its hash.
func (s *Store) Token(ctx context.Context, hash string) (Token, error) {
	var d tokenDoc
	if err := s.tokens.FindOne(ctx, bson.M{"_id": hash}).Decode(&d); err != nil {
		return Token{}, storeError(err)
	}
	return d.toToken(), nil
}

// UserTokens lists the tokens of a user, newest first.
func (s *Store) UserTokens(ctx context.Context, userID string) ([]Token, error) {
	cur, err := s.tokens.Find(ctx, bson.M{"user_id": userID}, options.Find().SetSort(bson.D{{Key: "created_at", Value: -1}}))
	if err != nil {
		return nil, storeError(err)
	}
	var docs []tokenDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError(err)
	}
	out := make([]Token, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.toToken())
	}
	return out, nil
}

// RevokeToken marks a token revoked, once; revoking it again keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, hash string, at time.Time, audit ...AuditEntry) (Token, error) {
	_, err := s.tokens.UpdateOne(ctx, bson.M{"_id": hash, "revoked_at": bson.M{"$exists": false}},
		pendingAudit(bson.M{"$set": bson.M{"revoked_at": at}}, audit))
	if err != nil {
		return Token{}, storeError(err)
	}
	return s.Token(ctx, hash)
}

// AllUsers reads every user in one query: the escalation run reads them once rather than one
// by one, since only a lookup by id is cheap on the embedded server and a run needs many.
func (s *Store) AllUsers(ctx context.Context) ([]User, error) {
	cur, err := s.users.Find(ctx, bson.M{})
	if err != nil {
		return nil, storeError(err)
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError(err)
	}
	out := make([]User, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.toUser())
	}
	return out, nil
}
