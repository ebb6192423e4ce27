package imports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/probation/safeguarding/checks"
)

// Options are the choices of one import.
type Options struct {
	// DryRun plans the import and changes nothing.
	DryRun bool
	// AllOrNothing applies nothing when any row is rejected.
	AllOrNothing bool
}

// Importer imports release schedules through a service.
type Importer struct {
	svc *checks.Service
	// workers is how many rows are checked, or applied, at once: each row waits on the
	// database, so a few at a time keep it busy without crowding out other requests.
	workers int
}

// New returns an importer on svc.
func New(svc *checks.Service) *Importer { return &Importer{svc: svc, workers: 4} }

// Outcome is what the import does (or did) with a row.
type Outcome string

// The outcomes of a row.
const (
	OutcomeAdd       Outcome = "add"
	OutcomeChange    Outcome = "change"
	OutcomeUnchanged Outcome = "unchanged"
	OutcomeRejected  Outcome = "rejected"
)

// Row is one row of the file and what became of it. It carries the references of the
// release (CRN, NOMS number, dates, team), never the name or the address: a report is shown
// and logged where those need not be.
type Row struct {
	Row         int // the line of the file, the header being line 1
	Outcome     Outcome
	CRN         string
	NOMSNumber  string
	ReleaseDate checks.Date
	Team        string
	// ReleaseID is the release matched, or the one recorded (empty in a dry run's adds).
	ReleaseID string
	// Fields are the fields a change changes.
	Fields []string
	// Errors say why a row is rejected, field by field (fields named as the columns).
	Errors []checks.FieldError

	in    checks.ReleaseInput
	patch checks.ReleasePatch
	match *checks.Release
}

// Missing is an active release of a team the file speaks of, still to come, that no row of
// the file matched. It is listed, never cancelled: a release missing from an extract may be
// a fault of the extract.
type Missing struct {
	ReleaseID   string
	CRN         string
	ReleaseDate checks.Date
	Team        string
}

// Report is what an import did, or (in a dry run) would do.
type Report struct {
	DryRun       bool
	AllOrNothing bool
	// Applied is whether the rows were applied: false in a dry run, and when all-or-nothing
	// refused the file for its rejected rows.
	Applied        bool
	SHA256         string
	Bytes          int
	UnknownColumns []string
	// Rows are every row of the file, in file order.
	Rows    []Row
	Missing []Missing
	// ImportID names an import that was applied or refused whole in the audit trail (its
	// resource id, resource "import").
	ImportID string
}

// Count returns how many rows have outcome o.
func (r Report) Count(o Outcome) int {
	n := 0
	for _, row := range r.Rows {
		if row.Outcome == o {
			n++
		}
	}
	return n
}

// Of returns the rows with outcome o.
func (r Report) Of(o Outcome) []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.Outcome == o {
			out = append(out, row)
		}
	}
	return out
}

// Refused reports whether all-or-nothing refused the file for its rejected rows.
func (r Report) Refused() bool { return r.AllOrNothing && !r.DryRun && !r.Applied }

// Import reads a release schedule and applies it as actor (or plans it, in a dry run). A
// file that cannot be read as a schedule is refused whole with an EINVALID error (a size
// over the limits matches ErrTooLarge too); a bad row is rejected in the report and does not
// stop the others, unless AllOrNothing.
func (im *Importer) Import(ctx context.Context, actor checks.User, content []byte, opts Options) (Report, error) {
	if actor.Role != checks.RoleCOM && actor.Role != checks.RoleManager && actor.Role != checks.RoleAdmin {
		return Report{}, checks.Errorf(checks.EFORBIDDEN, "only COMs, managers and admins import release schedules")
	}
	sum := sha256.Sum256(content)
	rep := Report{DryRun: opts.DryRun, AllOrNothing: opts.AllOrNothing, SHA256: hex.EncodeToString(sum[:]), Bytes: len(content)}
	s, err := parse(content)
	if err != nil {
		return Report{}, err
	}
	rep.UnknownColumns = s.unknown
	if rep.Rows, err = im.plan(ctx, actor, s); err != nil {
		return Report{}, err
	}
	if rep.Missing, err = im.missing(ctx, actor, rep.Rows); err != nil {
		return Report{}, err
	}
	if opts.DryRun {
		return rep, nil
	}
	if opts.AllOrNothing && rep.Count(OutcomeRejected) > 0 {
		return rep, im.record(ctx, actor, &rep, 0)
	}
	failed, err := im.apply(ctx, actor, rep.Rows)
	rep.Applied = true
	// The import is recorded even when a fault stopped it, with what it did until then.
	if rerr := im.record(ctx, actor, &rep, failed); err == nil {
		err = rerr
	}
	return rep, err
}

func (im *Importer) record(ctx context.Context, actor checks.User, rep *Report, failed int) error {
	e, err := im.svc.RecordImport(ctx, actor, checks.ImportRecord{
		SHA256: rep.SHA256, Bytes: rep.Bytes, Rows: len(rep.Rows),
		Added: rep.Count(OutcomeAdd), Changed: rep.Count(OutcomeChange), Unchanged: rep.Count(OutcomeUnchanged),
		Rejected: rep.Count(OutcomeRejected), Missing: len(rep.Missing), Failed: failed,
		AllOrNothing: rep.AllOrNothing, Applied: rep.Applied,
	})
	rep.ImportID = e.ResourceID
	return err
}

// lookups are what every row is read against, read once per import.
type lookups struct {
	coms       map[string]string // COM email (lower case) to id
	agencies   map[checks.AgencyKind]map[string]string
	candidates map[string][]checks.Release // by CRN|NOMS number
}

func key(crn, noms string) string { return crn + "|" + noms }

func (im *Importer) lookups(ctx context.Context, actor checks.User, s sheet) (lookups, error) {
	l := lookups{agencies: map[checks.AgencyKind]map[string]string{}, candidates: map[string][]checks.Release{}}
	var err error
	if l.coms, err = im.svc.COMsByEmail(ctx, actor); err != nil {
		return l, err
	}
	q := checks.AgencyFilter{Limit: 200}
	for {
		page, err := im.svc.Agencies(ctx, q)
		if err != nil {
			return l, err
		}
		for _, a := range page.Items {
			m := l.agencies[a.Kind]
			if m == nil {
				m = map[string]string{}
				l.agencies[a.Kind] = m
			}
			m[strings.ToLower(a.Name)] = a.Code
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	var crns []string
	seen := map[string]bool{}
	for _, r := range s.rows {
		if crn, ok := checks.ParseCRN(r.get(ColCRN)); ok && !seen[crn] {
			seen[crn] = true
			crns = append(crns, crn)
		}
	}
	found, err := im.svc.ImportCandidates(ctx, actor, crns)
	if err != nil {
		return l, err
	}
	for _, r := range found {
		k := key(r.CRN, r.NOMSNumber)
		l.candidates[k] = append(l.candidates[k], r)
	}
	return l, nil
}

// agency gives the code of an agency named by code or by its name in the directory.
func (l lookups) agency(kind checks.AgencyKind, s string) string {
	if code, ok := l.agencies[kind][strings.ToLower(strings.TrimSpace(s))]; ok {
		return code
	}
	return s
}

// plan decides what to do with each row, checking it with the domain's rules.
func (im *Importer) plan(ctx context.Context, actor checks.User, s sheet) ([]Row, error) {
	l, err := im.lookups(ctx, actor, s)
	if err != nil {
		return nil, err
	}
	rows := make([]Row, len(s.rows))
	first := map[string]int{} // CRN|NOMS to the line that first gave it
	for i, rec := range s.rows {
		rows[i] = Row{Row: rec.line}
		crn, okCRN := checks.ParseCRN(rec.get(ColCRN))
		noms, okNOMS := checks.ParseNOMS(rec.get(ColNOMSNumber))
		rows[i].CRN, rows[i].NOMSNumber = crn, noms
		if rec.fieldCount != 0 {
			rows[i].reject("row", fmt.Sprintf("has %d fields where the header has %d", rec.fieldCount, s.header))
			continue
		}
		if !okCRN || !okNOMS {
			continue
		}
		k := key(crn, noms)
		if line, ok := first[k]; ok {
			rows[i].reject(ColCRN, fmt.Sprintf("line %d already gives this CRN and NOMS number: give each release once", line))
			continue
		}
		first[k] = rec.line
		switch m := l.candidates[k]; len(m) {
		case 0:
		case 1:
			rows[i].match = &m[0]
		default:
			rows[i].reject(ColCRN, "more than one active release to come has this CRN and NOMS number: change them by hand")
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(im.workers)
	for i := range rows {
		if rows[i].Outcome == OutcomeRejected {
			continue
		}
		g.Go(func() error { return im.planRow(gctx, actor, l, s.rows[i], &rows[i]) })
	}
	return rows, g.Wait()
}

// planRow checks one row and compares it with the release it matches.
func (im *Importer) planRow(ctx context.Context, actor checks.User, l lookups, rec record, row *Row) error {
	m := row.match
	in := checks.ReleaseInput{
		CRN: rec.get(ColCRN), NOMSNumber: rec.get(ColNOMSNumber), FullName: rec.get(ColFullName),
		DateOfBirth: date(rec.get(ColDateOfBirth)), ReleaseDate: date(rec.get(ColReleaseDate)),
		PrisonCode: rec.get(ColPrisonCode), Team: strings.TrimSpace(rec.get(ColTeam)),
		PoliceForce:    l.agency(checks.KindPolice, rec.get(ColPoliceForce)),
		LocalAuthority: l.agency(checks.KindChildrensServices, rec.get(ColLocalAuthority)),
		Address: &checks.AddressInput{Line1: rec.get(ColAddressLine1), Line2: rec.get(ColAddressLine2),
			Line3: rec.get(ColAddressLine3), Town: rec.get(ColTown), Postcode: rec.get(ColPostcode)},
	}
	var own []checks.FieldError
	if email := strings.ToLower(strings.TrimSpace(rec.get(ColCOMEmail))); email != "" {
		id, ok := l.coms[email]
		if !ok {
			own = append(own, checks.FieldError{Field: ColCOMEmail, Reason: "no COM has this email address"})
		}
		in.COMID = id
	}
	if m != nil {
		// A blank team or COM, or a file without address_line_3, leaves the release's as it is.
		if in.Team == "" {
			in.Team = m.Team
		}
		if strings.TrimSpace(rec.get(ColCOMEmail)) == "" {
			in.COMID = m.COMID
		}
		if !rec.has(ColAddressLine3) {
			in.Address.Line3 = m.Address.Line3
		}
	}
	if in.COMID == "" && len(own) > 0 && actor.Role == checks.RoleCOM {
		in.COMID = actor.ID // for the rules of the other fields; the row is rejected anyway
	}
	n, err := im.svc.ValidateRelease(ctx, actor, in)
	fieldErrs, err := rowErrors(err)
	if err != nil {
		return err
	}
	for _, f := range fieldErrs {
		if f.Field == ColCOMEmail && len(own) > 0 {
			continue // the email named no COM: the rule on the id would only repeat it
		}
		own = append(own, f)
	}
	if len(own) > 0 {
		row.Outcome, row.Errors = OutcomeRejected, own
		return nil
	}
	row.in, row.ReleaseDate, row.Team = in, n.ReleaseDate, n.Team
	if m == nil {
		row.Outcome = OutcomeAdd
		return nil
	}
	row.ReleaseID = m.ID
	if n.FullName != m.FullName {
		row.reject(ColFullName, "differs from the release recorded for this CRN and NOMS number: an import does not change a name; ask an admin")
	}
	if n.DateOfBirth != m.DateOfBirth {
		row.reject(ColDateOfBirth, "differs from the release recorded for this CRN and NOMS number: an import does not change a date of birth; ask an admin")
	}
	if row.Outcome == OutcomeRejected {
		return nil
	}
	row.patch, row.Fields = patchOf(*m, n)
	row.Outcome = OutcomeUnchanged
	if len(row.Fields) > 0 {
		row.Outcome = OutcomeChange
	}
	return nil
}

// patchOf is the change that brings release m to n, with the names of the fields it changes.
func patchOf(m, n checks.Release) (checks.ReleasePatch, []string) {
	var p checks.ReleasePatch
	var fields []string
	set := func(field string, differs bool, apply func()) {
		if differs {
			apply()
			fields = append(fields, field)
		}
	}
	set(ColReleaseDate, n.ReleaseDate != m.ReleaseDate, func() { s := n.ReleaseDate.String(); p.ReleaseDate = &s })
	set(ColPrisonCode, n.PrisonCode != m.PrisonCode, func() { p.PrisonCode = &n.PrisonCode })
	set(ColTeam, n.Team != m.Team, func() { p.Team = &n.Team })
	set(ColCOMEmail, n.COMID != m.COMID, func() { p.COMID = &n.COMID })
	set(ColPoliceForce, n.PoliceForce != m.PoliceForce, func() { p.PoliceForce = &n.PoliceForce })
	set(ColLocalAuthority, n.LocalAuthority != m.LocalAuthority, func() { p.LocalAuthority = &n.LocalAuthority })
	set("address", n.Address != m.Address, func() {
		a := n.Address
		p.Address = &checks.AddressInput{Line1: a.Line1, Line2: a.Line2, Line3: a.Line3, Town: a.Town, Postcode: a.Postcode}
	})
	return p, fields
}

// columnOf names a field of the domain's rules by the file's column.
var columnOf = map[string]string{
	"com_id":           ColCOMEmail,
	"address":          ColAddressLine1,
	"address.line_1":   ColAddressLine1,
	"address.line_2":   ColAddressLine2,
	"address.line_3":   ColAddressLine3,
	"address.town":     ColTown,
	"address.postcode": ColPostcode,
}

// rowErrors turns the domain's refusal of a row into the row's errors, the fields named by
// the file's columns. An error that is not about the row (the database is away) is returned
// as it is.
func rowErrors(err error) ([]checks.FieldError, error) {
	if err == nil {
		return nil, nil
	}
	class := checks.Classify(err)
	if class.Fault || class.Code == checks.ECANCELLED {
		return nil, err
	}
	e, ok := err.(*checks.Error)
	if !ok {
		return nil, err
	}
	if len(e.Fields) == 0 {
		return []checks.FieldError{{Field: "row", Reason: e.Message}}, nil
	}
	out := make([]checks.FieldError, 0, len(e.Fields))
	for _, f := range e.Fields {
		if c, ok := columnOf[f.Field]; ok {
			f.Field = c
		}
		if f.Field == ColDateOfBirth || f.Field == ColReleaseDate {
			f.Reason = strings.Replace(f.Reason, "in the form YYYY-MM-DD", "in the form YYYY-MM-DD or DD/MM/YYYY", 1)
		}
		if f.Field == ColCOMEmail {
			f.Reason = strings.Replace(f.Reason, "the id of the COM", "the email of the COM", 1)
		}
		out = append(out, f)
	}
	return out, nil
}

func (r *Row) reject(field, reason string) {
	r.Outcome = OutcomeRejected
	r.Errors = append(r.Errors, checks.FieldError{Field: field, Reason: reason})
}

// missing lists the active releases to come of the teams the file speaks of that no row
// matched.
func (im *Importer) missing(ctx context.Context, actor checks.User, rows []Row) ([]Missing, error) {
	matched := map[string]bool{}
	var teams []string
	for _, r := range rows {
		if r.match != nil {
			matched[r.match.ID] = true
			teams = append(teams, r.match.Team)
		}
		if r.Team != "" {
			teams = append(teams, r.Team)
		}
	}
	slices.Sort(teams)
	teams = slices.Compact(teams)
	upcoming, err := im.svc.UpcomingReleases(ctx, actor, teams)
	if err != nil {
		return nil, err
	}
	var out []Missing
	for _, r := range upcoming {
		if !matched[r.ID] {
			out = append(out, Missing{ReleaseID: r.ID, CRN: r.CRN, ReleaseDate: r.ReleaseDate, Team: r.Team})
		}
	}
	return out, nil
}

// apply records the rows to add and changes the rows to change, through the service
// methods a change by hand goes through. A row the service refuses now (another change came
// first, or the same release was recorded meanwhile) is rejected with the reason; a fault
// stops the import, and apply returns how many rows it had left undone.
func (im *Importer) apply(ctx context.Context, actor checks.User, rows []Row) (int, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(im.workers)
	done := make([]bool, len(rows))
	for i := range rows {
		row := &rows[i]
		if row.Outcome != OutcomeAdd && row.Outcome != OutcomeChange {
			continue
		}
		g.Go(func() error {
			var r checks.Release
			var err error
			if row.Outcome == OutcomeAdd {
				r, err = im.svc.CreateRelease(gctx, actor, row.in)
			} else {
				version := row.match.Version
				r, err = im.svc.UpdateRelease(gctx, actor, row.match.ID, &version, row.patch)
				if checks.ErrorCode(err) == checks.EPRECONDITION {
					err = checks.Errorf(checks.ECONFLICT, "the release changed while the file was imported: import the file again")
				}
			}
			fieldErrs, err := rowErrors(err)
			if err != nil {
				return err
			}
			done[i] = true
			if len(fieldErrs) > 0 {
				row.Outcome, row.Errors, row.Fields = OutcomeRejected, fieldErrs, nil
				return nil
			}
			row.ReleaseID = r.ID
			return nil
		})
	}
	err := g.Wait()
	undone := 0
	if err != nil {
		for i, row := range rows {
			if (row.Outcome == OutcomeAdd || row.Outcome == OutcomeChange) && !done[i] {
				undone++
			}
		}
	}
	return undone, err
}
