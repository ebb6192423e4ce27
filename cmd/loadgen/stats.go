package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/probation/safeguarding/checks"
)

// side is one way of doing the operations: through the service's API, or directly through
// the driver against the same database.
type side int

const (
	sideService side = iota
	sideDirect
	numSides
)

func (s side) String() string {
	if s == sideService {
		return "service"
	}
	return "direct"
}

// recorder collects the latencies and errors of one client, or of all once merged.
type recorder struct {
	latencies [numSides][numOps][]time.Duration
	// cores are the direct side's core query times (see directOp), one per success.
	cores  [numOps][]time.Duration
	errors [numSides][numOps]int
	// samples keeps the first few distinct error messages, to say what went wrong.
	samples []string
}

const maxErrorSamples = 8

func (r *recorder) ok(s side, o op, d time.Duration) {
	r.latencies[s][o] = append(r.latencies[s][o], d)
}

// core records the time of a direct operation's core query.
func (r *recorder) core(o op, d time.Duration) {
	r.cores[o] = append(r.cores[o], d)
}

func (r *recorder) fail(s side, o op, err error) {
	r.errors[s][o]++
	msg := fmt.Sprintf("%s %s: %v", s, o, err)
	if len(r.samples) < maxErrorSamples && !slices.Contains(r.samples, msg) {
		r.samples = append(r.samples, msg)
	}
}

// merge adds what other recorded.
func (r *recorder) merge(other *recorder) {
	for s := range numSides {
		for o := range numOps {
			r.latencies[s][o] = append(r.latencies[s][o], other.latencies[s][o]...)
			r.errors[s][o] += other.errors[s][o]
		}
	}
	for o := range numOps {
		r.cores[o] = append(r.cores[o], other.cores[o]...)
	}
	for _, m := range other.samples {
		if len(r.samples) < maxErrorSamples && !slices.Contains(r.samples, m) {
			r.samples = append(r.samples, m)
		}
	}
}

// count is how many operations of a side were done, successful or not.
func (r *recorder) count(s side) (n, errs int) {
	for o := range numOps {
		n += len(r.latencies[s][o]) + r.errors[s][o]
		errs += r.errors[s][o]
	}
	return n, errs
}

// Report is what a run measured. Its JSON form (--json) is for scripts that gather several
// runs; times are in milliseconds, sizes in bytes.
type Report struct {
	URL      string `json:"url"`
	Database string `json:"database"`
	Clients  int    `json:"clients"`
	Rounds   int    `json:"rounds"`
	Mix      string `json:"mix"`

	Service SideTotals `json:"service"`
	Direct  SideTotals `json:"direct"`

	Operations []OpReport `json:"operations"`
	// Writes is the four writes taken together, per side.
	Writes OpReport `json:"writes"`
	// Core compares each operation of the service with the core query of its direct side
	// alone (the read by id, the list's find, the inserts, the read and conditional
	// update), without the audit trail's queries the store adds around it.
	Core []OpReport `json:"core"`

	RSS    RSSReport `json:"rss"`
	Errors []string  `json:"error_samples,omitempty"`
}

// SideTotals is the whole of one side.
type SideTotals struct {
	Count     int     `json:"count"`
	Errors    int     `json:"errors"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
}

// OpReport is one operation on both sides and how they compare.
type OpReport struct {
	Name    string  `json:"name"`
	Service OpStats `json:"service"`
	Direct  OpStats `json:"direct"`
	// Ratios of the service's percentiles to the direct ones (0 when either is missing).
	RatioP50 float64 `json:"ratio_p50"`
	RatioP95 float64 `json:"ratio_p95"`
	RatioP99 float64 `json:"ratio_p99"`
}

// OpStats is one operation on one side.
type OpStats struct {
	Count     int     `json:"count"`
	Errors    int     `json:"errors"`
	PerSecond float64 `json:"per_second"`
	P50Ms     float64 `json:"p50_ms"`
	P95Ms     float64 `json:"p95_ms"`
	P99Ms     float64 `json:"p99_ms"`
	// P99OverP50 is how much slower the slowest 1% are than the median.
	P99OverP50 float64 `json:"p99_over_p50"`
}

// RSSReport is the service process's memory during the run, from /proc/PID/status.
type RSSReport struct {
	PID int `json:"pid"`
	// PeakBytes is the peak resident set size during the run: VmHWM after it was reset at
	// the start of the run when that worked (PeakSinceStart false), else VmHWM since the
	// process started (PeakSinceStart true).
	PeakBytes      int64 `json:"peak_bytes"`
	PeakSinceStart bool  `json:"peak_since_start"`
	// SampledMaxBytes is the highest VmRSS read while the load ran (every 50 ms).
	SampledMaxBytes int64 `json:"sampled_max_bytes"`
	// Note says why RSS was not measured, when it was not.
	Note string `json:"note,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func ratio(a, b float64) float64 {
	if a == 0 || b == 0 {
		return 0
	}
	return a / b
}

// stats summarises latencies (sorted here) and an error count over elapsed time.
func stats(latencies []time.Duration, errs int, elapsed time.Duration) OpStats {
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	st := OpStats{
		Count:  len(sorted) + errs,
		Errors: errs,
		P50Ms:  ms(checks.NearestRank(sorted, 50)),
		P95Ms:  ms(checks.NearestRank(sorted, 95)),
		P99Ms:  ms(checks.NearestRank(sorted, 99)),
	}
	if elapsed > 0 {
		st.PerSecond = float64(st.Count) / elapsed.Seconds()
	}
	st.P99OverP50 = ratio(st.P99Ms, st.P50Ms)
	return st
}

func compare(name string, service, direct OpStats) OpReport {
	return OpReport{
		Name: name, Service: service, Direct: direct,
		RatioP50: ratio(service.P50Ms, direct.P50Ms),
		RatioP95: ratio(service.P95Ms, direct.P95Ms),
		RatioP99: ratio(service.P99Ms, direct.P99Ms),
	}
}

// summarise turns what was recorded, and how long each side ran, into the report's figures.
func summarise(r *recorder, elapsed [numSides]time.Duration) (perOp []OpReport, writes OpReport, totals [numSides]SideTotals) {
	for _, o := range ops {
		perOp = append(perOp, compare(o.String(),
			stats(r.latencies[sideService][o], r.errors[sideService][o], elapsed[sideService]),
			stats(r.latencies[sideDirect][o], r.errors[sideDirect][o], elapsed[sideDirect])))
	}
	var w [numSides]OpStats
	for s := range numSides {
		var all []time.Duration
		errs := 0
		for _, o := range ops {
			if o.write() {
				all = append(all, r.latencies[s][o]...)
				errs += r.errors[s][o]
			}
		}
		w[s] = stats(all, errs, elapsed[s])
		n, e := r.count(s)
		totals[s] = SideTotals{Count: n, Errors: e, Seconds: elapsed[s].Seconds()}
		if elapsed[s] > 0 {
			totals[s].PerSecond = float64(n) / elapsed[s].Seconds()
		}
	}
	return perOp, compare("writes", w[sideService], w[sideDirect]), totals
}

// summariseCore compares the service's side of each operation with the core queries of the
// direct side.
func summariseCore(r *recorder, perOp []OpReport, elapsed time.Duration) []OpReport {
	var out []OpReport
	for i, o := range ops {
		out = append(out, compare(o.String(), perOp[i].Service, stats(r.cores[o], 0, elapsed)))
	}
	return out
}

// writeJSON writes the report as indented JSON.
func (rep *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeText writes the report for a person: totals, a table of every operation on both
// sides, the ratios service/direct, the writes' tail, and the service's peak memory.
func (rep *Report) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "load on %s: %d clients, %d rounds (each a service phase then a direct phase), mix %s\n",
		rep.URL, rep.Clients, rep.Rounds, rep.Mix)
	fmt.Fprintf(&b, "direct: %s\n\n", rep.Database)
	fmt.Fprintf(&b, "service: %d requests in %.1f s: %.1f requests/s, %d errors\n",
		rep.Service.Count, rep.Service.Seconds, rep.Service.PerSecond, rep.Service.Errors)
	fmt.Fprintf(&b, "direct:  %d operations in %.1f s: %.1f operations/s, %d errors\n\n",
		rep.Direct.Count, rep.Direct.Seconds, rep.Direct.PerSecond, rep.Direct.Errors)

	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tside\tcount\terrors\tper s\tp50 ms\tp95 ms\tp99 ms\tp99/p50\t")
	rows := append(slices.Clone(rep.Operations), rep.Writes)
	for _, o := range rows {
		name := o.Name
		if name == "writes" {
			name = "all writes"
		}
		for _, sd := range []struct {
			side string
			st   OpStats
		}{{"service", o.Service}, {"direct", o.Direct}} {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%s\t\n", name, sd.side,
				sd.st.Count, sd.st.Errors, sd.st.PerSecond, sd.st.P50Ms, sd.st.P95Ms, sd.st.P99Ms, fmtRatio(sd.st.P99OverP50))
			name = ""
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintln(&b, "\nservice / direct (ratio of latencies)")
	tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\tp50\tp95\tp99\t")
	for _, o := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", o.Name, fmtRatio(o.RatioP50), fmtRatio(o.RatioP95), fmtRatio(o.RatioP99))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(rep.Core) > 0 {
		fmt.Fprintln(&b, "\nservice / the direct side's core query alone (without the audit trail's queries)")
		tw = tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "operation\tcore p50 ms\tp95 ms\tp99 ms\tratio p50\tp95\tp99\t")
		for _, o := range rep.Core {
			fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t\n", o.Name, o.Direct.P50Ms, o.Direct.P95Ms, o.Direct.P99Ms,
				fmtRatio(o.RatioP50), fmtRatio(o.RatioP95), fmtRatio(o.RatioP99))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}

	fmt.Fprintln(&b)
	switch {
	case rep.RSS.Note != "":
		fmt.Fprintf(&b, "peak RSS of the service: not measured (%s)\n", rep.RSS.Note)
	case rep.RSS.PeakSinceStart:
		fmt.Fprintf(&b, "peak RSS of the service (pid %d): %.1f MiB since it started (VmHWM could not be reset); highest sampled during the run %.1f MiB\n",
			rep.RSS.PID, mb(rep.RSS.PeakBytes), mb(rep.RSS.SampledMaxBytes))
	default:
		fmt.Fprintf(&b, "peak RSS of the service (pid %d) during the run: %.1f MiB (VmHWM, reset at the start); highest sampled %.1f MiB\n",
			rep.RSS.PID, mb(rep.RSS.PeakBytes), mb(rep.RSS.SampledMaxBytes))
	}
	if len(rep.Errors) > 0 {
		fmt.Fprintln(&b, "\nerrors (first of each kind):")
		for _, e := range rep.Errors {
			fmt.Fprintln(&b, "  "+e)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func fmtRatio(r float64) string {
	if r == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r)
}

func mb(bytes int64) float64 { return float64(bytes) / (1 << 20) }
