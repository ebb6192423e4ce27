package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/simulate"
)

// shortYear is a few simulated weeks of one small team: releases recorded over three weeks,
// each released six to eight weeks later, one agency of three answering only when chased,
// and no declined answers (so that the baseline sends probation's managers nothing).
var shortYear = []string{"--weeks", "3", "--teams", "1", "--coms-per-team", "3", "--releases-per-com", "60",
	"--lead-min", "32", "--lead-max", "40", "--late-share", "0.2", "--late-lead-min", "8", "--late-lead-max", "20",
	"--police-forces", "1", "--local-authorities", "2", "--chase-only", "1", "--declined-share", "0", "--seed", "7"}

// runSimulation runs the command with args on the test's engine and returns its report.
func runSimulation(t testing.TB, args ...string) (simulate.Report, string) {
	t.Helper()
	env := map[string]string{"SAFEGUARDING_DATA_DIR": t.TempDir()}
	if testenv.RealEngine() {
		db := testenv.DatabaseName(t)
		env["MONGODB_URI"], env["MONGODB_DATABASE"] = testenv.URI(), db
		t.Cleanup(func() {
			for _, m := range []simulate.Mode{simulate.ModeLadder, simulate.ModeBaseline} {
				_ = testenv.Client().Database(fmt.Sprintf("%s-sim-7-%s", db, m)).Drop(context.Background())
			}
		})
	}
	out := filepath.Join(t.TempDir(), "out")
	var stdout, stderr strings.Builder
	err := run(context.Background(), append(append([]string{"simulate", "--out", out}, shortYear...), args...),
		func(k string) string { return env[k] }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("simulate: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep simulate.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	for _, chart := range []string{"completion.svg", "burden.svg", "timing.svg"} {
		svg, err := os.ReadFile(filepath.Join(out, chart))
		if err != nil || !strings.Contains(string(svg), "<svg") {
			t.Errorf("%s is not an SVG chart (%v)", chart, err)
		}
	}
	return rep, stdout.String()
}

func TestSimulateRunsWeeksOfATeamThroughTheServiceAndTheLadderDoesNoWorseThanTheBaseline(t *testing.T) {
	rep, table := runSimulation(t)
	ladder, baseline := rep.Run(simulate.ModeLadder), rep.Run(simulate.ModeBaseline)
	if len(ladder.Types) != 2 || len(baseline.Types) != 2 {
		t.Fatalf("runs: %+v", rep.Runs)
	}
	if rep.Year.Releases == 0 {
		t.Fatal("the year has no releases")
	}
	var ladderDone, baselineDone int
	for i, l := range ladder.Types {
		b := baseline.Types[i]
		t.Run(string(l.Type), func(t *testing.T) {
			// The same year in both runs: the same checks are required.
			if l.Required != rep.Year.Releases || b.Required != l.Required {
				t.Errorf("required: ladder %d, baseline %d, releases %d", l.Required, b.Required, rep.Year.Releases)
			}
			// A chasing email only ever brings an action forward, and the draws are shared:
			// the ladder cannot do worse than the baseline on any measure.
			if l.RequestedPct < b.RequestedPct || l.AnsweredPct < b.AnsweredPct || l.CompletedPct < b.CompletedPct {
				t.Errorf("the ladder did worse than the baseline: %+v against %+v", l, b)
			}
			if l.CompletedPct > l.AnsweredPct || l.AnsweredPct > l.RequestedPct {
				t.Errorf("a check completed before release must have been answered and requested before it: %+v", l)
			}
		})
		ladderDone += l.Completed
		baselineDone += b.Completed
	}
	// On this seed the chase-only agency answers only in the ladder's run.
	if ladderDone <= baselineDone {
		t.Errorf("completed checks: ladder %d, baseline %d; want the ladder ahead", ladderDone, baselineDone)
	}
	emails := func(run simulate.RunResult, kind string) int {
		for _, b := range run.Emails {
			if b.Kind == kind {
				return b.Emails
			}
		}
		t.Fatalf("no %s row in %+v", kind, run.Emails)
		return 0
	}
	// Without escalation, managers hear nothing; with it they do. Both runs notify agencies.
	if n := emails(baseline, "manager"); n != 0 {
		t.Errorf("baseline: %d emails to managers, want none", n)
	}
	if emails(ladder, "manager") == 0 || emails(baseline, "agency_contact") == 0 {
		t.Errorf("emails: ladder managers %d, baseline agencies %d; want both above 0", emails(ladder, "manager"), emails(baseline, "agency_contact"))
	}
	for _, want := range []string{"ladder", "baseline", "domestic_abuse", "child_safeguarding", "per mailbox per working day", "Target"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
}

func TestSimulateRefusesAssumptionsOutOfRange(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a chance above one", []string{"--com-chase", "1.5"}, "--com-chase"},
		{"a maximum lead below the minimum", []string{"--lead-min", "40", "--lead-max", "30"}, "lead times"},
		{"no weeks", []string{"--weeks", "0"}, "--weeks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := run(context.Background(), append([]string{"simulate"}, tt.args...), func(string) string { return "" }, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %q", err, tt.want)
			}
		})
	}
}

// BenchmarkSimulateTeamWeeks runs the short year (both runs) per iteration, and reports the
// ladder's and the baseline's share of checks completed before release.
func BenchmarkSimulateTeamWeeks(b *testing.B) {
	var rep simulate.Report
	for b.Loop() {
		rep, _ = runSimulation(b)
	}
	for _, run := range rep.Runs {
		for _, t := range run.Types {
			b.ReportMetric(t.CompletedPct, fmt.Sprintf("%%completed-%s-%s", t.Type, run.Mode))
		}
	}
}
