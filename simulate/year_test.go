package simulate

import (
	"reflect"
	"testing"

	"github.com/probation/safeguarding/checks"
)

func testYear(t *testing.T, p Params) *Year {
	t.Helper()
	police := []string{"E23000001", "E23000002", "E23000003"}
	las := []string{"E06000001", "E06000002", "E06000003", "E06000004", "E06000005", "E06000006", "E06000007"}
	y, err := Generate(p, checks.NewCalendar(nil), police, las)
	if err != nil {
		t.Fatal(err)
	}
	return y
}

func teamParams() Params {
	p := DefaultParams()
	p.Teams = 2
	return p
}

func TestGenerateMakesTheSameYearFromTheSameSeedAndAnotherFromAnother(t *testing.T) {
	p := teamParams()
	a, b := testYear(t, p), testYear(t, p)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave two different years")
	}
	p.Seed++
	if c := testYear(t, p); reflect.DeepEqual(a.Releases, c.Releases) {
		t.Fatal("another seed gave the same year")
	}
}

func TestGenerateKeepsEveryReleaseWithinTheStatedAssumptions(t *testing.T) {
	p := teamParams()
	y := testYear(t, p)
	cal := checks.NewCalendar(nil)
	want := int(float64(p.Teams*p.COMsPerTeam) * p.ReleasesPerCOM)
	if len(y.Releases) != want {
		t.Errorf("%d releases, want %d", len(y.Releases), want)
	}
	late, chaseOnly := 0, map[string]bool{}
	for _, a := range y.Agencies {
		if a.ChaseOnly {
			chaseOnly[a.Code] = true
		}
	}
	if len(chaseOnly) != p.ChaseOnlyAgencies {
		t.Errorf("%d chase-only agencies, want %d", len(chaseOnly), p.ChaseOnlyAgencies)
	}
	crns := map[string]bool{}
	for _, r := range y.Releases {
		lead := cal.WorkdaysBetween(r.RecordOn, r.ReleaseOn)
		lo, hi := p.LeadMin, p.LeadMax
		if r.Late {
			late++
			lo, hi = p.LateLeadMin, p.LateLeadMax
		}
		if lead < lo || lead > hi {
			t.Errorf("release %s: lead %d working days, want %d to %d", r.CRN, lead, lo, hi)
		}
		if r.RecordOn.Before(p.Start) || !r.RecordOn.Before(p.Start.AddDays(7*p.Weeks)) || !cal.IsWorkday(r.RecordOn) {
			t.Errorf("release %s recorded on %s, outside the year's working days", r.CRN, r.RecordOn)
		}
		if crns[r.CRN] {
			t.Errorf("CRN %s twice", r.CRN)
		}
		crns[r.CRN] = true
		if _, ok := checks.ParseCRN(r.CRN); !ok {
			t.Errorf("CRN %q is not a CRN", r.CRN)
		}
		if r.ReleaseOn.After(y.End) {
			t.Errorf("release %s on %s, after the end %s", r.CRN, r.ReleaseOn, y.End)
		}
		for ti, c := range r.Checks {
			agency := r.Police
			if ti == 1 {
				agency = r.LA
			}
			if (c.AnswerDelay == never) != chaseOnly[agency] {
				t.Errorf("release %s check %d: answer delay %d from agency %s (chase-only %v)", r.CRN, ti, c.AnswerDelay, agency, chaseOnly[agency])
			}
		}
	}
	// The late share is a proportion: about LateShare of the releases, not exactly.
	if share := float64(late) / float64(len(y.Releases)); share < p.LateShare/2 || share > p.LateShare*1.5 {
		t.Errorf("%.2f recorded late, want about %.2f", share, p.LateShare)
	}
}

func TestChanceIsTheSameDrawForTheSameKeysAndUniformOverMany(t *testing.T) {
	if chance(1, 2, 3) != chance(1, 2, 3) {
		t.Fatal("the same keys gave two draws")
	}
	if chance(1, 2, 3) == chance(1, 3, 2) {
		t.Fatal("the keys' order made no difference")
	}
	below := 0
	for i := range 10000 {
		u := chance(9, uint64(i))
		if u < 0 || u >= 1 {
			t.Fatalf("draw %v outside [0, 1)", u)
		}
		if u < 0.3 {
			below++
		}
	}
	if below < 2700 || below > 3300 {
		t.Errorf("%d of 10000 draws below 0.3, want about 3000", below)
	}
}
