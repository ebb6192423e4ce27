package checks

import (
	"context"
	"time"
)

// Store is what the service keeps in a database (package store implements it on MongoDB).
//
// Every write that changes a document carries the audit entries of that change and stores
// them with it, in the same single-document update, so that a change and its audit entries
// stand or fall together; the store then copies them to the audit trail. Conditional writes
// answer ErrStale when the document changed since it was read, and a missing document is
// ErrNotFound. Every list is given the caller's Scope and answers nothing outside it.
type Store interface {
	// EnsureIndexes prepares the database; it is idempotent.
	EnsureIndexes(ctx context.Context) error
	// FlushPendingAudit copies the audit entries that a crash left on their documents to the
	// audit trail, and reports how many documents had some.
	FlushPendingAudit(ctx context.Context) (int, error)

	ReleaseStore
	CheckStore
	UserStore
	SessionStore
	AgencyStore
	AuditStore
	ImportStore
	ReleaseKeyStore
}

// ReleaseStore keeps releases.
type ReleaseStore interface {
	// InsertRelease writes a new release, marked as waiting for its checks to be synced.
	// ECONFLICT when the person has an active release on that date.
	InsertRelease(ctx context.Context, r Release, audit ...AuditEntry) error
	Release(ctx context.Context, id string) (Release, error)
	// ReleaseByKey finds the active release of a person on a date.
	ReleaseByKey(ctx context.Context, crn string, date Date) (Release, error)
	// UpdateRelease writes r if the stored version is still r.Version, marked as waiting
	// for its checks to be synced, and returns it with the version incremented.
	UpdateRelease(ctx context.Context, r Release, audit ...AuditEntry) (Release, error)
	// MarkReleaseSynced clears the waiting mark if the release is still at version.
	MarkReleaseSynced(ctx context.Context, id string, version int64) error
	// ReleasesPendingSync lists the releases whose checks may not match them yet.
	ReleasesPendingSync(ctx context.Context) ([]Release, error)
	// FindReleases lists releases sorted by release date, then id.
	FindReleases(ctx context.Context, q ReleaseQuery) (Page[Release], error)
}

// CheckStore keeps checks.
type CheckStore interface {
	// InsertCheck writes a new check; ECONFLICT if a check with its id exists.
	InsertCheck(ctx context.Context, c Check, audit ...AuditEntry) error
	Check(ctx context.Context, id string) (Check, error)
	// UpdateCheck writes the state of c if the stored version is still c.Version, appends
	// entry (if any) to its history and increments its version, in one conditional update.
	// Escalation records are left alone.
	UpdateCheck(ctx context.Context, c Check, entry *HistoryEntry, now time.Time, audit ...AuditEntry) (Check, error)
	// FindChecks lists checks sorted by release date, soonest first, then id.
	FindChecks(ctx context.Context, q CheckQuery) (Page[Check], error)
	// ChecksOfReleases reads the checks of several releases, in each release's slot order.
	ChecksOfReleases(ctx context.Context, releases []Release) (map[string][]Check, error)
	// ReportChecks streams the checks a report reads to fn, in no particular order.
	ReportChecks(ctx context.Context, q ReportQuery, fn func(Check) error) error
}

// UserStore keeps users and their bearer tokens.
type UserStore interface {
	// InsertUser writes a new user; ECONFLICT when the email is taken.
	InsertUser(ctx context.Context, u User, audit ...AuditEntry) error
	User(ctx context.Context, id string) (User, error)
	// FindUsers lists users sorted by email.
	FindUsers(ctx context.Context, q UserQuery) (Page[User], error)
	// AllUsers reads every user at once.
	AllUsers(ctx context.Context) ([]User, error)
	SetUserActive(ctx context.Context, id string, active bool, audit ...AuditEntry) (User, error)
	// InsertToken stores a token by its hash (its ID).
	InsertToken(ctx context.Context, t Token, audit ...AuditEntry) error
	Token(ctx context.Context, hash string) (Token, error)
	// UserTokens lists a user's tokens, newest first.
	UserTokens(ctx context.Context, userID string) ([]Token, error)
	// RevokeToken marks a token revoked, once, and returns it.
	RevokeToken(ctx context.Context, hash string, at time.Time, audit ...AuditEntry) (Token, error)
	// TouchToken records that a token was used at at.
	TouchToken(ctx context.Context, hash string, at time.Time) error
	// UserByEmail reads the user with an email (as CreateUser keeps it: lower case).
	UserByEmail(ctx context.Context, email string) (User, error)
}

// SessionStore keeps the sessions of signed-in browsers.
type SessionStore interface {
	InsertSession(ctx context.Context, sess Session, audit ...AuditEntry) error
	Session(ctx context.Context, id string) (Session, error)
	// EndSession ends a session at at, with the audit entries of its end, and removes it
	// once every entry still pending on it is in the audit trail.
	EndSession(ctx context.Context, id string, at time.Time, audit ...AuditEntry) error
	// EndExpiredSessions removes the sessions that ended at or before now, but for those
	// with audit entries still pending (a flush copies them first).
	EndExpiredSessions(ctx context.Context, now time.Time) (int, error)
	// TouchSession records that a session was used at at.
	TouchSession(ctx context.Context, id string, at time.Time) error
	// EndUserSessions and EndTokenSessions end, at at, every session of a user, or signed in
	// with a token; EndExpiredSessions removes them later.
	EndUserSessions(ctx context.Context, userID string, at time.Time) error
	EndTokenSessions(ctx context.Context, tokenID string, at time.Time) error

	// InsertSignInLink keeps an emailed sign-in link by the hash of its secret.
	InsertSignInLink(ctx context.Context, l SignInLink) error
	// UseSignInLink takes the link of a hash, once, if it was asked for by the browser of
	// browser's hash and is still valid at now; ErrNotFound otherwise, and then the link
	// (if any) is left as it was.
	UseSignInLink(ctx context.Context, hash, browser string, now time.Time) (SignInLink, error)
	// EndExpiredSignInLinks removes the links no longer valid at now.
	EndExpiredSignInLinks(ctx context.Context, now time.Time) (int, error)
}

// AgencyStore keeps the agency directory.
type AgencyStore interface {
	// SeedAgencies adds the agencies the database lacks, leaving the others as they are.
	SeedAgencies(ctx context.Context, agencies []Agency, now time.Time) (added int, err error)
	Agency(ctx context.Context, code string) (Agency, error)
	// FindAgencies lists agencies sorted by name.
	FindAgencies(ctx context.Context, q AgencyQuery) (Page[Agency], error)
	// AllAgencies reads the whole directory at once.
	AllAgencies(ctx context.Context) ([]Agency, error)
	// UpdateAgency writes the mailboxes and active flag of a if the stored version is still
	// a.Version.
	UpdateAgency(ctx context.Context, a Agency, audit ...AuditEntry) (Agency, error)
}

// AuditStore keeps the audit trail.
type AuditStore interface {
	// InsertAudit writes entries straight to the trail: for reads, which change no document.
	InsertAudit(ctx context.Context, entries ...AuditEntry) error
	// FindAudit lists entries, oldest first.
	FindAudit(ctx context.Context, q AuditQuery) (Page[AuditEntry], error)
}

// Page is one page of a list.
type Page[T any] struct {
	Items []T
	// NextCursor fetches the next page; empty on the last page.
	NextCursor string
}

// CheckQuery selects checks for a list.
type CheckQuery struct {
	Scope         Scope
	Status        Status
	Type          CheckType
	Agency        string
	ReleaseFrom   Date // included
	ReleaseBefore Date
	// Overdue, when set, keeps only checks that are (or are not) overdue on Today.
	Overdue *bool
	Today   Date
	// Undeliverable keeps only checks whose request could not be emailed to their agency.
	Undeliverable bool
	// AnsweredFrom, when set, keeps only checks answered at or after it.
	AnsweredFrom time.Time
	Limit        int
	Cursor       string
}

// ReleaseQuery selects releases for a list.
type ReleaseQuery struct {
	Scope  Scope
	Team   string
	COMID  string
	From   Date
	To     Date
	Status ReleaseStatus
	Limit  int
	Cursor string
}

// ReportQuery selects the checks a report reads. Zero bounds are unbounded.
type ReportQuery struct {
	Scope Scope
	// ReleaseFrom and ReleaseTo bound the release date, both included.
	ReleaseFrom, ReleaseTo Date
	// RequestedFrom and RequestedTo bound the time of the request (To excluded); either
	// keeps only requested checks.
	RequestedFrom, RequestedTo time.Time
	// Statuses keeps only checks in one of them.
	Statuses []Status
}

// UserQuery selects users for a list.
type UserQuery struct {
	Role   Role
	Team   string
	Agency string
	Limit  int
	Cursor string
}

// AgencyQuery selects agencies for a list.
type AgencyQuery struct {
	Kind   AgencyKind
	Active *bool
	Limit  int
	Cursor string
}

// AuditQuery selects audit entries. From and To bound the time (To excluded).
type AuditQuery struct {
	ActorID    string
	Resource   string
	ResourceID string
	ReleaseID  string
	From, To   time.Time
	Limit      int
	Cursor     string
}

// CheckCount is how many checks have one status and type.
type CheckCount struct {
	Status Status
	Type   CheckType
	Count  int
}
