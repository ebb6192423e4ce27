package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ReleaseInput is a new release as the caller gives it. Every field is checked, and all the
// problems are answered at once.
type ReleaseInput struct {
	CRN            string
	NOMSNumber     string
	FullName       string
	DateOfBirth    string
	ReleaseDate    string
	PrisonCode     string
	Team           string // a COM's own team when empty
	COMID          string // the acting COM when empty
	PoliceForce    string
	LocalAuthority string
	// Address is required for a new release: nil is refused. People may be none.
	Address *AddressInput
	People  []PersonInput
}

// ReleasePatch holds the fields of a release to change; nil fields stay as they are.
type ReleasePatch struct {
	ReleaseDate    *string
	PrisonCode     *string
	Team           *string
	COMID          *string
	PoliceForce    *string
	LocalAuthority *string
	// Address and People replace the release's as a whole.
	Address *AddressInput
	People  *[]PersonInput
}

// ReleaseFilter selects releases for a list. Dates are YYYY-MM-DD, as the caller gave them.
type ReleaseFilter struct {
	Team        string
	COMID       string
	ReleaseFrom string
	ReleaseTo   string
	Status      string
	Limit       int
	Cursor      string
}

// maxYearsAhead bounds a release date: further than this is a typing mistake, not a sentence.
const maxYearsAhead = 10

// CreateRelease records a release and creates its two checks, each in status required with
// its request-by date.
func (s *Service) CreateRelease(ctx context.Context, actor User, in ReleaseInput) (Release, error) {
	r, err := s.ValidateRelease(ctx, actor, in)
	if err != nil {
		return Release{}, err
	}
	r.ID = s.newID()
	now := s.now()
	r.CreatedAt, r.UpdatedAt = now, now
	for _, t := range CheckTypes() {
		r.Slots = append(r.Slots, Slot{CheckID: s.newID(), Type: t, Agency: r.Agency(t)})
	}
	created := s.audit(actor, "release.create", ResourceRelease, r.ID, r.ID, releaseChanges(Release{}, r))
	if err := s.store.InsertRelease(ctx, r, created); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return Release{}, s.duplicate(ctx, actor, r)
		}
		return Release{}, err
	}
	return s.synced(ctx, actor, r)
}

// ValidateRelease checks a new release with every rule CreateRelease applies, and returns
// the release it would record (without id, times or checks), writing nothing. The import
// of a release schedule checks each row with it, so that a row and an API call are held to
// one set of rules.
func (s *Service) ValidateRelease(ctx context.Context, actor User, in ReleaseInput) (Release, error) {
	if actor.Role == RoleLiaison {
		return Release{}, Errorf(EFORBIDDEN, "liaisons cannot record releases")
	}
	var f fields
	today := s.Today()
	r := Release{Status: ReleaseActive, Version: 1, CreatedBy: actor.ID}

	var ok bool
	if r.CRN, ok = ParseCRN(in.CRN); !ok {
		f.add("crn", "must be one letter and six digits, e.g. X123456")
	}
	if r.NOMSNumber, ok = ParseNOMS(in.NOMSNumber); !ok {
		f.add("noms_number", "must be a letter, four digits and two letters, e.g. A1234BC")
	}
	r.FullName = name(&f, "full_name", in.FullName, true, MaxName)
	r.DateOfBirth = dateOfBirth(&f, in.DateOfBirth, today)
	r.ReleaseDate = releaseDate(&f, in.ReleaseDate, today)
	r.PrisonCode = prisonCode(&f, in.PrisonCode)
	r.Team = s.teamFor(&f, actor, in.Team)
	r.Address, r.People = addressAndPeople(&f, in.Address, in.People, today)
	for _, ti := range checkTypes {
		if err := s.agencyFor(ctx, &f, ti, ti.given(in), ti.agency(&r)); err != nil {
			return Release{}, err
		}
	}
	comID := in.COMID
	if comID == "" && actor.Role == RoleCOM {
		comID = actor.ID
	}
	if err := s.comFor(ctx, &f, comID, r.Team, &r.COMID); err != nil {
		return Release{}, err
	}
	if err := f.err(); err != nil {
		return Release{}, err
	}
	return r, nil
}

// synced syncs the checks of a release that actor just changed and returns it with them.
func (s *Service) synced(ctx context.Context, actor User, r Release) (Release, error) {
	checks, err := s.syncRelease(ctx, r, actor)
	if err != nil {
		return Release{}, err
	}
	r.Checks, r.SyncPending = checks, false
	return r, nil
}

// ErrDuplicateRelease answers a release (new, or moved to another date) that another active
// release of the same person on the same date already holds. It is one sentence for every
// caller and names nothing of the release held: not its id, its team or its COM, nor even
// whether it is in the caller's own scope (pointing at it only then would make the two
// answers differ, and so tell another team that the person is on someone's caseload).
var ErrDuplicateRelease = &Error{Code: ECONFLICT,
	Message: "an active release with this CRN and release date is already recorded: if it is not in your team's releases, ask an admin"}

// duplicate records that actor tried to record release r (or move it to a date) that another
// active release holds, and returns ErrDuplicateRelease. The audit entry is about the release
// held, so that an admin can see who else is looking for that person; the answer is not given
// unless the attempt is recorded.
func (s *Service) duplicate(ctx context.Context, actor User, r Release) error {
	held, err := s.store.ReleaseByKey(ctx, r.CRN, r.ReleaseDate)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	// Not found: the release held was cancelled or moved in the meantime. The attempt is
	// recorded all the same, about no release.
	refused := s.audit(actor, "release.duplicate_refused", ResourceRelease, held.ID, held.ID, nil)
	if err := s.store.InsertAudit(ctx, refused); err != nil {
		return err
	}
	return ErrDuplicateRelease
}

// Release returns one release with its checks.
func (s *Service) Release(ctx context.Context, actor User, id string) (Release, error) {
	r, err := s.visibleRelease(ctx, actor, id)
	if err != nil {
		return Release{}, err
	}
	if r, err = s.withChecks(ctx, r); err != nil {
		return Release{}, err
	}
	return r, s.auditSummaryReads(ctx, actor, r.Checks)
}

func (s *Service) visibleRelease(ctx context.Context, actor User, id string) (Release, error) {
	if err := checkID("id", id); err != nil {
		return Release{}, err
	}
	r, err := s.store.Release(ctx, id)
	if err != nil {
		return Release{}, err
	}
	if !ScopeOf(actor).HoldsRelease(r) {
		return Release{}, ErrNotFound
	}
	return r, nil
}

// withChecks fills in the checks of r. A release read while its sync is pending (a crash cut
// it short) is repaired first.
func (s *Service) withChecks(ctx context.Context, r Release) (Release, error) {
	if r.SyncPending {
		return s.synced(ctx, System("safeguarding service"), r)
	}
	r.Checks = make([]Check, 0, len(r.Slots))
	for _, slot := range r.Slots {
		c, err := s.store.Check(ctx, slot.CheckID)
		if errors.Is(err, ErrNotFound) && slot.Superseded {
			continue // superseded before it was ever written
		}
		if err != nil {
			return Release{}, err
		}
		r.Checks = append(r.Checks, c)
	}
	return r, nil
}

// Releases lists the releases in the caller's scope, soonest release first, each with its
// checks, but without their response summaries: those are shown, and their reading
// recorded, one release or check at a time.
func (s *Service) Releases(ctx context.Context, actor User, in ReleaseFilter) (Page[Release], error) {
	if actor.Role == RoleLiaison {
		return Page[Release]{}, Errorf(EFORBIDDEN, "liaisons see checks, not releases: list /api/v1/checks")
	}
	var f fields
	q := ReleaseQuery{Scope: ScopeOf(actor), Team: in.Team, COMID: in.COMID, Cursor: in.Cursor}
	if in.Team != "" && !ValidTeam(in.Team) {
		f.add("team", "is not a team code")
	}
	if in.COMID != "" && !ValidID(in.COMID) {
		f.add("com", "is not a user id")
	}
	q.From = optionalDate(&f, "release_from", in.ReleaseFrom)
	if in.ReleaseFrom == "" {
		q.From = s.Today().AddDays(-RecentDays)
	}
	q.To = optionalDate(&f, "release_to", in.ReleaseTo)
	switch ReleaseStatus(in.Status) {
	case "", ReleaseActive, ReleaseCancelled:
		q.Status = ReleaseStatus(in.Status)
	default:
		f.add("status", "must be active or cancelled")
	}
	var err error
	if q.Limit, err = limit(in.Limit); err != nil {
		return Page[Release]{}, err
	}
	if err := f.err(); err != nil {
		return Page[Release]{}, err
	}
	page, err := s.store.FindReleases(ctx, q)
	if err != nil {
		return page, err
	}
	checks, err := s.store.ChecksOfReleases(ctx, page.Items)
	if err != nil {
		return page, err
	}
	for i := range page.Items {
		listed := checks[page.Items[i].ID]
		for j := range listed {
			listed[j] = listed[j].withoutSummary()
		}
		page.Items[i].Checks = listed
	}
	return page, nil
}

// withoutSummary is c with its response's summary left out, for a list that shows none:
// the audit records each read of a summary, and a list that recorded one for every answered
// check it holds would record reads that nobody made.
func (c Check) withoutSummary() Check {
	if c.Response != nil {
		r := *c.Response
		r.Summary = ""
		c.Response = &r
	}
	return c
}

// UpdateRelease changes a release's date, prison, team, COM or address agencies, and brings
// its checks in line: dates recomputed, and a check superseded by a new one when its agency
// changes.
func (s *Service) UpdateRelease(ctx context.Context, actor User, id string, ifMatch *int64, p ReleasePatch) (Release, error) {
	if p == (ReleasePatch{}) {
		return Release{}, &Error{Code: EINVALID, Message: "nothing to change: give at least one of release_date, prison_code, team, com_id, police_force, local_authority, address, people"}
	}
	return s.changeRelease(ctx, actor, id, ifMatch, "release.update", func(r *Release) error { return s.applyPatch(ctx, actor, r, p) })
}

// CancelRelease cancels a release and withdraws every open check of it.
func (s *Service) CancelRelease(ctx context.Context, actor User, id string, ifMatch *int64, reason string) (Release, error) {
	var f fields
	reason = text(&f, "reason", reason, false, MaxNote)
	if err := f.err(); err != nil {
		return Release{}, err
	}
	return s.changeRelease(ctx, actor, id, ifMatch, "release.cancel", func(r *Release) error {
		r.Status, r.CancelReason = ReleaseCancelled, reason
		return nil
	})
}

// changeRelease reads a release, applies change to it and writes it back conditionally,
// retrying when another change came first (unless the caller named a version), then syncs
// its checks.
func (s *Service) changeRelease(ctx context.Context, actor User, id string, ifMatch *int64, action string, change func(*Release) error) (Release, error) {
	for range retries {
		r, err := s.visibleRelease(ctx, actor, id)
		if err != nil {
			return Release{}, err
		}
		if err := precondition(ifMatch, r.Version); err != nil {
			return Release{}, err
		}
		if r.Status == ReleaseCancelled {
			return Release{}, &Error{Code: ECONFLICT, Message: "the release is cancelled and cannot change"}
		}
		next := r
		next.Slots = slices.Clone(r.Slots)
		if err := change(&next); err != nil {
			return Release{}, err
		}
		next.UpdatedAt = s.now()
		updated, err := s.store.UpdateRelease(ctx, next, s.audit(actor, action, ResourceRelease, r.ID, r.ID, releaseChanges(r, next)))
		switch {
		case stale(err) && ifMatch == nil:
			continue
		case ErrorCode(err) == ECONFLICT:
			return Release{}, s.duplicate(ctx, actor, next)
		case err != nil:
			return Release{}, err
		}
		if updated, err = s.synced(ctx, actor, updated); err != nil {
			return Release{}, err
		}
		return updated, s.auditSummaryReads(ctx, actor, updated.Checks)
	}
	return Release{}, &Error{Code: ECONFLICT, Message: "the release kept changing while this change was made; try again"}
}

func (s *Service) applyPatch(ctx context.Context, actor User, r *Release, p ReleasePatch) error {
	var f fields
	today := s.Today()
	if p.ReleaseDate != nil {
		r.ReleaseDate = releaseDate(&f, *p.ReleaseDate, today)
	}
	if p.PrisonCode != nil {
		r.PrisonCode = prisonCode(&f, *p.PrisonCode)
	}
	patchAddressAndPeople(&f, r, p, today)
	if p.Team != nil {
		if *p.Team == "" {
			f.add("team", "must not be empty")
		} else {
			r.Team = s.teamFor(&f, actor, *p.Team)
		}
	}
	comID := r.COMID
	if p.COMID != nil {
		comID = *p.COMID
	}
	if p.COMID != nil || p.Team != nil {
		if err := s.comFor(ctx, &f, comID, r.Team, &r.COMID); err != nil {
			return err
		}
	}
	for _, ti := range checkTypes {
		value, target := ti.changed(p), ti.agency(r)
		if value == nil || *value == *target {
			continue
		}
		if err := s.agencyFor(ctx, &f, ti, *value, target); err != nil {
			return err
		}
		r.supersede(ti.Type, *target, s.newID())
	}
	return f.err()
}

// supersede replaces the current check of type t by a new one, with id, for agency.
func (r *Release) supersede(t CheckType, agency, id string) {
	for i := range r.Slots {
		if r.Slots[i].Type == t && !r.Slots[i].Superseded {
			r.Slots[i].Superseded = true
		}
	}
	r.Slots = append(r.Slots, Slot{CheckID: id, Type: t, Agency: agency})
}

// RepairPending syncs the checks of every release that a crash left out of line with its
// checks. It returns how many it repaired.
func (s *Service) RepairPending(ctx context.Context) (int, error) {
	pending, err := s.store.ReleasesPendingSync(ctx)
	if err != nil {
		return 0, err
	}
	for _, r := range pending {
		if _, err := s.syncRelease(ctx, r, System("safeguarding service")); err != nil {
			return 0, fmt.Errorf("repair release %s: %w", r.ID, err)
		}
	}
	if len(pending) > 0 {
		s.log.InfoContext(ctx, "releases repaired", "count", len(pending))
	}
	return len(pending), nil
}

// syncRelease brings the checks of r in line with it and then clears its pending mark. It
// is idempotent: running it twice changes nothing the second time.
func (s *Service) syncRelease(ctx context.Context, r Release, actor User) ([]Check, error) {
	current := map[CheckType]string{}
	for _, slot := range r.Slots {
		if !slot.Superseded {
			current[slot.Type] = slot.CheckID
		}
	}
	checks := make([]Check, 0, len(r.Slots))
	for _, slot := range r.Slots {
		c, err := s.syncSlot(ctx, r, slot, current[slot.Type], actor)
		if err != nil {
			return nil, err
		}
		if c.ID != "" {
			checks = append(checks, c)
		}
	}
	if err := s.store.MarkReleaseSynced(ctx, r.ID, r.Version); err != nil {
		return nil, err
	}
	return checks, nil
}

func (s *Service) syncSlot(ctx context.Context, r Release, slot Slot, currentID string, actor User) (Check, error) {
	for range retries {
		now := s.now()
		c, err := s.store.Check(ctx, slot.CheckID)
		if errors.Is(err, ErrNotFound) {
			if slot.Superseded {
				return Check{}, nil // never written, so nothing to withdraw
			}
			c = s.newCheck(r, slot, actor, now)
			created := s.audit(actor, "check.create", ResourceCheck, c.ID, r.ID, checkChanges(Check{}, c))
			if err := s.store.InsertCheck(ctx, c, created); err != nil {
				if ErrorCode(err) == ECONFLICT {
					continue // another sync wrote it meanwhile: reconcile that one
				}
				return Check{}, err
			}
			return c, nil
		}
		if err != nil {
			return Check{}, err
		}
		next, entry := s.reconcile(c, r, slot, currentID, actor, now)
		if next == nil {
			return c, nil
		}
		updated, err := s.store.UpdateCheck(ctx, *next, entry, now,
			s.audit(actor, "check."+string(entry.Action), ResourceCheck, c.ID, c.ReleaseID, checkChanges(c, *next)))
		if stale(err) {
			continue
		}
		if err == nil {
		}
		return updated, err
	}
	return Check{}, &Error{Code: ECONFLICT, Message: "the release's checks kept changing; try again"}
}

func (s *Service) newCheck(r Release, slot Slot, actor User, now time.Time) Check {
	c := Check{
		ID: slot.CheckID, ReleaseID: r.ID, Type: slot.Type, Agency: slot.Agency, Status: StatusRequired,
		RequestBy: s.deadlines.RequestByAsOf(r.ReleaseDate, DateOf(now), Date{}), Version: 1,
		CRN: r.CRN, FullName: r.FullName, DateOfBirth: r.DateOfBirth, ReleaseDate: r.ReleaseDate,
		Team: r.Team, COMID: r.COMID,
	}
	entry := actorEntry(actor, now, ActionCreate)
	entry.To = StatusRequired
	c.History = []HistoryEntry{entry}
	if r.Status == ReleaseCancelled {
		withdrawn(c, &c, WithdrawnReleaseCancelled, cancelReason(r), now)
		entry = actorEntry(actor, now, ActionWithdraw)
		entry.From, entry.To, entry.Note = StatusRequired, StatusWithdrawn, c.WithdrawnReason
		c.History = append(c.History, entry)
	}
	return c
}

func cancelReason(r Release) string {
	if r.CancelReason == "" {
		return "release cancelled"
	}
	return "release cancelled: " + r.CancelReason
}

// reconcile returns the change that brings check c in line with its release, or nil when it
// already is.
func (s *Service) reconcile(c Check, r Release, slot Slot, currentID string, actor User, now time.Time) (*Check, *HistoryEntry) {
	next := c
	next.CRN, next.FullName, next.DateOfBirth = r.CRN, r.FullName, r.DateOfBirth
	next.ReleaseDate, next.Team, next.COMID = r.ReleaseDate, r.Team, r.COMID

	var notes []string
	note := func(what string, from, to fmt.Stringer) {
		if from.String() != to.String() {
			notes = append(notes, fmt.Sprintf("%s %s → %s", what, orNone(from.String()), orNone(to.String())))
		}
	}
	note("release date", c.ReleaseDate, r.ReleaseDate)
	note("team", str(c.Team), str(r.Team))
	if c.COMID != r.COMID {
		notes = append(notes, "COM reassigned")
	}
	action := ActionReleaseChanged
	withdraw := func(because WithdrawnBecause, reason string) {
		withdrawn(c, &next, because, reason, now)
		action = ActionWithdraw
	}
	switch {
	case slot.Superseded:
		next.SupersededBy = currentID
		// Only a check not yet answered is withdrawn: an answer is about the person, not the
		// address, so it stays and the COM can still complete it beside the new agency's check.
		switch {
		case c.Status == StatusRequired || c.Status == StatusRequested:
			withdraw(WithdrawnAddressMoved, fmt.Sprintf("the release address moved: %s now goes to agency %s", c.Type, r.Agency(slot.Type)))
		case r.Status == ReleaseCancelled && c.Status.Open():
			withdraw(WithdrawnReleaseCancelled, cancelReason(r))
		case c.SupersededBy == "":
			notes = append(notes, "superseded: the release address moved to agency "+r.Agency(slot.Type))
			// The check has left the agency all the same: it sees its answer, not where the
			// person went or what happens to the release next.
			freeze(c, &next)
		}
	case r.Status == ReleaseCancelled:
		if c.Status.Open() {
			withdraw(WithdrawnReleaseCancelled, cancelReason(r))
		}
	case c.Status.Open():
		// Dates recomputed from the release never land in the past: see RequestByAsOf and
		// RedueAfterChange.
		next.RequestBy = s.deadlines.RequestByAsOf(r.ReleaseDate, DateOf(now), c.RequestBy)
		if c.Status == StatusRequested {
			next.DueDate, next.Urgent = s.deadlines.RedueAfterChange(c.RequestedAt, r.ReleaseDate, c.DueDate, now)
			if due := s.deadlines.agreedDue(c, next.DueDate, r.ReleaseDate); due != next.DueDate {
				next.DueDate, next.Urgent = due, s.deadlines.Urgent(due, r.ReleaseDate)
			}
		}
		note("request by", c.RequestBy, next.RequestBy)
		if c.DueDate != next.DueDate {
			notes = append(notes, fmt.Sprintf("due date changed from %s to %s", orNone(c.DueDate.String()), orNone(next.DueDate.String())))
		}
		switch {
		case next.Urgent && !c.Urgent:
			notes = append(notes, "urgent: the answer is due after the hard stop before release")
		case c.Urgent && !next.Urgent:
			notes = append(notes, "no longer urgent")
		}
	}
	if sameState(c, next) {
		return nil, nil
	}
	entry := actorEntry(actor, now, action)
	entry.From, entry.To = c.Status, next.Status
	if action == ActionWithdraw {
		notes = append([]string{next.WithdrawnReason}, notes...)
	}
	entry.Note = strings.Join(notes, "; ")
	return &next, &entry
}

type str string

func (s str) String() string { return string(s) }

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// sameState reports whether the fields a sync may change are equal.
func sameState(a, b Check) bool {
	return a.Status == b.Status && a.SupersededBy == b.SupersededBy && a.WithdrawnReason == b.WithdrawnReason && (a.Frozen == nil) == (b.Frozen == nil) &&
		a.RequestBy == b.RequestBy && a.DueDate == b.DueDate && a.Urgent == b.Urgent && a.CRN == b.CRN && a.FullName == b.FullName &&
		a.DateOfBirth == b.DateOfBirth && a.ReleaseDate == b.ReleaseDate && a.Team == b.Team && a.COMID == b.COMID
}

// Field rules shared by create and patch.

func dateOfBirth(f *fields, s string, today Date) Date {
	if s == "" {
		f.add("date_of_birth", "is required")
		return Date{}
	}
	d, err := ParseDate(s)
	switch {
	case err != nil:
		f.add("date_of_birth", "must be a date in the form YYYY-MM-DD")
	case d.After(today.AddDays(-10 * 365)):
		f.add("date_of_birth", "must be at least ten years ago: the person must be old enough to have been in custody")
	case d.Before(today.AddDays(-120 * 365)):
		f.add("date_of_birth", "must be within the last 120 years")
	}
	return d
}

func releaseDate(f *fields, s string, today Date) Date {
	if s == "" {
		f.add("release_date", "is required")
		return Date{}
	}
	d, err := ParseDate(s)
	switch {
	case err != nil:
		f.add("release_date", "must be a date in the form YYYY-MM-DD")
	case d.Before(today):
		f.add("release_date", "must not be before today (%s)", today)
	case d.After(today.AddDays(maxYearsAhead * 366)):
		f.add("release_date", "must be within %d years", maxYearsAhead)
	}
	return d
}

func optionalDate(f *fields, field, s string) Date {
	if s == "" {
		return Date{}
	}
	d, err := ParseDate(s)
	if err != nil {
		f.add(field, "must be a date in the form YYYY-MM-DD")
	}
	return d
}

func prisonCode(f *fields, s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if !prisonPattern.MatchString(s) {
		f.add("prison_code", "must be the three-letter prison code, e.g. LEI")
	}
	return s
}

// teamFor checks the team of a release against what the actor may manage: a COM its own team
// (the default), a manager one of its teams, an admin any.
func (s *Service) teamFor(f *fields, actor User, team string) string {
	team = strings.TrimSpace(team)
	switch {
	case team == "" && actor.Role == RoleCOM && len(actor.Teams) > 0:
		return actor.Teams[0]
	case team == "":
		f.add("team", "is required")
	case !ValidTeam(team):
		f.add("team", "must be a team code of letters, digits, - and _ (at most 32)")
	case actor.Role != RoleAdmin && !actor.InTeam(team):
		f.add("team", "must be one of your teams (%s)", strings.Join(actor.Teams, ", "))
	}
	return team
}

// agencyFor checks that code names an active agency of the kind that answers checks of type
// ti, and sets *target to it.
func (s *Service) agencyFor(ctx context.Context, f *fields, ti TypeInfo, code string, target *string) error {
	field, kind := ti.Field, ti.AgencyKind
	code = strings.ToUpper(strings.TrimSpace(code))
	*target = code
	if code == "" {
		f.add(field, "is required: the agency code for the release address (see GET /api/v1/agencies?kind=%s)", kind)
		return nil
	}
	a, err := s.store.Agency(ctx, code)
	switch {
	case errors.Is(err, ErrNotFound):
		f.add(field, "no agency has the code %q (see GET /api/v1/agencies?kind=%s)", code, kind)
	case err != nil:
		return err
	case a.Kind != kind:
		f.add(field, "%s is %s, not a %s agency", code, a.Name, kind)
	case !a.Active:
		f.add(field, "%s (%s) is inactive", code, a.Name)
	}
	return nil
}

// comFor checks that id names an active COM of team, and sets *target to it.
func (s *Service) comFor(ctx context.Context, f *fields, id, team string, target *string) error {
	*target = id
	if id == "" {
		f.add("com_id", "is required: the id of the COM who manages the case")
		return nil
	}
	if !ValidID(id) {
		f.add("com_id", "is not a user id")
		return nil
	}
	u, err := s.store.User(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		f.add("com_id", "no user has this id")
	case err != nil:
		return err
	case u.Role != RoleCOM:
		f.add("com_id", "is not a COM")
	case !u.Active:
		f.add("com_id", "is deactivated")
	case team != "" && !f.has("team") && !u.InTeam(team):
		f.add("com_id", "is not in team %s", team)
	}
	return nil
}
