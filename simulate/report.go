package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/probation/safeguarding/checks"
)

// Report is a simulation's result: the parameters, and each run's figures.
type Report struct {
	Params Params      `json:"params"`
	Year   YearSummary `json:"year"`
	Runs   []RunResult `json:"runs"`
	// Target says whether the ladder reached the target under these assumptions.
	Target Target `json:"target"`
}

// YearSummary describes the generated year.
type YearSummary struct {
	Teams, COMs, Releases, Checks int
	Agencies                      []AgencyPlan
	LateRecorded                  int
	From, To                      checks.Date
}

// RunResult is one run's figures.
type RunResult struct {
	Mode  Mode         `json:"mode"`
	Types []TypeResult `json:"types"`
	// Emails is the burden, by kind of mailbox.
	Emails      []BurdenRow `json:"emails"`
	WorkingDays int         `json:"working_days"`
	Weeks       float64     `json:"weeks"`
	// Busiest is the most emails one mailbox received in one working day.
	Busiest int `json:"busiest_mailbox_day"`
	// Events counts the people's actions; Stale those the service refused because the check
	// had moved on.
	Events, Stale int
	// Wall time spent in the daily runs, the notice sweeps (Sweeps of them) and the people's
	// actions through the service.
	DailyRuns, NoticeSweeps, Actions string
	Sweeps                           int
	Where                            string `json:"where"`
	Wall                             string `json:"wall_time"`
}

// TypeResult is the inspection's measure for one check type.
type TypeResult struct {
	Type         checks.CheckType `json:"type"`
	Required     int              `json:"required"`
	Declined     int              `json:"declined"`
	RequestedPct float64          `json:"requested_before_release_pct"`
	AnsweredPct  float64          `json:"answered_before_release_pct"`
	CompletedPct float64          `json:"completed_before_release_pct"`
	// MedianDays is the median working days from recording the release to completing the
	// check, over the checks completed (before release or after).
	MedianDays float64 `json:"median_working_days_record_to_completion"`
	Completed  int     `json:"completed"`
	// OnTimePct and LatePct split CompletedPct between the releases recorded on time and
	// those recorded late (counted by the simulation, from what the COMs were answered).
	OnTimePct float64 `json:"completed_before_release_recorded_on_time_pct"`
	LatePct   float64 `json:"completed_before_release_recorded_late_pct"`
	// DaysBefore are the working days before release each check was completed (negative:
	// after), for the charts.
	DaysBefore []int `json:"-"`
}

// BurdenRow is the emails received by one kind of mailbox.
type BurdenRow struct {
	Kind       string  `json:"kind"`
	Mailboxes  int     `json:"mailboxes"`
	Emails     int     `json:"emails"`
	PerWeek    float64 `json:"per_mailbox_per_week"`
	PerDay     float64 `json:"per_mailbox_per_working_day"`
	MaxPerWeek float64 `json:"busiest_mailbox_per_week"`
	MaxDay     int     `json:"busiest_mailbox_day"`
}

// Target is the target and whether it was met.
type Target struct {
	CompletedPct float64 `json:"completed_before_release_pct"`
	// BurdenPerDay bounds every person's mailbox (COMs and managers): its average emails per
	// working day.
	BurdenPerDay float64 `json:"burden_per_person_mailbox_per_working_day"`
	Met          bool    `json:"met"`
	Why          string  `json:"why"`
}

// TargetCompleted and TargetBurden are the target: 95% completed before release, and
// a stated bound on the burden: no COM's or manager's mailbox gets more than two emails a
// working day on average (a daily digest and a notice; more than that is filtered unread).
const (
	TargetCompleted = 95.0
	TargetBurden    = 2.0
)

var mailboxKinds = []string{"com", "manager", "agency_contact", "agency_escalation"}

// result reads the service's own completion report and counts the emails.
func (r *runner) result(ctx context.Context) (RunResult, error) {
	res := RunResult{Mode: r.mode, WorkingDays: len(r.days), Weeks: float64(len(r.days)) / 5, Events: r.events, Stale: r.errs,
		DailyRuns: r.inDaily.Round(time.Millisecond).String(), NoticeSweeps: r.inSweeps.Round(time.Millisecond).String(),
		Actions: r.inActions.Round(time.Millisecond).String(), Sweeps: r.sweeps}
	// The inspection's measure, as the service computes it for managers.
	rep, err := r.svc.Completion(ctx, r.admin, checks.ReportScope{From: r.p.Start.String(), To: r.y.End.String()})
	if err != nil {
		return res, fmt.Errorf("the completion report: %w", err)
	}
	for ti, f := range rep.Types {
		tr := TypeResult{Type: f.Type, Required: f.Required, Declined: f.Declined}
		pct := func(p *float64) float64 {
			if p == nil {
				return 0
			}
			return *p
		}
		tr.RequestedPct, tr.AnsweredPct, tr.CompletedPct = pct(f.RequestedPct), pct(f.RespondedPct), pct(f.CompletedPct)
		var days []float64
		var n, done [2]int // by recorded late
		for _, h := range r.checks {
			if h.typ != ti {
				continue
			}
			late := 0
			if r.y.Releases[h.rel].Late {
				late = 1
			}
			n[late]++
			if h.completedAt.IsZero() {
				continue
			}
			if h.completedAt.Before(h.releaseOn.Start()) && r.y.Releases[h.rel].Checks[h.typ].Outcome != checks.OutcomeDeclined {
				done[late]++
			}
			tr.Completed++
			days = append(days, float64(r.workdays(checks.DateOf(h.recorded), checks.DateOf(h.completedAt))))
			tr.DaysBefore = append(tr.DaysBefore, r.workdays(checks.DateOf(h.completedAt), h.releaseOn))
		}
		tr.MedianDays = median(days)
		share := func(k int) float64 {
			if n[k] == 0 {
				return 0
			}
			return math.Round(float64(done[k])*1000/float64(n[k])) / 10
		}
		tr.OnTimePct, tr.LatePct = share(0), share(1)
		res.Types = append(res.Types, tr)
	}
	// The burden: every email each mailbox got, by working day.
	perBox := map[string]int{}
	perBoxDay := map[string]map[checks.Date]int{}
	r.mails = append(r.mails, r.mail.Take()...)
	for _, m := range r.mails {
		perBox[m.To]++
		d := checks.DateOf(m.At)
		if perBoxDay[m.To] == nil {
			perBoxDay[m.To] = map[checks.Date]int{}
		}
		perBoxDay[m.To][d]++
		res.Busiest = max(res.Busiest, perBoxDay[m.To][d])
	}
	for _, kind := range mailboxKinds {
		row := BurdenRow{Kind: kind}
		for addr, mb := range r.mailboxes {
			if mb.Kind != kind {
				continue
			}
			row.Mailboxes++
			n := perBox[addr]
			row.Emails += n
			row.MaxPerWeek = max(row.MaxPerWeek, float64(n)/res.Weeks)
			for _, c := range perBoxDay[addr] {
				row.MaxDay = max(row.MaxDay, c)
			}
		}
		if row.Mailboxes > 0 {
			row.PerWeek = float64(row.Emails) / float64(row.Mailboxes) / res.Weeks
			row.PerDay = row.PerWeek / 5
		}
		row.PerWeek, row.PerDay, row.MaxPerWeek = round2(row.PerWeek), round2(row.PerDay), round2(row.MaxPerWeek)
		res.Emails = append(res.Emails, row)
	}
	if bad := r.mail.Unreadable(); bad > 0 {
		return res, fmt.Errorf("%d emails could not be read by the simulated people", bad)
	}
	return res, nil
}

// workdays counts working days from a to b (negative when b is before a).
func (r *runner) workdays(a, b checks.Date) int {
	if b.Before(a) {
		return -r.sys.Calendar.WorkdaysBetween(b, a)
	}
	return r.sys.Calendar.WorkdaysBetween(a, b)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// summarise describes the year and judges the target.
func (rep *Report) summarise(y *Year) {
	p := y.Params
	rep.Year = YearSummary{Teams: len(y.Teams), COMs: len(y.Teams) * p.COMsPerTeam, Releases: len(y.Releases),
		Checks: len(y.Releases) * len(checks.CheckTypes()), Agencies: y.Agencies, From: p.Start, To: y.End}
	for _, r := range y.Releases {
		if r.Late {
			rep.Year.LateRecorded++
		}
	}
	t := Target{CompletedPct: TargetCompleted, BurdenPerDay: TargetBurden, Met: true}
	var why []string
	ladder := rep.Run(ModeLadder)
	for _, tr := range ladder.Types {
		if tr.CompletedPct < TargetCompleted {
			t.Met = false
			why = append(why, fmt.Sprintf("%s checks completed before release: %.1f%%, below %.0f%%", tr.Type, tr.CompletedPct, TargetCompleted))
		}
	}
	for _, b := range ladder.Emails {
		if (b.Kind == "com" || b.Kind == "manager") && b.MaxPerWeek/5 > TargetBurden {
			t.Met = false
			why = append(why, fmt.Sprintf("the busiest %s mailbox averages %.2f emails a working day, above %.0f", b.Kind, b.MaxPerWeek/5, TargetBurden))
		}
	}
	if t.Met {
		t.Why = "every check type above the completion target, and no COM's or manager's mailbox above the burden bound"
	} else {
		t.Why = strings.Join(why, "; ")
	}
	rep.Target = t
}

// Run returns the run of the mode.
func (rep *Report) Run(m Mode) RunResult {
	for _, r := range rep.Runs {
		if r.Mode == m {
			return r
		}
	}
	return RunResult{}
}

// WriteTable writes the figures as a table.
func (rep *Report) WriteTable(w io.Writer) error {
	y := rep.Year
	fmt.Fprintf(w, "Simulated year %s to %s: %d teams, %d COMs, %d releases (%d recorded late), %d checks, %d agencies; seed %d.\n",
		y.From, y.To, y.Teams, y.COMs, y.Releases, y.LateRecorded, y.Checks, len(y.Agencies), rep.Params.Seed)
	fmt.Fprintln(w, "These are simulations under stated assumptions (the flags), not measurements.")
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tcheck\trequired\trequested before release\tanswered before release\tcompleted before release\t(recorded on time / late)\tmedian working days record→completion\t")
	for _, run := range rep.Runs {
		for _, t := range run.Types {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f%%\t%.1f%%\t%.1f%%\t%.1f%% / %.1f%%\t%.1f\t\n", run.Mode, t.Type, t.Required, t.RequestedPct, t.AnsweredPct, t.CompletedPct, t.OnTimePct, t.LatePct, t.MedianDays)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "run\tmailbox\tmailboxes\temails\tper mailbox per week\tper mailbox per working day\tbusiest mailbox per week\tbusiest mailbox-day\t")
	for _, run := range rep.Runs {
		for _, b := range run.Emails {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f\t%.2f\t%.2f\t%d\t\n", run.Mode, b.Kind, b.Mailboxes, b.Emails, b.PerWeek, b.PerDay, b.MaxPerWeek, b.MaxDay)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	verdict := "NOT MET"
	if rep.Target.Met {
		verdict = "met"
	}
	_, err := fmt.Fprintf(w, "Target (≥%.0f%% of required checks completed before release with the ladder; no COM's or manager's mailbox above %.0f emails a working day on average): %s — %s.\n",
		rep.Target.CompletedPct, rep.Target.BurdenPerDay, verdict, rep.Target.Why)
	return err
}

// WriteDir writes report.json and the charts into dir.
func (rep *Report) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return rep.charts(dir)
}
