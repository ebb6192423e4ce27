package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/probation/safeguarding/checks"
)

// never is a delay that does not end: the person acts only when chased.
const never = math.MaxInt32

// Year is the generated year: who works where, which releases are recorded when, and the
// delays each person would take unchased. Both runs of a simulation replay the same Year.
type Year struct {
	Params   Params
	Teams    []Team
	Agencies []AgencyPlan
	Releases []PlannedRelease
	// End is the last day simulated: after the last release, so that its rungs are seen.
	End checks.Date
}

// Team is a probation team: its code, its COMs and its manager (by index into people).
type Team struct {
	Code string
	COMs int
}

// AgencyPlan is an agency of the region and how it answers.
type AgencyPlan struct {
	Code      string
	Kind      checks.AgencyKind
	Median    float64 // working days, unchased
	Slow      bool
	ChaseOnly bool
}

// PlannedRelease is one release of the year.
type PlannedRelease struct {
	CRN        string
	NOMS       string
	Team, COM  int // team index, COM index within the team
	Police, LA string
	RecordOn   checks.Date
	ReleaseOn  checks.Date
	Late       bool
	// Checks by type, in checks.CheckTypes() order.
	Checks []PlannedCheck
}

// PlannedCheck is what the people would do about one check, unchased, in working days.
type PlannedCheck struct {
	RequestDelay  int // from recording to requesting
	AnswerDelay   int // from the agency reading the request to answering (never: only when chased)
	CompleteDelay int // from the COM reading the answer to completing
	Outcome       checks.Outcome
}

// lognormal draws a log-normal delay with the given median and spread, in whole days.
func lognormal(rng *rand.Rand, median, sigma float64) int {
	v := median * math.Exp(sigma*rng.NormFloat64())
	return int(math.Round(min(v, 10000)))
}

// Generate makes the year from the parameters, on the calendar, choosing the region's
// agencies among police and las (agency codes of each kind, in the directory's order).
func Generate(p Params, cal *checks.Calendar, police, las []string) (*Year, error) {
	if len(police) < p.PoliceForces || len(las) < p.LocalAuthorities {
		return nil, fmt.Errorf("the directory has %d police forces and %d local authorities; the region needs %d and %d",
			len(police), len(las), p.PoliceForces, p.LocalAuthorities)
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0x5eed))
	y := &Year{Params: p}
	for i := range p.Teams {
		y.Teams = append(y.Teams, Team{Code: fmt.Sprintf("SIM-T%02d", i+1), COMs: p.COMsPerTeam})
	}
	pick := func(codes []string, n int) []string {
		c := slices.Clone(codes)
		rng.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
		c = c[:n]
		slices.Sort(c)
		return c
	}
	forces, authorities := pick(police, p.PoliceForces), pick(las, p.LocalAuthorities)
	addAgency := func(code string, kind checks.AgencyKind, median float64) {
		a := AgencyPlan{Code: code, Kind: kind, Median: median * math.Exp(p.AgencySpread*rng.NormFloat64())}
		if rng.Float64() < p.SlowShare {
			a.Slow, a.Median = true, a.Median*p.SlowFactor
		}
		y.Agencies = append(y.Agencies, a)
	}
	for _, c := range forces {
		addAgency(c, checks.KindPolice, p.PoliceDelayMedian)
	}
	for _, c := range authorities {
		addAgency(c, checks.KindChildrensServices, p.CSDelayMedian)
	}
	// The chase-only agencies: local authorities from the last, then forces.
	for i, n := len(y.Agencies)-1, p.ChaseOnlyAgencies; i >= 0 && n > 0; i, n = i-1, n-1 {
		y.Agencies[i].ChaseOnly, y.Agencies[i].Slow = true, false
	}
	// Each force covers about as many local authorities as the others; each release's address
	// is in one local authority, and so in its force.
	forceOf := func(la int) string { return forces[la*len(forces)/len(authorities)] }
	agency := map[string]AgencyPlan{}
	for _, a := range y.Agencies {
		agency[a.Code] = a
	}

	var workdays []checks.Date
	for d := p.Start; d.Before(p.Start.AddDays(7 * p.Weeks)); d = d.AddDays(1) {
		if cal.IsWorkday(d) {
			workdays = append(workdays, d)
		}
	}
	n := int(math.Round(float64(p.Teams*p.COMsPerTeam) * p.ReleasesPerCOM * float64(p.Weeks) / 52))
	crns := map[string]bool{}
	for range n {
		r := PlannedRelease{Team: rng.IntN(p.Teams)}
		r.COM = rng.IntN(p.COMsPerTeam)
		for r.CRN == "" || crns[r.CRN] {
			r.CRN = fmt.Sprintf("%c%06d", "DEFNX"[rng.IntN(5)], rng.IntN(1000000))
		}
		crns[r.CRN] = true
		r.NOMS = fmt.Sprintf("%c%04d%c%c", "AG"[rng.IntN(2)], 1000+rng.IntN(9000), 'A'+rune(rng.IntN(26)), 'A'+rune(rng.IntN(26)))
		la := rng.IntN(len(authorities))
		r.LA, r.Police = authorities[la], forceOf(la)
		r.RecordOn = workdays[rng.IntN(len(workdays))]
		lead := p.LeadMin + rng.IntN(p.LeadMax-p.LeadMin+1)
		if rng.Float64() < p.LateShare {
			r.Late = true
			lead = p.LateLeadMin + rng.IntN(p.LateLeadMax-p.LateLeadMin+1)
		}
		r.ReleaseOn = cal.AddWorkdays(r.RecordOn, lead)
		for _, t := range checks.CheckTypes() {
			code := r.Police
			if t.Info().AgencyKind == checks.KindChildrensServices {
				code = r.LA
			}
			a := agency[code]
			c := PlannedCheck{
				RequestDelay:  lognormal(rng, p.COMDelayMedian, p.COMDelaySigma),
				AnswerDelay:   max(1, lognormal(rng, a.Median, p.AnswerSigma)),
				CompleteDelay: lognormal(rng, p.CompleteDelayMedian, p.CompleteDelaySigma),
				Outcome:       checks.OutcomeNoInformation,
			}
			if a.ChaseOnly {
				c.AnswerDelay = never
			}
			switch u := rng.Float64(); {
			case u < p.DeclinedShare:
				c.Outcome = checks.OutcomeDeclined
			case u < p.DeclinedShare+0.35:
				// About a third of checks find something recorded.
				c.Outcome = checks.OutcomeInformationHeld
			}
			r.Checks = append(r.Checks, c)
		}
		if r.ReleaseOn.After(y.End) {
			y.End = r.ReleaseOn
		}
		y.Releases = append(y.Releases, r)
	}
	slices.SortStableFunc(y.Releases, func(a, b PlannedRelease) int {
		switch {
		case a.RecordOn.Before(b.RecordOn):
			return -1
		case b.RecordOn.Before(a.RecordOn):
			return 1
		}
		return 0
	})
	// A week past the last release: its released_incomplete rung is seen.
	y.End = cal.AddWorkdays(y.End, 5)
	return y, nil
}

// chance is a uniform number in [0, 1) fixed by the seed and the keys: the same person's
// draw for the same check on the same day is the same in both runs (common random numbers),
// so the runs differ by what the emails change, not by luck.
func chance(seed uint64, keys ...uint64) float64 {
	h := seed ^ 0x9e3779b97f4a7c15
	for _, k := range keys {
		h ^= k + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h = splitmix(h)
	}
	return float64(h>>11) / (1 << 53)
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
