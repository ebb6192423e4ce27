// Package simulate runs a probation region's year through the real service: the checks
// service and store, the escalation ladder, the notice sweeps, the outbox and the sender, on
// a clock that moves day by day, with the emails delivered to a real SMTP server in process.
// Simulated COMs, managers and agency liaisons act through the service and read the emails
// they receive; their state stays here, outside the service. Each run is done twice on the
// same generated year: with the ladder, and with escalation off (notices only).
//
// These are simulations under stated assumptions: every assumption is a parameter, with its
// default and the reason for it (see Params and RegisterFlags).
package simulate

import (
	"flag"
	"fmt"
	"time"

	"github.com/probation/safeguarding/checks"
)

// Params are every assumption of a run. The defaults, and why each was chosen, are in
// RegisterFlags.
type Params struct {
	Seed uint64
	// Start is the first day of the simulated year; Weeks is how long releases are
	// recorded for. The run goes on until the last of them is released.
	Start checks.Date
	Weeks int

	// Region shape.
	Teams            int
	COMsPerTeam      int
	ReleasesPerCOM   float64 // releases recorded per COM per year
	PoliceForces     int
	LocalAuthorities int

	// Lead time from recording the release to the release date, in working days.
	LeadMin, LeadMax         int
	LateShare                float64 // share of releases recorded late
	LateLeadMin, LateLeadMax int

	// COM's delay from recording to requesting, in working days: log-normal.
	COMDelayMedian, COMDelaySigma float64
	// COM's delay from reading an answer to completing the check, in working days.
	CompleteDelayMedian, CompleteDelaySigma float64

	// Agencies' answer delay from reading a request, in working days. Each agency has its
	// own median, drawn around the kind's median; each answer varies around its agency's.
	PoliceDelayMedian, CSDelayMedian float64
	AgencySpread                     float64 // sigma of the agencies' medians (log scale)
	AnswerSigma                      float64 // sigma of one answer around its agency's median
	SlowShare, SlowFactor            float64
	ChaseOnlyAgencies                int // agencies that answer only when chased
	DeclinedShare                    float64

	// Response to chasing: the chance that the person who holds the check acts on the day an
	// email names it; an email to a manager reaches them with ManagerRelay of that chance.
	COMChase, AgencyChase, ManagerRelay float64

	// NoticeEvery is how often the notice sweep runs in the simulated office day.
	NoticeEvery time.Duration
}

// Engine-dependent defaults of the region's size: on the real engine a probation delivery
// unit's year (8 teams, about 770 releases: a sixth of a region, so that a run takes
// minutes, not hours; --teams 48 --police-forces 5 --local-authorities 24 is a whole
// region); one team on the embedded database, which scans every document on every write
// (see the README).
const (
	RegionTeams = 8
	TeamTeams   = 1
)

// DefaultParams are the documented defaults (Teams is 0: the caller picks by engine).
func DefaultParams() Params {
	return Params{
		Seed: 1, Start: checks.MustDate("2025-04-07"), Weeks: 52,
		Teams: 0, COMsPerTeam: 8, ReleasesPerCOM: 12, PoliceForces: 2, LocalAuthorities: 6,
		LeadMin: 35, LeadMax: 130, LateShare: 0.2, LateLeadMin: 5, LateLeadMax: 30,
		COMDelayMedian: 25, COMDelaySigma: 1.0,
		CompleteDelayMedian: 3, CompleteDelaySigma: 0.8,
		PoliceDelayMedian: 14, CSDelayMedian: 9, AgencySpread: 0.35, AnswerSigma: 0.8,
		SlowShare: 0.2, SlowFactor: 2.5, ChaseOnlyAgencies: 1, DeclinedShare: 0.02,
		COMChase: 0.5, AgencyChase: 0.35, ManagerRelay: 0.5,
		NoticeEvery: 30 * time.Minute,
	}
}

// dateFlag is a flag.Value for a checks.Date.
type dateFlag struct{ d *checks.Date }

func (f dateFlag) String() string {
	if f.d == nil {
		return ""
	}
	return f.d.String()
}

func (f dateFlag) Set(s string) error {
	d, err := checks.ParseDate(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

// RegisterFlags defines a flag for every parameter on fs, with p's values as defaults. Each
// flag's text gives the reason for its default.
func RegisterFlags(fs *flag.FlagSet, p *Params) {
	fs.Uint64Var(&p.Seed, "seed", p.Seed, "seed of the generated year and of every draw: the same seed gives the same run")
	fs.Var(dateFlag{&p.Start}, "start", "first day of the simulated year (YYYY-MM-DD); the default starts a financial year, so the year's bank holidays are all in it")
	fs.IntVar(&p.Weeks, "weeks", p.Weeks, "weeks over which releases are recorded; the run goes on until the last of them is released")
	fs.IntVar(&p.Teams, "teams", p.Teams, fmt.Sprintf("probation teams (0: %d on the real engine, a delivery unit; %d on the embedded one, which scans on every write)", RegionTeams, TeamTeams))
	fs.IntVar(&p.COMsPerTeam, "coms-per-team", p.COMsPerTeam, "COMs in each team, each with a manager per team: a typical community team")
	fs.Float64Var(&p.ReleasesPerCOM, "releases-per-com", p.ReleasesPerCOM, "releases from custody recorded per COM per year: about one a month, a community caseload's share of custody cases")
	fs.IntVar(&p.PoliceForces, "police-forces", p.PoliceForces, "police forces in the area: a delivery unit's area is in one or two forces (a region's, four to six)")
	fs.IntVar(&p.LocalAuthorities, "local-authorities", p.LocalAuthorities, "local authorities (children's services) in the area: about three per force for a delivery unit (a region's, about five)")
	fs.IntVar(&p.LeadMin, "lead-min", p.LeadMin, "fewest working days from recording a release to the release date, when recorded on time: about the 30-working-day request-by window plus a week")
	fs.IntVar(&p.LeadMax, "lead-max", p.LeadMax, "most working days from recording to release, when recorded on time: about six months, the handover to the community COM")
	fs.Float64Var(&p.LateShare, "late-share", p.LateShare, "share of releases recorded late (parole and home detention curfew decisions, late allocation, late recording)")
	fs.IntVar(&p.LateLeadMin, "late-lead-min", p.LateLeadMin, "fewest working days from recording to release when recorded late: a week")
	fs.IntVar(&p.LateLeadMax, "late-lead-max", p.LateLeadMax, "most working days from recording to release when recorded late: inside the request-by window")
	fs.Float64Var(&p.COMDelayMedian, "com-delay", p.COMDelayMedian, "median working days from recording a release to requesting its checks, unchased (log-normal): COMs' caseloads push pre-release work back; with the spread and lead times here, unchased, 45% of checks miss their request-by date (a third of those recorded on time) and a quarter are not requested before release: the inspection found about half the checks not done")
	fs.Float64Var(&p.COMDelaySigma, "com-delay-sigma", p.COMDelaySigma, "spread (sigma of the log) of the COM's request delay: a long tail of cases left until late")
	fs.Float64Var(&p.CompleteDelayMedian, "complete-delay", p.CompleteDelayMedian, "median working days from reading an answer to completing the check: reading it and noting what it changes is a short task")
	fs.Float64Var(&p.CompleteDelaySigma, "complete-delay-sigma", p.CompleteDelaySigma, "spread of the completion delay")
	fs.Float64Var(&p.PoliceDelayMedian, "police-delay", p.PoliceDelayMedian, "median working days for a police force to answer, unchased: the inspection found long police delays, and DA checks done less often than child safeguarding ones")
	fs.Float64Var(&p.CSDelayMedian, "cs-delay", p.CSDelayMedian, "median working days for children's services to answer, unchased: near the 10-day due date")
	fs.Float64Var(&p.AgencySpread, "agency-spread", p.AgencySpread, "spread (sigma of the log) of the agencies' own medians around their kind's: agencies differ in staffing")
	fs.Float64Var(&p.AnswerSigma, "answer-sigma", p.AnswerSigma, "spread of one answer's delay around its agency's median: a long tail of requests lost in a queue")
	fs.Float64Var(&p.SlowShare, "slow-share", p.SlowShare, "share of agencies that are slow (backlogged)")
	fs.Float64Var(&p.SlowFactor, "slow-factor", p.SlowFactor, "how many times longer a slow agency takes")
	fs.IntVar(&p.ChaseOnlyAgencies, "chase-only", p.ChaseOnlyAgencies, "agencies (local authorities, the last ones first) that answer only when chased: one, as the issue asks; a local authority, since with two forces a chase-only force would be half of all DA checks")
	fs.Float64Var(&p.DeclinedShare, "declined-share", p.DeclinedShare, "share of answers that decline (counted apart, never as done): a few requests lack what the agency needs")
	fs.Float64Var(&p.COMChase, "com-chase", p.COMChase, "chance a COM acts on a check the day an email names it (a reminder, an overdue notice, release imminent): an email is a prompt, not a command")
	fs.Float64Var(&p.AgencyChase, "agency-chase", p.AgencyChase, "chance an agency's team answers the day an email chases a request: lower than a COM's, since the work queue is shared")
	fs.DurationVar(&p.NoticeEvery, "notice-every", p.NoticeEvery, "how often the notice sweep runs in the simulated day. Production sweeps every 20s (SAFEGUARDING_NOTICE_INTERVAL), so that nearly every request or answer is its own email; 30m merges those minutes apart into one digest, which changes nobody's day (people read their mail each morning) but undercounts the agency mailboxes' notices: their email counts are a lower bound. 20s matches production at several times the run time")
	fs.Float64Var(&p.ManagerRelay, "manager-relay", p.ManagerRelay, "share of the holder's chance that an email to a manager (the team's or the agency's) passes on: managers chase some, not all")
}

// Validate reports the first parameter out of its range.
func (p Params) Validate() error {
	share := func(name string, v float64) error {
		if v < 0 || v > 1 {
			return fmt.Errorf("--%s must be between 0 and 1, got %g", name, v)
		}
		return nil
	}
	for _, s := range []struct {
		name string
		v    float64
	}{{"late-share", p.LateShare}, {"slow-share", p.SlowShare}, {"declined-share", p.DeclinedShare},
		{"com-chase", p.COMChase}, {"agency-chase", p.AgencyChase}, {"manager-relay", p.ManagerRelay}} {
		if err := share(s.name, s.v); err != nil {
			return err
		}
	}
	switch {
	case p.Start.IsZero():
		return fmt.Errorf("--start is required")
	case p.Weeks < 1 || p.Weeks > 104:
		return fmt.Errorf("--weeks must be 1 to 104, got %d", p.Weeks)
	case p.Teams < 1 || p.COMsPerTeam < 1:
		return fmt.Errorf("--teams and --coms-per-team must be at least 1")
	case p.ReleasesPerCOM <= 0:
		return fmt.Errorf("--releases-per-com must be above 0")
	case p.PoliceForces < 1 || p.LocalAuthorities < 1:
		return fmt.Errorf("--police-forces and --local-authorities must be at least 1")
	case p.LeadMin < 1 || p.LeadMax < p.LeadMin || p.LateLeadMin < 1 || p.LateLeadMax < p.LateLeadMin:
		return fmt.Errorf("lead times must be at least 1 and each max at least its min")
	case p.COMDelayMedian <= 0 || p.CompleteDelayMedian <= 0 || p.PoliceDelayMedian <= 0 || p.CSDelayMedian <= 0:
		return fmt.Errorf("delay medians must be above 0")
	case p.COMDelaySigma < 0 || p.CompleteDelaySigma < 0 || p.AgencySpread < 0 || p.AnswerSigma < 0:
		return fmt.Errorf("spreads must not be negative")
	case p.NoticeEvery < time.Second || p.NoticeEvery > 8*time.Hour:
		return fmt.Errorf("--notice-every must be between 1s and 8h")
	case p.SlowFactor < 1:
		return fmt.Errorf("--slow-factor must be at least 1")
	case p.ChaseOnlyAgencies < 0 || p.ChaseOnlyAgencies > p.PoliceForces+p.LocalAuthorities:
		return fmt.Errorf("--chase-only must be between 0 and the number of agencies")
	}
	return nil
}
