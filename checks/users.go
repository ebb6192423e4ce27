package checks

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Token is a bearer token. The secret is shown once, when issued; only its SHA-256 is kept,
// and that hash is the token's id.
type Token struct {
	ID        string
	UserID    string
	Label     string
	CreatedAt time.Time
	RevokedAt time.Time
	// ExpiresAt is when the token stops working. A token stored before tokens had an expiry
	// reads as expiring DefaultTokenLifetime after it was created.
	ExpiresAt time.Time
	// LastUsedAt is when the token last authenticated a request (to the minute); zero when
	// never.
	LastUsedAt time.Time
}

// Expired reports whether the token has stopped working by now.
func (t Token) Expired(now time.Time) bool { return !now.Before(t.ExpiresAt) }

// DefaultTokenLifetime is how long a token works when its issuer does not say.
const DefaultTokenLifetime = 90 * 24 * time.Hour

// MaxTokenLifetime bounds the lifetime an issuer may give a token: a token that never
// expires is what the expiry is there to prevent.
const MaxTokenLifetime = 2 * 365 * 24 * time.Hour

// lastUsedEvery is how stale a token's LastUsedAt may be: writing it on every request would
// double the cost of each one.
const lastUsedEvery = time.Minute

// SetTokenLifetime sets the lifetime of the tokens issued without one (DefaultTokenLifetime
// unless set). Call it before serving.
func (s *Service) SetTokenLifetime(d time.Duration) {
	if d > 0 {
		s.tokenLifetime = d
	}
}

// tokenPrefix marks the service's tokens, so that a leaked one is recognisable (e.g. by
// secret scanners).
const tokenPrefix = "sgt_"

// HashToken returns the id under which a token is stored.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported systems
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// UserInput is a new user as the caller gives it.
type UserInput struct {
	Name   string
	Email  string
	Phone  string // optional: a UK telephone number
	Role   string
	Team   string   // a COM's team (or a manager's only team)
	Teams  []string // a manager's teams
	Agency string   // a liaison's agency
}

// CreateUser adds a user and issues its first token, returned this once.
func (s *Service) CreateUser(ctx context.Context, actor User, in UserInput) (User, string, error) {
	if actor.Role != RoleAdmin {
		return User{}, "", Errorf(EFORBIDDEN, "only admins manage users")
	}
	var f fields
	u := User{ID: s.newID(), Role: Role(in.Role), Active: true, CreatedAt: s.now()}
	u.Name = name(&f, "name", in.Name, true, MaxName)
	u.Email = email(&f, "email", in.Email, true)
	u.Phone = phone(&f, "phone", in.Phone)
	teams := slices.Clone(in.Teams)
	if in.Team != "" {
		teams = append([]string{in.Team}, teams...)
	}
	for _, t := range teams {
		if !ValidTeam(t) {
			f.add("teams", "%q is not a team code of letters, digits, - and _ (at most 32)", t)
		}
	}
	switch u.Role {
	case RoleCOM:
		if len(teams) != 1 {
			f.add("team", "a COM belongs to exactly one team")
		}
		u.Teams = teams
	case RoleManager:
		if len(teams) == 0 {
			f.add("teams", "a manager needs at least one team")
		}
		slices.Sort(teams)
		u.Teams = slices.Compact(teams)
	case RoleLiaison:
		code := strings.ToUpper(strings.TrimSpace(in.Agency))
		if code == "" {
			f.add("agency", "a liaison needs the code of its agency")
		} else if _, err := s.store.Agency(ctx, code); errors.Is(err, ErrNotFound) {
			f.add("agency", "no agency has the code %q", code)
		} else if err != nil {
			return User{}, "", err
		}
		u.Agency = code
	case RoleAdmin:
	default:
		f.add("role", "must be one of %s", joinValues(Roles()))
	}
	if u.Role != RoleCOM && u.Role != RoleManager && len(teams) > 0 {
		f.add("teams", "only COMs and managers have teams")
	}
	if u.Role != RoleLiaison && in.Agency != "" {
		f.add("agency", "only liaisons have an agency")
	}
	if err := f.err(); err != nil {
		return User{}, "", err
	}
	var d diff
	d.add("name", "", u.Name)
	d.add("email", "", u.Email)
	d.add("phone", "", u.Phone)
	d.add("role", "", string(u.Role))
	d.add("teams", "", u.Teams)
	d.add("agency", "", u.Agency)
	if err := s.store.InsertUser(ctx, u, s.audit(actor, "user.create", ResourceUser, u.ID, "", d)); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return User{}, "", &Error{Code: ECONFLICT, Message: "a user with this email already exists", Fields: []FieldError{{"email", "is taken"}}}
		}
		return User{}, "", err
	}
	_, secret, err := s.issue(ctx, actor, u.ID, "first token", 0)
	if err != nil {
		return User{}, "", err
	}
	return u, secret, nil
}

// Users lists users (admin only), filtered by role, team or agency.
func (s *Service) Users(ctx context.Context, actor User, q UserQuery) (Page[User], error) {
	if actor.Role != RoleAdmin {
		return Page[User]{}, Errorf(EFORBIDDEN, "only admins manage users")
	}
	var f fields
	if q.Role != "" && !slices.Contains(Roles(), q.Role) {
		f.add("role", "must be one of %s", joinValues(Roles()))
	}
	var err error
	if q.Limit, err = limit(q.Limit); err != nil {
		return Page[User]{}, err
	}
	if err := f.err(); err != nil {
		return Page[User]{}, err
	}
	return s.store.FindUsers(ctx, q)
}

// User returns one user: any user to an admin, oneself to anyone.
func (s *Service) User(ctx context.Context, actor User, id string) (User, error) {
	if err := checkID("id", id); err != nil {
		return User{}, err
	}
	if actor.Role != RoleAdmin && actor.ID != id {
		return User{}, ErrNotFound
	}
	return s.store.User(ctx, id)
}

// SetUserActive deactivates (or reactivates) a user. A deactivated user's tokens stop
// working at once.
func (s *Service) SetUserActive(ctx context.Context, actor User, id string, active bool) (User, error) {
	if actor.Role != RoleAdmin {
		return User{}, Errorf(EFORBIDDEN, "only admins manage users")
	}
	if err := checkID("id", id); err != nil {
		return User{}, err
	}
	if id == actor.ID && !active {
		return User{}, &Error{Code: ECONFLICT, Message: "you cannot deactivate yourself: ask another admin"}
	}
	action := map[bool]string{true: "user.activate", false: "user.deactivate"}[active]
	u, err := s.store.SetUserActive(ctx, id, active, s.audit(actor, action, ResourceUser, id, "", []Change{{"active", fmt.Sprint(!active), fmt.Sprint(active)}}))
	// Forgotten after the write, so that no request can remember the user as it was.
	s.tokens.forgetUser(id)
	if err == nil && !active {
		// Ended, not merely refused while the user is inactive: a reactivated user signs in
		// again, and a browser left signed in on a shared machine stays signed out.
		err = s.store.EndUserSessions(ctx, id, s.now())
	}
	return u, err
}

// IssueToken issues another token for a user (admin only) and returns its secret, once. It
// works for lifetime (0: the service's default lifetime, at most MaxTokenLifetime).
func (s *Service) IssueToken(ctx context.Context, actor User, userID, label string, lifetime time.Duration) (Token, string, error) {
	if actor.Role != RoleAdmin {
		return Token{}, "", Errorf(EFORBIDDEN, "only admins issue tokens")
	}
	var f fields
	label = name(&f, "label", label, false, MaxName)
	if lifetime < 0 || lifetime > MaxTokenLifetime {
		f.add("expires_in_days", "must be a whole number of days from 1 to %d", int(MaxTokenLifetime/(24*time.Hour)))
	}
	if err := f.err(); err != nil {
		return Token{}, "", err
	}
	if err := checkID("id", userID); err != nil {
		return Token{}, "", err
	}
	u, err := s.store.User(ctx, userID)
	if err != nil {
		return Token{}, "", err
	}
	if !u.Active {
		return Token{}, "", &Error{Code: ECONFLICT, Message: "the user is deactivated: reactivate it first"}
	}
	return s.issue(ctx, actor, userID, label, lifetime)
}

func (s *Service) issue(ctx context.Context, actor User, userID, label string, lifetime time.Duration) (Token, string, error) {
	if lifetime <= 0 {
		lifetime = s.tokenLifetime
	}
	secret := newSecret()
	now := s.now()
	t := Token{ID: HashToken(secret), UserID: userID, Label: label, CreatedAt: now, ExpiresAt: now.Add(lifetime)}
	changes := []Change{{"user_id", "", userID}, {"label", "", label}, {"expires_at", "", auditValue(t.ExpiresAt)}}
	if err := s.store.InsertToken(ctx, t, s.audit(actor, "token.issue", ResourceToken, t.ID, "", changes)); err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

// Tokens lists a user's tokens (admin only), without their secrets, which are not kept.
func (s *Service) Tokens(ctx context.Context, actor User, userID string) ([]Token, error) {
	if actor.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "only admins manage tokens")
	}
	if err := checkID("id", userID); err != nil {
		return nil, err
	}
	if _, err := s.store.User(ctx, userID); err != nil {
		return nil, err
	}
	return s.store.UserTokens(ctx, userID)
}

// RevokeToken revokes a token by id: an admin any, a user its own.
func (s *Service) RevokeToken(ctx context.Context, actor User, id string) (Token, error) {
	if len(id) != 64 || strings.Trim(id, "0123456789abcdef") != "" {
		return Token{}, Malformed("id", "is not a token id (64 hexadecimal characters)")
	}
	t, err := s.store.Token(ctx, id)
	if err != nil {
		return Token{}, err
	}
	if actor.Role != RoleAdmin && t.UserID != actor.ID {
		return Token{}, ErrNotFound
	}
	if !t.RevokedAt.IsZero() {
		return t, nil // already revoked: nothing changes, nothing to audit
	}
	now := s.now()
	t, err = s.store.RevokeToken(ctx, id, now, s.audit(actor, "token.revoke", ResourceToken, id, "", []Change{{"revoked_at", "", auditValue(now)}}))
	s.tokens.forget(id)
	if err == nil {
		// A browser signed in with the token is the token's reach too.
		err = s.store.EndTokenSessions(ctx, id, now)
	}
	return t, err
}

// Authenticate returns the user a bearer token belongs to. Unknown, revoked and expired
// tokens, and tokens of deactivated users, are all EUNAUTHORIZED alike.
//
// A token seen in the last TokenCacheTTL is answered from memory. A revocation or
// deactivation made by this process takes effect at once; one made by another process within
// TokenCacheTTL.
func (s *Service) Authenticate(ctx context.Context, secret string) (User, error) {
	u, _, err := s.authenticateToken(ctx, secret)
	return u, err
}

// authenticateToken is Authenticate, also returning the token.
func (s *Service) authenticateToken(ctx context.Context, secret string) (User, Token, error) {
	unauthorized := &Error{Code: EUNAUTHORIZED, Message: "the token is not valid: it is unknown, revoked or expired, or its user is deactivated"}
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return User{}, Token{}, unauthorized
	}
	hash := HashToken(secret)
	now := s.now()
	if u, t, ok := s.tokens.get(hash); ok {
		if t.Expired(now) {
			return User{}, Token{}, unauthorized
		}
		return u, t, nil
	}
	u, t, err := s.authenticate(ctx, hash, now, unauthorized)
	if err == nil {
		s.tokens.put(hash, u, t)
	}
	return u, t, err
}

func (s *Service) authenticate(ctx context.Context, hash string, now time.Time, unauthorized error) (User, Token, error) {
	t, err := s.store.Token(ctx, hash)
	if errors.Is(err, ErrNotFound) || (err == nil && (!t.RevokedAt.IsZero() || t.Expired(now))) {
		return User{}, Token{}, unauthorized
	}
	if err != nil {
		return User{}, Token{}, err
	}
	u, err := s.store.User(ctx, t.UserID)
	if errors.Is(err, ErrNotFound) || (err == nil && !u.Active) {
		return User{}, Token{}, unauthorized
	}
	if err != nil {
		return User{}, Token{}, err
	}
	if now.Sub(t.LastUsedAt) >= lastUsedEvery {
		// Only a record for the token list: a failure to write it does not refuse the call.
		if err := s.store.TouchToken(ctx, hash, now); err != nil {
			s.log.WarnContext(ctx, "the token's last use was not recorded", "error", err.Error())
		} else {
			t.LastUsedAt = now
		}
	}
	return u, t, nil
}

// TeamCOMs lists the active COMs a manager may assign a release to: those of its teams (all
// of them, for an admin).
func (s *Service) TeamCOMs(ctx context.Context, actor User) ([]User, error) {
	if actor.Role != RoleManager && actor.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "only managers and admins assign releases to COMs")
	}
	users, err := s.store.AllUsers(ctx)
	if err != nil {
		return nil, err
	}
	var out []User
	for _, u := range users {
		if u.Role == RoleCOM && u.Active && len(u.Teams) == 1 && (actor.Role == RoleAdmin || actor.InTeam(u.Teams[0])) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Teams[0]+a.Name, b.Teams[0]+b.Name) })
	return out, nil
}
