package main

// seed --demo: a realistic demo data set, made through the domain service so that every
// record is consistent and audited. To give checks a past (requested weeks ago, answered
// late), the seed runs a service of its own on the same store with a clock it moves back in
// time before each step, in the order the steps would have happened, and leaves the data
// as it stands today.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/probation/safeguarding/checks"
)

// seedClock is a clock the seed sets before each step.
type seedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *seedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *seedClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// demoAdminEmail marks the demo data set: when this user exists, the data is already there.
const demoAdminEmail = "demo.admin@probation.example.org"

func seedCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommand("seed", "seed --demo [--tokens FILE]", stderr)
	demo := c.fs.Bool("demo", false, "create the demo data set: users of two probation teams and four agencies, and about 40 releases with checks at every stage")
	tokensFlag := c.fs.String("tokens", "", "file to write every demo user's bearer token to, owner-only (default: tokens.txt in the data directory)")
	if err := c.parse(args); err != nil {
		return ignoreHelp(err)
	}
	if c.fs.NArg() > 0 {
		return usageError("seed takes no arguments, got %q", c.fs.Args())
	}
	if !*demo {
		return usageError("seed needs --demo: the demo data set is the only one it makes")
	}
	a, err := c.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer a.Close()

	path := *tokensFlag
	if path == "" {
		path = filepath.Join(a.cfg.DataDir, "tokens.txt")
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	if err := demoAbsent(ctx, a); err != nil {
		return err
	}
	if *tokensFlag == "" {
		// With MONGODB_URI set, nothing has created the data directory yet.
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("create the data directory for the tokens file: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("the tokens file %s already exists: remove it or choose another file with --tokens (nothing was written)", path)
	}
	if err != nil {
		return fmt.Errorf("create the tokens file: %w", err)
	}
	if err := f.Chmod(0o600); err != nil { // whatever the umask
		_ = f.Close()
		return fmt.Errorf("make the tokens file owner-only: %w", err)
	}

	now := a.clock.Now()
	clock := &seedClock{now: now}
	s := &seeder{
		svc:    a.seedService(clock),
		clock:  clock,
		cal:    a.calendar,
		now:    now,
		today:  checks.DateOf(now),
		tokens: f,
		users:  map[string]checks.User{},
		checks: map[string]checks.Check{},
	}
	err = s.seed(ctx)
	clock.set(now)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write the tokens file: %w", cerr)
	}
	if err != nil {
		return fmt.Errorf("seeding stopped: %w (the tokens of the users created so far are in %s)", describe(err), path)
	}
	s.report(stderr, a.where(), path)
	fmt.Fprintln(stdout, path)
	return nil
}

// demoAbsent refuses to seed a database that already holds the demo users, before anything
// is written.
func demoAbsent(ctx context.Context, a *app) error {
	demo := map[string]bool{}
	for _, u := range demoUsers() {
		demo[u.email] = true
	}
	var found []string
	q := checks.UserQuery{Limit: 200}
	for {
		page, err := a.svc.Users(ctx, cliActor(), q)
		if err != nil {
			return describe(err)
		}
		for _, u := range page.Items {
			if u.Email == demoAdminEmail {
				return fmt.Errorf("demo data already present in the %s: user %s exists. Nothing was written; to seed again, use a fresh --data-dir or MONGODB_DATABASE", a.where(), demoAdminEmail)
			}
			if demo[u.Email] {
				found = append(found, u.Email)
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if len(found) > 0 {
		return fmt.Errorf("some demo users already exist in the %s: %s. Nothing was written; to seed, use a fresh --data-dir or MONGODB_DATABASE", a.where(), strings.Join(found, ", "))
	}
	return nil
}

// The demo's teams and agencies.
var demoTeams = []struct{ code, name string }{{"N07-T1", "Camden"}, {"N07-T2", "Islington"}}

type demoAgency struct{ code, contact, escalation string }

var demoAgencies = []demoAgency{
	{"E23000001", "met-da-checks@example.org", "met-da-checks-manager@example.org"},
	{"E23000034", "colp-da-checks@example.org", "colp-da-checks-manager@example.org"},
	{"E09000001", "city-childrens-services@example.org", "city-childrens-services-manager@example.org"},
	{"E09000007", "camden-mash@example.org", "camden-mash-manager@example.org"},
	{"E09000019", "islington-mash@example.org", "islington-mash-manager@example.org"},
}

// demoAreas are release addresses: the police force and the children's services for each.
var demoAreas = map[string][2]string{
	"camden":    {"E23000001", "E09000007"},
	"islington": {"E23000001", "E09000019"},
	"city":      {"E23000034", "E09000001"},
}

type demoUser struct {
	key, name, email string
	role             checks.Role
	teams            []string
	agency           string
}

// demoUsers are the people of the demo. Every name is invented.
func demoUsers() []demoUser {
	t1, t2 := demoTeams[0].code, demoTeams[1].code
	p := func(first, last string) string {
		return strings.ToLower(first+"."+last) + "@probation.example.org"
	}
	return []demoUser{
		{"admin", "Dana Example", demoAdminEmail, checks.RoleAdmin, nil, ""},
		{"t1-com1", "Amira Sample", p("amira", "sample"), checks.RoleCOM, []string{t1}, ""},
		{"t1-com2", "Ben Placeholder", p("ben", "placeholder"), checks.RoleCOM, []string{t1}, ""},
		{"t1-com3", "Chloe Example", p("chloe", "example"), checks.RoleCOM, []string{t1}, ""},
		{"t1-manager", "Dev Specimen", p("dev", "specimen"), checks.RoleManager, []string{t1}, ""},
		{"t2-com1", "Eitan Sample", p("eitan", "sample"), checks.RoleCOM, []string{t2}, ""},
		{"t2-com2", "Fola Madeup", p("fola", "madeup"), checks.RoleCOM, []string{t2}, ""},
		{"t2-com3", "Grace Placeholder", p("grace", "placeholder"), checks.RoleCOM, []string{t2}, ""},
		{"t2-manager", "Hari Example", p("hari", "example"), checks.RoleManager, []string{t2}, ""},
		{"head-of-service", "Imogen Specimen", p("imogen", "specimen"), checks.RoleManager, []string{t1, t2}, ""},
		{"liaison-met", "Jas Example", "jas.example@met-police.example.org", checks.RoleLiaison, nil, "E23000001"},
		{"liaison-city-police", "Kit Sample", "kit.sample@colp.example.org", checks.RoleLiaison, nil, "E23000034"},
		{"liaison-city", "Lee Placeholder", "lee.placeholder@cityoflondon.example.org", checks.RoleLiaison, nil, "E09000001"},
		{"liaison-camden", "Mo Specimen", "mo.specimen@camden.example.org", checks.RoleLiaison, nil, "E09000007"},
		{"liaison-islington", "Nia Madeup", "nia.madeup@islington.example.org", checks.RoleLiaison, nil, "E09000019"},
	}
}

// flow is what happens to one check, in working days before today (0: never).
type flow struct {
	request, respond, complete int
	outcome                    checks.Outcome
	note                       int // a liaison asks for more time
	notRequired                int
	byManager                  bool // the team's manager requests it
}

func required() flow                            { return flow{} }
func requested(q int) flow                      { return flow{request: q} }
func responded(q, r int, o checks.Outcome) flow { return flow{request: q, respond: r, outcome: o} }
func completed(q, r, c int, o checks.Outcome) flow {
	return flow{request: q, respond: r, complete: c, outcome: o}
}
func notRequired(at int) flow { return flow{notRequired: at} }

func (f flow) noted(at int) flow { f.note = at; return f }
func (f flow) manager() flow     { f.byManager = true; return f }

const (
	held = checks.OutcomeInformationHeld
	none = checks.OutcomeNoInformation
	decl = checks.OutcomeDeclined
)

// demoRelease is one release of the demo: its date in calendar days from today, its team and
// address, and what happens to its checks.
type demoRelease struct {
	days   int
	team   int // index in demoTeams
	area   string
	da, cs flow

	cancelAt     int // the release is cancelled, withdrawing its open checks
	cancelReason string

	moveAt       int    // the address moves to another area: checks superseded
	moveTo       string // area
	daNew, csNew flow   // what happens to the new checks

	redateAt  int // the release date changes from firstDays to days
	firstDays int
}

// demoReleases is the data set. Due dates follow the default policy: a request is due 10
// working days later (5 when release is within 28 days), so a request 20 working days ago
// unanswered is overdue, and an answer more than 10 working days after it came late.
func demoReleases() []demoRelease {
	return []demoRelease{
		// Within a month: most done, some late, a few alarming.
		{days: 4, team: 0, area: "camden", da: completed(30, 20, 18, held), cs: responded(30, 3, held)},
		{days: 6, team: 1, area: "islington", da: requested(12).noted(5), cs: completed(25, 16, 14, none)},
		{days: 8, team: 0, area: "city", da: completed(28, 19, 17, none), cs: completed(28, 20, 15, none)},
		{days: 11, team: 1, area: "islington", da: responded(22, 9, held), cs: notRequired(20)},
		{days: 13, team: 0, area: "camden", da: required(), cs: requested(6)},
		{days: 15, team: 1, area: "city", da: completed(26, 17, 14, none), cs: completed(26, 17, 16, held)},
		{days: 18, team: 0, area: "camden", da: completed(24, 10, 8, held), cs: completed(24, 15, 12, none)},
		{days: 20, team: 1, area: "islington", da: requested(16).noted(4), cs: responded(16, 8, none)},
		{days: 23, team: 0, area: "camden", da: completed(20, 11, 10, none), cs: completed(20, 12, 9, held)},
		{days: 26, team: 1, area: "islington", da: responded(18, 5, decl), cs: requested(18)},
		// About one to two months: requests under way.
		{days: 29, team: 0, area: "city", da: required(), cs: required()},
		{days: 31, team: 1, area: "islington", da: completed(15, 6, 4, held), cs: completed(15, 8, 7, none)},
		{days: 34, team: 0, area: "camden", da: requested(9).manager(), cs: requested(9).manager()},
		{days: 36, team: 1, area: "islington", da: responded(12, 3, none), cs: notRequired(10)},
		{days: 39, team: 0, area: "camden", da: required(), cs: requested(2)},
		{days: 42, team: 1, area: "islington", da: requested(4), cs: requested(4)},
		{days: 44, team: 0, area: "camden", da: requested(10), cs: required(),
			cancelAt: 2, cancelReason: "Parole Board hearing adjourned; no release date until it is relisted."},
		{days: 45, team: 1, area: "city", da: completed(14, 5, 3, none), cs: responded(14, 5, held)},
		{days: 48, team: 0, area: "camden", da: completed(16, 8, 6, held), cs: requested(16),
			moveAt: 4, moveTo: "city", daNew: requested(3), csNew: requested(3)},
		{days: 50, team: 1, area: "islington", da: required(), cs: required()},
		{days: 53, team: 0, area: "camden", da: requested(3), cs: required()},
		{days: 55, team: 1, area: "islington", da: completed(10, 4, 2, none), cs: responded(10, 1, none)},
		{days: 58, team: 0, area: "city", da: required(), cs: required()},
		// Two to four months: mostly not yet due.
		{days: 60, team: 1, area: "islington", da: requested(8), cs: required(), redateAt: 2, firstDays: 85},
		{days: 63, team: 0, area: "camden", da: required(), cs: notRequired(3)},
		{days: 66, team: 1, area: "islington", da: required(), cs: required(),
			cancelAt: 1, cancelReason: "Additional days awarded at adjudication; a new release date will be recorded when known."},
		{days: 70, team: 0, area: "camden", da: requested(1), cs: requested(1)},
		{days: 73, team: 1, area: "islington", da: required(), cs: required()},
		{days: 76, team: 0, area: "camden", da: responded(6, 2, none), cs: requested(6)},
		{days: 80, team: 1, area: "city", da: required(), cs: required()},
		{days: 84, team: 0, area: "camden", da: required(), cs: required()},
		{days: 88, team: 1, area: "islington", da: requested(2), cs: required()},
		{days: 92, team: 0, area: "city", da: required(), cs: required()},
		{days: 95, team: 1, area: "islington", da: required(), cs: required()},
		{days: 99, team: 0, area: "camden", da: required(), cs: notRequired(1)},
		{days: 103, team: 1, area: "islington", da: required(), cs: required()},
		{days: 107, team: 0, area: "camden", da: required(), cs: required()},
		{days: 111, team: 1, area: "camden", da: required(), cs: required()},
		{days: 116, team: 0, area: "islington", da: required(), cs: required()},
		{days: 120, team: 1, area: "islington", da: required(), cs: required()},
	}
}

// Invented people: common first names and surnames no one has.
var (
	demoFirstNames = []string{"Aaron", "Bilal", "Callum", "Darius", "Elliot", "Farid", "Gareth", "Harvey", "Idris", "Jamal",
		"Kieran", "Liam", "Marcus", "Nathan", "Oskar", "Patrick", "Quentin", "Reece", "Samir", "Tyler",
		"Umar", "Vincent", "Wesley", "Xavier", "Yusuf", "Zane", "Adam", "Brandon", "Connor", "Dominic",
		"Ethan", "Finley", "George", "Hamza", "Isaac", "Jordan", "Kyle", "Leon", "Mason", "Nikolai"}
	demoSurnames = []string{"Example", "Sample", "Placeholder", "Specimen", "Madeup", "Fictional", "Testcase",
		"Pretend", "Invented", "Imaginary", "Notreal", "Dummy", "Mockley", "Fakeham"}
	demoPrisons = []string{"PVI", "BXI", "WSI", "TSI", "BAI", "WWI", "LEI", "BMI", "WDI", "PNI"}
)

// Words of the demo's answers and notes: invented, and generic.
var (
	demoSummaries = map[checks.CheckType]map[checks.Outcome][]string{
		checks.TypeDomesticAbuse: {
			held: {
				"Two call-outs to the previous address (verbal disputes with a former partner), no further action. No current orders.",
				"A former partner holds a non-molestation order against the subject; a marker is on the release address.",
				"One caution for assault on a partner, several years ago. No incidents recorded at the release address.",
			},
			none: {"No domestic abuse incidents recorded for the subject or the release address.", ""},
			decl: {"Declined: the address history was incomplete. Please send the addresses of the last five years and we will run the check at once."},
		},
		checks.TypeChildSafeguarding: {
			held: {
				"A child of the subject's partner lives at the address and has a child in need plan; the allocated social worker is named in our records.",
				"The household was assessed some years ago and the case closed with no further action. No current involvement.",
			},
			none: {"No current or previous children's services involvement with the household.", ""},
			decl: {"Declined: we could not identify the household from the details given; please call the duty desk."},
		},
	}
	demoCompletionNotes = []string{
		"Read. Contact with the social worker arranged; added to the risk management plan.",
		"Read. No change to the risk management plan.",
		"Read. Licence condition proposed: tell the COM of any new intimate relationship.",
		"Read. Address discussed with the manager; approved, with a home visit in the first week.",
	}
	demoNotRequired = []string{
		"No children live at or visit the release address (approved premises, adults only); confirmed with the AP manager.",
		"Will live alone in supported housing with no contact with children; confirmed at the pre-release interview.",
	}
	demoRequestNotes = []string{"", "Previous address in another borough until two years ago.", "", "Lived at the release address before custody."}
	demoMoreTime     = "Our records search is taking longer than usual: we expect to answer within three working days."
)

// seeder makes the demo data set through the service, moving its clock.
type seeder struct {
	svc    *checks.Service
	clock  *seedClock
	cal    *checks.Calendar
	now    time.Time
	today  checks.Date
	tokens io.Writer

	users    map[string]checks.User // by key
	liaisons map[string]checks.User // by agency code
	releases int
	checks   map[string]checks.Check // every check, as last returned
	events   []seedEvent
}

// seedEvent is one step of the demo's history.
type seedEvent struct {
	at   time.Time
	seq  int
	what string
	do   func(context.Context) error
}

// usersAgo is when the users were created and the agencies set up, in working days ago.
const usersAgo = 45

// day returns the working day n working days before today.
func (s *seeder) day(n int) checks.Date { return s.cal.AddWorkdays(s.today, -n) }

// at returns a time of office hours (before the 15:00 request cut-off) n working days ago.
// minutes spreads the steps of different releases; later steps of one release are later.
func (s *seeder) at(n, minutes int) time.Time {
	d := s.day(n)
	t := time.Date(d.Year, d.Month, d.Day, 9, 5, 0, 0, checks.London()).Add(time.Duration(minutes) * time.Minute)
	if !t.Before(s.now) { // never in the future, whatever the time of day
		t = s.now.Add(-time.Minute)
	}
	return t
}

func (s *seeder) add(at time.Time, what string, do func(context.Context) error) {
	s.events = append(s.events, seedEvent{at: at, seq: len(s.events), what: what, do: do})
}

func (s *seeder) seed(ctx context.Context) error {
	if err := s.seedUsers(ctx); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(20240607, 42)) // the same people every time
	crns := map[string]bool{}
	for i, spec := range demoReleases() {
		s.planRelease(i, spec, rng, crns)
	}
	sort.SliceStable(s.events, func(i, j int) bool { return s.events[i].at.Before(s.events[j].at) })
	for _, e := range s.events {
		s.clock.set(e.at)
		if err := e.do(ctx); err != nil {
			return fmt.Errorf("%s (as of %s): %w", e.what, e.at.Format(time.RFC3339), err)
		}
	}
	return nil
}

// seedUsers creates the users and sets the agencies' mailboxes, writing each token as it
// comes so that none is lost if a later step fails.
func (s *seeder) seedUsers(ctx context.Context) error {
	s.clock.set(s.at(usersAgo, 0))
	fmt.Fprintf(s.tokens, "# safeguarding demo users and their bearer tokens, made by 'safeguarding seed --demo' on %s.\n", s.now.Format(time.RFC3339))
	fmt.Fprintln(s.tokens, "# Keep this file secret: each token acts as its user. Columns are separated by tabs; the token is the last.")
	fmt.Fprintln(s.tokens, "# KEY\tNAME\tROLE\tTEAMS/AGENCY\tEMAIL\tTOKEN")
	teamNames := map[string]string{}
	for _, t := range demoTeams {
		teamNames[t.code] = t.code + " (" + t.name + ")"
	}
	s.liaisons = map[string]checks.User{}
	actor := checks.System("seed --demo")
	for i, du := range demoUsers() {
		s.clock.set(s.at(usersAgo, i))
		u, secret, err := s.svc.CreateUser(ctx, actor, checks.UserInput{
			Name: du.name, Email: du.email, Role: string(du.role), Teams: du.teams, Agency: du.agency,
			Phone: demoPhone(du, i),
		})
		if err != nil {
			return fmt.Errorf("create user %s: %w", du.email, err)
		}
		if u.Role == checks.RoleAdmin {
			actor = u // the admin creates the others
		}
		where := "-"
		if len(u.Teams) > 0 {
			var names []string
			for _, t := range u.Teams {
				names = append(names, teamNames[t])
			}
			where = strings.Join(names, ", ")
		}
		if u.Agency != "" {
			where = u.Agency
			if ag, err := s.svc.Agency(ctx, u.Agency); err == nil {
				where += " (" + ag.Name + ")"
			}
			s.liaisons[u.Agency] = u
		}
		if _, err := fmt.Fprintf(s.tokens, "%s\t%s\t%s\t%s\t%s\t%s\n", du.key, u.Name, u.Role, where, u.Email, secret); err != nil {
			return fmt.Errorf("write the tokens file: %w", err)
		}
		s.users[du.key] = u
	}
	admin := s.users["admin"]
	for i, da := range demoAgencies {
		s.clock.set(s.at(usersAgo, 30+i))
		ag, err := s.svc.Agency(ctx, da.code)
		if err != nil {
			return fmt.Errorf("agency %s: %w", da.code, err)
		}
		// Mailboxes an admin already set are kept.
		var p checks.AgencyPatch
		if ag.ContactEmail == "" {
			p.ContactEmail = &da.contact
		}
		if ag.EscalationEmail == "" {
			p.EscalationEmail = &da.escalation
		}
		if p == (checks.AgencyPatch{}) {
			continue
		}
		if _, err := s.svc.UpdateAgency(ctx, admin, da.code, nil, p); err != nil {
			return fmt.Errorf("set the mailboxes of agency %s: %w", da.code, err)
		}
	}
	return nil
}

// seededRelease is a release of the demo as the steps build it.
type seededRelease struct {
	crn string
	com checks.User
	r   checks.Release
}

// checkID returns the id of the release's current check of type t.
func (x *seededRelease) checkID(t checks.CheckType) string {
	for _, slot := range x.r.Slots {
		if slot.Type == t && !slot.Superseded {
			return slot.CheckID
		}
	}
	return ""
}

func (s *seeder) keepRelease(x *seededRelease, r checks.Release) {
	x.r = r
	for _, c := range r.Checks {
		s.checks[c.ID] = c
	}
}

// planRelease adds the steps of release i to the history.
func (s *seeder) planRelease(i int, spec demoRelease, rng *rand.Rand, crns map[string]bool) {
	com := s.users[fmt.Sprintf("t%d-com%d", spec.team+1, i/2%3+1)]
	manager := s.users[fmt.Sprintf("t%d-manager", spec.team+1)]
	x := &seededRelease{com: com}
	for x.crn == "" || crns[x.crn] {
		x.crn = fmt.Sprintf("%c%06d", "DEFNX"[rng.IntN(5)], 100000+rng.IntN(900000))
	}
	crns[x.crn] = true
	noms := fmt.Sprintf("%c%04d%c%c", "AG"[rng.IntN(2)], 1000+rng.IntN(9000), 'A'+rune(rng.IntN(26)), 'A'+rune(rng.IntN(26)))
	name := demoFirstNames[i%len(demoFirstNames)] + " " + demoSurnames[(i*5+i/len(demoSurnames))%len(demoSurnames)]
	born := s.today.AddDays(-(19*365 + rng.IntN(40*365)))
	releaseOn := func(days int) checks.Date {
		d := s.today.AddDays(days)
		for !s.cal.IsWorkday(d) {
			d = d.AddDays(1)
		}
		return d
	}
	releaseDate := releaseOn(spec.days)
	firstDate := releaseDate
	if spec.redateAt > 0 {
		firstDate = releaseOn(spec.firstDays)
	}
	agencies := demoAreas[spec.area]
	minutes := i * 41 % 240
	label := fmt.Sprintf("release %d (%s)", i+1, x.crn)

	// The release is recorded a few working days before anything happens to it.
	first := max(spec.da.request, spec.cs.request, spec.da.notRequired, spec.cs.notRequired, spec.cancelAt, spec.moveAt, spec.redateAt)
	created := first + 2 + i%4
	if first == 0 {
		created = 1 + i%12
	}
	s.add(s.at(created, minutes), label+": record", func(ctx context.Context) error {
		r, err := s.svc.CreateRelease(ctx, com, checks.ReleaseInput{
			CRN: x.crn, NOMSNumber: noms, FullName: name, DateOfBirth: born.String(), ReleaseDate: firstDate.String(),
			PrisonCode: demoPrisons[i%len(demoPrisons)], PoliceForce: agencies[0], LocalAuthority: agencies[1],
			Address: demoAddress(spec.area, i), People: demoPeople(i, surnameOf(name), s.today),
		})
		if err == nil {
			s.releases++
			s.keepRelease(x, r)
		}
		return err
	})
	s.planChecks(i, x, label, minutes, com, manager, map[checks.CheckType]flow{
		checks.TypeDomesticAbuse: spec.da, checks.TypeChildSafeguarding: spec.cs,
	})
	if spec.redateAt > 0 {
		s.add(s.at(spec.redateAt, minutes+30), label+": change the release date", func(ctx context.Context) error {
			date := releaseDate.String()
			r, err := s.svc.UpdateRelease(ctx, com, x.r.ID, nil, checks.ReleasePatch{ReleaseDate: &date})
			if err == nil {
				s.keepRelease(x, r)
			}
			return err
		})
	}
	if spec.moveAt > 0 {
		to := demoAreas[spec.moveTo]
		s.add(s.at(spec.moveAt, minutes+30), label+": the address moves", func(ctx context.Context) error {
			r, err := s.svc.UpdateRelease(ctx, com, x.r.ID, nil, checks.ReleasePatch{PoliceForce: &to[0], LocalAuthority: &to[1],
				Address: demoAddress(spec.moveTo, i)})
			if err == nil {
				s.keepRelease(x, r)
			}
			return err
		})
		s.planChecks(i, x, label+" after the move", minutes+40, com, manager, map[checks.CheckType]flow{
			checks.TypeDomesticAbuse: spec.daNew, checks.TypeChildSafeguarding: spec.csNew,
		})
	}
	if spec.cancelAt > 0 {
		reason := spec.cancelReason
		s.add(s.at(spec.cancelAt, minutes+30), label+": cancel", func(ctx context.Context) error {
			r, err := s.svc.CancelRelease(ctx, com, x.r.ID, nil, reason)
			if err == nil {
				s.keepRelease(x, r)
			}
			return err
		})
	}
}

// planChecks adds the steps of the release's current checks.
func (s *seeder) planChecks(i int, x *seededRelease, label string, minutes int, com, manager checks.User, flows map[checks.CheckType]flow) {
	for k, t := range checks.CheckTypes() {
		f := flows[t]
		m := minutes + 3*k
		what := fmt.Sprintf("%s: %s check", label, t)
		keep := func(c checks.Check, err error) error {
			if err == nil {
				s.checks[c.ID] = c
			}
			return err
		}
		if f.notRequired > 0 {
			reason := demoNotRequired[i%len(demoNotRequired)]
			s.add(s.at(f.notRequired, m), what+": not required", func(ctx context.Context) error {
				return keep(s.svc.MarkNotRequired(ctx, com, x.checkID(t), nil, reason))
			})
		}
		if f.request > 0 {
			by := com
			if f.byManager {
				by = manager
			}
			note := demoRequestNotes[(i+k)%len(demoRequestNotes)]
			s.add(s.at(f.request, m), what+": request", func(ctx context.Context) error {
				return keep(s.svc.RequestCheck(ctx, by, x.checkID(t), nil, note))
			})
		}
		if f.note > 0 {
			s.add(s.at(f.note, m+60), what+": the agency asks for more time", func(ctx context.Context) error {
				return keep(s.svc.AddNote(ctx, s.liaisonFor(x, t), x.checkID(t), nil, demoMoreTime))
			})
		}
		if f.respond > 0 {
			texts := demoSummaries[t][f.outcome]
			summary := texts[i%len(texts)]
			outcome := f.outcome
			s.add(s.at(f.respond, m+90), what+": answer", func(ctx context.Context) error {
				return keep(s.svc.RespondToCheck(ctx, s.liaisonFor(x, t), x.checkID(t), nil,
					checks.ResponseInput{Outcome: string(outcome), Summary: summary}))
			})
		}
		if f.complete > 0 {
			note := demoCompletionNotes[(i+k)%len(demoCompletionNotes)]
			s.add(s.at(f.complete, m+120), what+": complete", func(ctx context.Context) error {
				return keep(s.svc.CompleteCheck(ctx, com, x.checkID(t), nil, note))
			})
		}
	}
}

// liaisonFor returns the liaison of the agency that answers the release's check of type t.
func (s *seeder) liaisonFor(x *seededRelease, t checks.CheckType) checks.User {
	return s.liaisons[x.r.Agency(t)]
}

// report says on w what the data set holds and what to do next.
func (s *seeder) report(w io.Writer, where, path string) {
	counts := map[checks.Status]int{}
	overdue, late, superseded := 0, 0, 0
	var first, last checks.Date
	for _, c := range s.checks {
		if first.IsZero() || c.ReleaseDate.Before(first) {
			first = c.ReleaseDate
		}
		if c.ReleaseDate.After(last) {
			last = c.ReleaseDate
		}
		counts[c.Status]++
		if c.Overdue(s.today) {
			overdue++
		}
		if c.Response != nil && checks.DateOf(c.Response.RespondedAt).After(c.DueDate) {
			late++
		}
		if c.Superseded() {
			superseded++
		}
	}
	var parts []string
	for _, st := range checks.Statuses() {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	fmt.Fprintf(w, "Demo data written to the %s:\n", where)
	fmt.Fprintf(w, "  %d users: an admin; teams %s (%s) and %s (%s), each with 3 COMs and a manager; a manager of both; liaisons of %d agencies (mailboxes set).\n",
		len(s.users), demoTeams[0].code, demoTeams[0].name, demoTeams[1].code, demoTeams[1].name, len(s.liaisons))
	fmt.Fprintf(w, "  %d releases from %s to %s, with %d checks: %s.\n", s.releases,
		first, last, len(s.checks), strings.Join(parts, ", "))
	fmt.Fprintf(w, "  %d checks are overdue today, %d were answered after their due date, %d were superseded when an address moved.\n", overdue, late, superseded)
	fmt.Fprintf(w, "Every user's bearer token is in %s (owner-only: keep it secret); its path is printed on standard output.\n", path)
	fmt.Fprintln(w, "Next: 'safeguarding escalate --dry-run' shows the escalations due today, 'safeguarding escalate' sends them, 'safeguarding serve' runs the API.")
}

// seedService is the service on the seeder's clock, issuing tokens of the configured lifetime.
func (a *app) seedService(clock checks.Clock) *checks.Service {
	svc := checks.NewService(a.store, clock, a.svc.Deadlines(), a.log)
	svc.SetTokenLifetime(a.cfg.TokenLifetime)
	return svc
}
