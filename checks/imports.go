package checks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// What the import of a release schedule (package imports) asks of the domain. The import
// records and changes releases only through CreateRelease and UpdateRelease, the methods a
// change by hand goes through; what is here reads what it matches rows against, and records
// the import itself.

// ResourceImport is the audit's resource for an import of a release schedule.
const ResourceImport = "import"

// ImportStore keeps the files uploaded in the pages between the "check your answers" page
// and the confirmation.
type ImportStore interface {
	// InsertPendingImport keeps an uploaded file; it removes the pending imports that
	// expired by p.CreatedAt.
	InsertPendingImport(ctx context.Context, p PendingImport) error
	// PendingImport reads one, expired or not.
	PendingImport(ctx context.Context, id string) (PendingImport, error)
	// DeletePendingImport removes one; a missing one is no error.
	DeletePendingImport(ctx context.Context, id string) error
	// DeleteExpiredPendingImports removes those that expired by now.
	DeleteExpiredPendingImports(ctx context.Context, now time.Time) error
}

// ReleaseKeyStore finds releases by person, for the import's matching.
type ReleaseKeyStore interface {
	// ActiveReleasesOfCRNs lists the active releases in scope of any of the CRNs whose
	// release date is from or later.
	ActiveReleasesOfCRNs(ctx context.Context, scope Scope, crns []string, from Date) ([]Release, error)
}

// PendingImport is a file uploaded in the pages, kept until it is confirmed or expires. Only
// the user who uploaded it may read it.
type PendingImport struct {
	ID        string
	UserID    string
	Content   []byte
	SHA256    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// PendingImportTTL is how long an uploaded file waits for its confirmation.
const PendingImportTTL = time.Hour

// ImportCandidates returns the active releases in actor's scope of the given CRNs whose
// release date is today or later: the releases a row of an import may be the same as.
func (s *Service) ImportCandidates(ctx context.Context, actor User, crns []string) ([]Release, error) {
	if err := importer(actor); err != nil {
		return nil, err
	}
	return s.store.ActiveReleasesOfCRNs(ctx, ScopeOf(actor), crns, s.Today())
}

// UpcomingReleases returns the active releases of the given teams, within actor's scope,
// whose release date is today or later: an import lists those its file did not mention.
func (s *Service) UpcomingReleases(ctx context.Context, actor User, teams []string) ([]Release, error) {
	if err := importer(actor); err != nil {
		return nil, err
	}
	var out []Release
	for _, team := range teams {
		q := ReleaseQuery{Scope: ScopeOf(actor).Team(team), From: s.Today(), Status: ReleaseActive, Limit: 1000}
		for {
			page, err := s.store.FindReleases(ctx, q)
			if err != nil {
				return nil, err
			}
			out = append(out, page.Items...)
			if page.NextCursor == "" {
				break
			}
			q.Cursor = page.NextCursor
		}
	}
	return out, nil
}

// COMsByEmail maps the email (lower case) of every COM to the COM's id, active or not, so
// that a row naming its COM by email is checked with the rules for a COM's id.
func (s *Service) COMsByEmail(ctx context.Context, actor User) (map[string]string, error) {
	if err := importer(actor); err != nil {
		return nil, err
	}
	users, err := s.store.AllUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, u := range users {
		if u.Role == RoleCOM {
			out[strings.ToLower(u.Email)] = u.ID
		}
	}
	return out, nil
}

// ImportRecord is what the audit records of an import: the file's hash and size and the
// counts, never a row.
type ImportRecord struct {
	SHA256                                               string
	Bytes, Rows                                          int
	Added, Changed, Unchanged, Rejected, Missing, Failed int
	AllOrNothing                                         bool
	// Applied is false when all-or-nothing refused the file for its rejected rows.
	Applied bool
}

// RecordImport audits an import that was applied (or refused whole by all-or-nothing):
// who, when, the file's hash and the counts. Every release it recorded or changed has its
// own audit entries, written with the change.
func (s *Service) RecordImport(ctx context.Context, actor User, rec ImportRecord) (AuditEntry, error) {
	if err := importer(actor); err != nil {
		return AuditEntry{}, err
	}
	var d diff
	d.add("sha256", "", rec.SHA256)
	for _, c := range []struct {
		field string
		n     int
	}{{"bytes", rec.Bytes}, {"rows", rec.Rows}, {"added", rec.Added}, {"changed", rec.Changed},
		{"unchanged", rec.Unchanged}, {"rejected", rec.Rejected}, {"missing", rec.Missing}, {"failed", rec.Failed}} {
		d = append(d, Change{Field: c.field, After: fmt.Sprint(c.n)})
	}
	d = append(d, Change{Field: "all_or_nothing", After: fmt.Sprint(rec.AllOrNothing)}, Change{Field: "applied", After: fmt.Sprint(rec.Applied)})
	id := s.newID()
	e := s.audit(actor, "import.run", ResourceImport, id, "", d)
	return e, s.store.InsertAudit(ctx, e)
}

// KeepPendingImport keeps an uploaded file for actor until it is confirmed, for at most
// PendingImportTTL, and returns its id.
func (s *Service) KeepPendingImport(ctx context.Context, actor User, content []byte) (PendingImport, error) {
	if err := importer(actor); err != nil {
		return PendingImport{}, err
	}
	sum := sha256.Sum256(content)
	now := s.now()
	p := PendingImport{ID: s.newID(), UserID: actor.ID, Content: content, SHA256: hex.EncodeToString(sum[:]),
		CreatedAt: now, ExpiresAt: now.Add(PendingImportTTL)}
	return p, s.store.InsertPendingImport(ctx, p)
}

// TakePendingImport returns a file actor uploaded and removes it: a confirmation applies a
// file once. Another user's, an expired one, or one already taken is ErrNotFound.
func (s *Service) TakePendingImport(ctx context.Context, actor User, id string) (PendingImport, error) {
	p, err := s.PendingImport(ctx, actor, id)
	if err != nil {
		return PendingImport{}, err
	}
	return p, s.store.DeletePendingImport(ctx, id)
}

// PendingImport returns a file actor uploaded, leaving it kept.
func (s *Service) PendingImport(ctx context.Context, actor User, id string) (PendingImport, error) {
	if err := checkID("id", id); err != nil {
		return PendingImport{}, ErrNotFound
	}
	p, err := s.store.PendingImport(ctx, id)
	if err != nil {
		return PendingImport{}, err
	}
	if p.UserID != actor.ID || !s.now().Before(p.ExpiresAt) {
		return PendingImport{}, ErrNotFound
	}
	return p, nil
}

// importer refuses the roles that do not record releases.
func importer(actor User) error {
	switch actor.Role {
	case RoleCOM, RoleManager, RoleAdmin:
		return nil
	}
	return Errorf(EFORBIDDEN, "only COMs, managers and admins import release schedules")
}

// ImporterByEmail finds the user a command-line import acts as: an active COM, manager or
// admin with this email. The command line may act as anyone (whoever runs the binary on
// the data administers it), but the audit must name a person, not "command line".
func (s *Service) ImporterByEmail(ctx context.Context, email string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	users, err := s.store.AllUsers(ctx)
	if err != nil {
		return User{}, err
	}
	for _, u := range users {
		if strings.ToLower(u.Email) != email {
			continue
		}
		switch {
		case !u.Active:
			return User{}, Errorf(EFORBIDDEN, "%s is deactivated", email)
		case importer(u) != nil:
			return User{}, Errorf(EFORBIDDEN, "%s is a %s: only COMs, managers and admins import release schedules", email, u.Role)
		}
		return u, nil
	}
	return User{}, &Error{Code: ENOTFOUND, Message: "no user has the email " + email + ": add one with users add"}
}
