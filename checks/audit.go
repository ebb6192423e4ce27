package checks

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AuditEntry records one write, or one read of a response summary: who, in which role,
// when, to which resource, and each field's value before and after. The audit collection is
// append-only: nothing in the service changes or deletes an entry.
type AuditEntry struct {
	ID         string
	At         time.Time
	ActorID    string
	ActorName  string
	Role       Role
	Action     string // e.g. "check.request", "release.update", "check.read_summary"
	Resource   string // release, check, user, token or agency
	ResourceID string
	// ReleaseID links entries about a release and its checks to the person, for subject
	// access requests.
	ReleaseID string
	Changes   []Change
}

// Change is one field of a resource before and after a write. Free text (a response summary,
// a note, a reason) is never copied into the audit: its change reads "(N characters)". Names
// are copied, as the actor's name is: they say who, which is what the trail is for.
type Change struct {
	Field  string
	Before string
	After  string
}

// The resources the audit speaks of.
const (
	ResourceRelease = "release"
	ResourceCheck   = "check"
	ResourceUser    = "user"
	ResourceToken   = "token"
	ResourceAgency  = "agency"
	ResourceSession = "session"
	// ResourceEmail is an email of the outbox; its id is the email's idempotency key.
	ResourceEmail = "email"
)

// audit starts an entry about something actor did.
func (s *Service) audit(actor User, action, resource, id, releaseID string, changes []Change) AuditEntry {
	return AuditEntry{
		ID: s.newID(), At: s.now(), ActorID: actor.ID, ActorName: actor.Name, Role: actor.Role,
		Action: action, Resource: resource, ResourceID: id, ReleaseID: releaseID, Changes: changes,
	}
}

// diff lists the fields whose values differ, in the order given.
type diff []Change

func (d *diff) add(field string, before, after any) {
	b, a := auditValue(before), auditValue(after)
	if b != a {
		*d = append(*d, Change{field, b, a})
	}
}

func auditValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return x.UTC().Format(time.RFC3339Nano)
	case Date:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

// checkChanges lists what a write changed in a check. Free text is described, not copied.
func checkChanges(before, after Check) []Change {
	var d diff
	d.add("status", string(before.Status), string(after.Status))
	d.add("agency", before.Agency, after.Agency)
	d.add("request_by", before.RequestBy, after.RequestBy)
	d.add("requested_at", before.RequestedAt, after.RequestedAt)
	d.add("due_date", before.DueDate, after.DueDate)
	d.add("urgent", before.Urgent, after.Urgent)
	d.add("release_date", before.ReleaseDate, after.ReleaseDate)
	d.add("team", before.Team, after.Team)
	d.add("com_id", before.COMID, after.COMID)
	d.add("superseded_by", before.SupersededBy, after.SupersededBy)
	d.add("withdrawn_reason", noteLength(before.WithdrawnReason), noteLength(after.WithdrawnReason))
	d.add("withdrawn_because", string(before.WithdrawnBecause), string(after.WithdrawnBecause))
	d.add("undeliverable", before.Undeliverable, after.Undeliverable)
	if after.Extension != nil && (before.Extension == nil || *before.Extension != *after.Extension) {
		var was Extension
		if before.Extension != nil && before.Extension.RequestedAt.Equal(after.Extension.RequestedAt) {
			was = *before.Extension
		}
		d.add("extension.proposed_date", was.ProposedDate, after.Extension.ProposedDate)
		d.add("extension.note", noteLength(was.Note), noteLength(after.Extension.Note))
		d.add("extension.decision", string(was.Decision), string(after.Extension.Decision))
		d.add("extension.reason", noteLength(was.Reason), noteLength(after.Extension.Reason))
	}
	d.add("not_required_reason", noteLength(before.NotRequiredReason), noteLength(after.NotRequiredReason))
	d.add("completed_at", before.CompletedAt, after.CompletedAt)
	d.add("completion_note", noteLength(before.CompletionNote), noteLength(after.CompletionNote))
	if before.Response == nil && after.Response != nil {
		d.add("response.outcome", "", string(after.Response.Outcome))
		d.add("response.summary", "", noteLength(after.Response.Summary))
	}
	return d
}

// noteLength describes free text without copying it: it may hold special category data
// (a withdrawn reason too, since it carries the release's cancel reason).
func noteLength(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("(%d characters)", len([]rune(s)))
}

func releaseChanges(before, after Release) []Change {
	var d diff
	d.add("crn", before.CRN, after.CRN)
	d.add("noms_number", before.NOMSNumber, after.NOMSNumber)
	d.add("full_name", before.FullName, after.FullName)
	d.add("date_of_birth", before.DateOfBirth, after.DateOfBirth)
	d.add("release_date", before.ReleaseDate, after.ReleaseDate)
	d.add("prison_code", before.PrisonCode, after.PrisonCode)
	d.add("team", before.Team, after.Team)
	d.add("com_id", before.COMID, after.COMID)
	d.add("police_force", before.PoliceForce, after.PoliceForce)
	d.add("local_authority", before.LocalAuthority, after.LocalAuthority)
	addressChanges(&d, before.Address, after.Address)
	peopleChanges(&d, before.People, after.People)
	d.add("status", string(before.Status), string(after.Status))
	d.add("cancel_reason", noteLength(before.CancelReason), noteLength(after.CancelReason))
	return d
}

// Audit lists the audit trail (admins only).
func (s *Service) Audit(ctx context.Context, actor User, in AuditFilter) (Page[AuditEntry], error) {
	if actor.Role != RoleAdmin {
		return Page[AuditEntry]{}, Errorf(EFORBIDDEN, "only admins read the audit trail")
	}
	var f fields
	q := AuditQuery{ActorID: in.Actor, ResourceID: in.ResourceID, Cursor: in.Cursor}
	if in.Actor != "" && !ValidID(in.Actor) {
		f.add("actor", "is not a user id")
	}
	switch in.Resource {
	case "":
	case ResourceRelease, ResourceCheck, ResourceUser, ResourceToken, ResourceAgency, ResourceSession, ResourceEmail, ResourceImport:
		q.Resource = in.Resource
	default:
		f.add("resource", "must be one of release, check, user, token, agency, session, email, import")
	}
	q.From = optionalTime(&f, "from", in.From, false)
	q.To = optionalTime(&f, "to", in.To, true)
	if q.From.IsZero() && q.ActorID == "" && q.ResourceID == "" {
		// The whole trail of years is not a page anyone reads: the recent past unless a
		// person, a resource or a start is named (each of which an index selects).
		q.From = s.now().AddDate(0, 0, -RecentDays)
	}
	var err error
	if q.Limit, err = limit(in.Limit); err != nil {
		return Page[AuditEntry]{}, err
	}
	if err := f.err(); err != nil {
		return Page[AuditEntry]{}, err
	}
	return s.store.FindAudit(ctx, q)
}

// AuditFilter selects audit entries, as the caller gave the values.
type AuditFilter struct {
	Actor      string
	Resource   string
	ResourceID string
	From, To   string // RFC 3339 times, or YYYY-MM-DD days in London (To: the whole day)
	Limit      int
	Cursor     string
}

// optionalTime reads an RFC 3339 time or a YYYY-MM-DD day (its start; with endOfDay, the
// start of the next day, so that a "to" day is included).
func optionalTime(f *fields, field, s string, endOfDay bool) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	d, err := ParseDate(s)
	if err != nil {
		f.add(field, "must be a date YYYY-MM-DD or an RFC 3339 time")
		return time.Time{}
	}
	if endOfDay {
		d = d.AddDays(1)
	}
	return d.Start()
}

// auditSummaryReads records that actor read the response summaries of these checks, before
// they are shown: if the read cannot be recorded, the summaries are not shown.
func (s *Service) auditSummaryReads(ctx context.Context, actor User, cs []Check) error {
	var entries []AuditEntry
	for _, c := range cs {
		if c.Response != nil && c.Response.Summary != "" {
			entries = append(entries, s.audit(actor, "check.read_summary", ResourceCheck, c.ID, c.ReleaseID, nil))
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return s.store.InsertAudit(ctx, entries...)
}

// Export is everything held about one person's release, for a subject access request.
type Export struct {
	Release Release
	Audit   []AuditEntry
}

// ExportRelease gathers a release, all its checks (superseded ones too) with their history
// and responses, and every audit entry about them (admins only). The export itself is
// audited.
func (s *Service) ExportRelease(ctx context.Context, actor User, id string) (Export, error) {
	if actor.Role != RoleAdmin {
		return Export{}, Errorf(EFORBIDDEN, "only admins export what is held about a person")
	}
	r, err := s.visibleRelease(ctx, actor, id)
	if err != nil {
		return Export{}, err
	}
	if r, err = s.withChecks(ctx, r); err != nil {
		return Export{}, err
	}
	if err := s.store.InsertAudit(ctx, s.audit(actor, "release.export", ResourceRelease, r.ID, r.ID, nil)); err != nil {
		return Export{}, err
	}
	out := Export{Release: r, Audit: []AuditEntry{}}
	q := AuditQuery{ReleaseID: r.ID, Limit: 200}
	for {
		page, err := s.store.FindAudit(ctx, q)
		if err != nil {
			return Export{}, err
		}
		out.Audit = append(out.Audit, page.Items...)
		if page.NextCursor == "" {
			return out, nil
		}
		q.Cursor = page.NextCursor
	}
}
