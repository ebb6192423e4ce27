package checks

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strings"
	"time"
)

// The reports give managers the figures the inspectors measured, live, for their own teams.
// They are computed in Go from one streamed query each: the embedded server has no
// aggregation beyond $group and $sum.

// ReportScope is what a report covers, as the caller gave it.
type ReportScope struct {
	From, To string // YYYY-MM-DD, both included
	Team     string
}

// TypeFigures are the completion figures of one check type.
type TypeFigures struct {
	Type CheckType
	// Required counts the checks neither withdrawn nor marked not required.
	Required int
	// NotRequired counts the checks marked not required, apart, with each reason's count.
	NotRequired        int
	NotRequiredReasons []ReasonCount
	// Declined counts the required checks the agency declined to answer. They stay in
	// Required but are never counted as answered or completed, even once the COM has
	// completed them: the information was not given, so the check was not done.
	Declined int
	// Requested, Responded and Completed count the required checks requested, answered and
	// completed before the start of the release day (London); each Pct is its share of
	// Required, to one decimal place, or nil when nothing was required.
	RequestedBeforeRelease int
	RespondedBeforeRelease int
	CompletedBeforeRelease int
	RequestedPct           *float64
	RespondedPct           *float64
	CompletedPct           *float64
}

// ReasonCount is how many checks were marked not required for one reason.
type ReasonCount struct {
	Reason string
	Count  int
}

// TeamFigures are the completion figures of one team.
type TeamFigures struct {
	Team  string
	Types []TypeFigures
}

// CompletionReport is the inspection's measure over releases dated in a period: how many of
// the checks that were required were done before release.
type CompletionReport struct {
	From, To Date
	Team     string
	Types    []TypeFigures
	ByTeam   []TeamFigures
}

// Completion computes the completion report over releases dated From to To, in the caller's
// scope (one team when Team is given).
func (s *Service) Completion(ctx context.Context, actor User, in ReportScope) (CompletionReport, error) {
	from, to, scope, err := s.reportScope(actor, in, true)
	if err != nil {
		return CompletionReport{}, err
	}
	rep := CompletionReport{From: from, To: to, Team: in.Team}
	all := newTally()
	byTeam := map[string]*tally{}
	err = s.store.ReportChecks(ctx, ReportQuery{Scope: scope, ReleaseFrom: from, ReleaseTo: to}, func(c Check) error {
		all.add(c)
		if byTeam[c.Team] == nil {
			byTeam[c.Team] = newTally()
		}
		byTeam[c.Team].add(c)
		return nil
	})
	if err != nil {
		return rep, err
	}
	rep.Types = all.figures()
	for _, team := range sortedKeys(byTeam) {
		rep.ByTeam = append(rep.ByTeam, TeamFigures{Team: team, Types: byTeam[team].figures()})
	}
	return rep, nil
}

// reportScope checks a report's period and team against the caller's scope: an admin sees
// every team, a manager its teams, a COM its team; liaisons get no reports. A team out of
// scope is not found, like anything else out of scope.
func (s *Service) reportScope(actor User, in ReportScope, needPeriod bool) (from, to Date, scope Scope, err error) {
	if actor.Role == RoleLiaison {
		return from, to, Scope{}, Errorf(EFORBIDDEN, "reports are for probation staff")
	}
	var f fields
	if needPeriod {
		from = requiredDate(&f, "from", in.From)
		to = requiredDate(&f, "to", in.To)
		if !f.has("from") && !f.has("to") && to.Before(from) {
			f.add("to", "must not be before from (%s)", from)
		}
	}
	if in.Team != "" && !ValidTeam(in.Team) {
		f.add("team", "is not a team code")
	}
	if err := f.err(); err != nil {
		return from, to, Scope{}, err
	}
	scope = ScopeOf(actor)
	if in.Team != "" {
		if scope = scope.Team(in.Team); len(scope.Teams()) == 0 {
			return from, to, Scope{}, &Error{Code: ENOTFOUND, Message: "no team " + in.Team + " in your scope"}
		}
	}
	return from, to, scope, nil
}

func requiredDate(f *fields, field, s string) Date {
	if s == "" {
		f.add(field, "is required: a date YYYY-MM-DD")
		return Date{}
	}
	return optionalDate(f, field, s)
}

// tally counts one set of checks for the completion report.
type tally struct {
	types map[CheckType]*TypeFigures
	why   map[CheckType]map[string]int
}

func newTally() *tally {
	t := &tally{types: map[CheckType]*TypeFigures{}, why: map[CheckType]map[string]int{}}
	for _, typ := range CheckTypes() {
		t.types[typ] = &TypeFigures{Type: typ}
		t.why[typ] = map[string]int{}
	}
	return t
}

func (t *tally) add(c Check) {
	if c.Superseded() || c.Status == StatusWithdrawn {
		return // replaced by the check for the new address, or no longer needed
	}
	f := t.types[c.Type]
	if f == nil {
		return
	}
	if c.Status == StatusNotRequired {
		f.NotRequired++
		t.why[c.Type][c.NotRequiredReason]++
		return
	}
	f.Required++
	deadline := c.ReleaseDate.Start()
	before := func(at time.Time) bool { return !at.IsZero() && at.Before(deadline) }
	if before(c.RequestedAt) {
		f.RequestedBeforeRelease++
	}
	if c.Declined() {
		f.Declined++
		return
	}
	if c.Response != nil && before(c.Response.RespondedAt) {
		f.RespondedBeforeRelease++
	}
	if before(c.CompletedAt) {
		f.CompletedBeforeRelease++
	}
}

func (t *tally) figures() []TypeFigures {
	var out []TypeFigures
	for _, typ := range CheckTypes() {
		f := *t.types[typ]
		f.RequestedPct = percent(f.RequestedBeforeRelease, f.Required)
		f.RespondedPct = percent(f.RespondedBeforeRelease, f.Required)
		f.CompletedPct = percent(f.CompletedBeforeRelease, f.Required)
		for _, reason := range sortedKeys(t.why[typ]) {
			f.NotRequiredReasons = append(f.NotRequiredReasons, ReasonCount{reason, t.why[typ][reason]})
		}
		slices.SortStableFunc(f.NotRequiredReasons, func(a, b ReasonCount) int { return b.Count - a.Count })
		out = append(out, f)
	}
	return out
}

// percent is n of total as a percentage to one decimal place, or nil when total is 0.
func percent(n, total int) *float64 {
	if total == 0 {
		return nil
	}
	p := math.Round(float64(n)*1000/float64(total)) / 10
	return &p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// AgencyFiguresRow is one agency's line in the agency report.
type AgencyFiguresRow struct {
	Agency   string
	Name     string
	Kind     AgencyKind
	Requests int // checks requested of it in the period
	Answered int // of those, answered (a refusal is not an answer)
	// Declined counts the requests of the period it declined to answer, apart from Answered;
	// the response times are those of the answers only.
	Declined   int
	MedianDays *float64
	P90Days    *float64
	// Overdue counts its requests unanswered after their due date, today, whenever made.
	Overdue int
	// OldestOpen is when its oldest unanswered request was made (zero when none).
	OldestOpen      time.Time
	OldestOpenCheck string
}

// AgencyReport gives each agency's response times: the delays the inspection found.
type AgencyReport struct {
	From, To Date
	Team     string
	Agencies []AgencyFiguresRow
}

// Agencies computes, per agency, the requests made of it in the period (by the day they were
// made, in London), how many it answered, the median and 90th percentile of its response time
// in working days, and, as of today, its overdue requests and its oldest unanswered one.
func (s *Service) AgencyFigures(ctx context.Context, actor User, in ReportScope) (AgencyReport, error) {
	from, to, scope, err := s.reportScope(actor, in, true)
	if err != nil {
		return AgencyReport{}, err
	}
	rep := AgencyReport{From: from, To: to, Team: in.Team}
	today := s.Today()
	rows := map[string]*AgencyFiguresRow{}
	days := map[string][]int{}
	row := func(code string) *AgencyFiguresRow {
		if rows[code] == nil {
			rows[code] = &AgencyFiguresRow{Agency: code}
		}
		return rows[code]
	}
	// Two queries, each bounded by an index: the requests made in the period, and the
	// requests still unanswered today.
	asked := ReportQuery{Scope: scope, RequestedFrom: from.Start(), RequestedTo: to.AddDays(1).Start()}
	err = s.store.ReportChecks(ctx, asked, func(c Check) error {
		r := row(c.Agency)
		r.Requests++
		switch {
		case c.Declined():
			r.Declined++
		case c.Response != nil:
			r.Answered++
			days[c.Agency] = append(days[c.Agency], s.deadlines.Calendar.WorkdaysBetween(DateOf(c.RequestedAt), DateOf(c.Response.RespondedAt)))
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	waiting := ReportQuery{Scope: scope, Statuses: []Status{StatusRequested}}
	err = s.store.ReportChecks(ctx, waiting, func(c Check) error {
		r := row(c.Agency)
		if c.Overdue(today) {
			r.Overdue++
		}
		if r.OldestOpen.IsZero() || c.RequestedAt.Before(r.OldestOpen) {
			r.OldestOpen, r.OldestOpenCheck = c.RequestedAt, c.ID
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, code := range sortedKeys(rows) {
		row := rows[code]
		if a, err := s.store.Agency(ctx, code); err == nil {
			row.Name, row.Kind = a.Name, a.Kind
		}
		row.MedianDays = nearestRank(days[code], 50)
		row.P90Days = nearestRank(days[code], 90)
		rep.Agencies = append(rep.Agencies, *row)
	}
	slices.SortStableFunc(rep.Agencies, func(a, b AgencyFiguresRow) int { return strings.Compare(a.Name, b.Name) })
	return rep, nil
}

// nearestRank returns the p-th percentile of values (NearestRank), or nil for no values.
func nearestRank(values []int, p int) *float64 {
	if len(values) == 0 {
		return nil
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	v := float64(NearestRank(sorted, float64(p)))
	return &v
}

// NearestRank returns the p-th percentile of sorted values by the nearest-rank method: the
// smallest value with at least p% of the values at or below it. It is the zero value for no
// values. The reports and the load command measure with it.
func NearestRank[T cmp.Ordered](sorted []T, p float64) T {
	if len(sorted) == 0 {
		var zero T
		return zero
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// Missing is a check a release still needs.
type Missing struct {
	CheckID string
	Type    CheckType
	Agency  string
	Status  Status
	Due     Date // the request-by date while required, else the answer's due date
	Overdue bool
}

// UpcomingRelease is a release in the window with something not done.
type UpcomingRelease struct {
	ReleaseID            string
	CRN                  string
	ReleaseDate          Date
	WorkingDaysToRelease int
	Team                 string
	COMID                string
	Missing              []Missing
}

// UpcomingReport lists the releases of the next working days that still miss a check.
type UpcomingReport struct {
	Today    Date
	Within   int
	Until    Date
	Team     string
	Releases []UpcomingRelease
}

// MaxUpcomingDays bounds the upcoming report's window.
const MaxUpcomingDays = 60

// Upcoming lists the releases from today to within working days ahead with any check still
// open (required, requested or answered but not completed), soonest first, with what each
// is missing.
func (s *Service) Upcoming(ctx context.Context, actor User, within int, team string) (UpcomingReport, error) {
	if within < 1 || within > MaxUpcomingDays {
		return UpcomingReport{}, &Error{Code: EINVALID, Message: "the request has invalid fields",
			Fields: []FieldError{{"within", "must be a whole number of working days from 1 to 60"}}}
	}
	_, _, scope, err := s.reportScope(actor, ReportScope{Team: team}, false)
	if err != nil {
		return UpcomingReport{}, err
	}
	today := s.Today()
	rep := UpcomingReport{Today: today, Within: within, Until: s.deadlines.Calendar.AddWorkdays(today, within), Team: team}
	byRelease := map[string]*UpcomingRelease{}
	var order []string
	q := ReportQuery{Scope: scope, ReleaseFrom: today, ReleaseTo: rep.Until, Statuses: []Status{StatusRequired, StatusRequested, StatusResponded}}
	err = s.store.ReportChecks(ctx, q, func(c Check) error {
		r := byRelease[c.ReleaseID]
		if r == nil {
			r = &UpcomingRelease{ReleaseID: c.ReleaseID, CRN: c.CRN, ReleaseDate: c.ReleaseDate,
				WorkingDaysToRelease: s.deadlines.WorkdaysToRelease(today, c.ReleaseDate), Team: c.Team, COMID: c.COMID}
			byRelease[c.ReleaseID] = r
			order = append(order, c.ReleaseID)
		}
		due := c.DueDate
		if c.Status == StatusRequired {
			due = c.RequestBy
		}
		r.Missing = append(r.Missing, Missing{c.ID, c.Type, c.Agency, c.Status, due, c.Overdue(today)})
		return nil
	})
	if err != nil {
		return rep, err
	}
	for _, id := range order {
		r := byRelease[id]
		slices.SortFunc(r.Missing, func(a, b Missing) int { return strings.Compare(string(a.Type), string(b.Type)) })
		rep.Releases = append(rep.Releases, *r)
	}
	slices.SortStableFunc(rep.Releases, func(a, b UpcomingRelease) int {
		if a.ReleaseDate != b.ReleaseDate {
			if a.ReleaseDate.Before(b.ReleaseDate) {
				return -1
			}
			return 1
		}
		return strings.Compare(a.CRN, b.CRN)
	})
	return rep, nil
}

// Declined reports whether the agency declined to answer the check. A declined check stays
// responded, so that the COM must act on it (chase the agency, escalate, or record what the
// refusal means), and reports count it apart: never answered, never completed.
func (c Check) Declined() bool { return c.Response != nil && c.Response.Outcome == OutcomeDeclined }
