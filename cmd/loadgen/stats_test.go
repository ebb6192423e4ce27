package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

func TestPercentileIsTheNearestRank(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no values", nil, 50, 0},
		{"one value is every percentile", ms(7), 99, 7 * time.Millisecond},
		{"median of an odd count", ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{"median of an even count is the lower middle", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of 1..100", ms(hundred...), 95, 95 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the largest", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of ten values is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"a tiny percentile is the smallest", ms(4, 5, 6), 0.1, 4 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checks.NearestRank(tt.sorted, tt.p); got != tt.want {
				t.Errorf("checks.NearestRank(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestStatsSortTheLatenciesAndCountErrors(t *testing.T) {
	lat := []time.Duration{30 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond}
	st := stats(lat, 1, 2*time.Second)
	if st.Count != 5 || st.Errors != 1 {
		t.Errorf("count %d errors %d, want 5 and 1", st.Count, st.Errors)
	}
	if st.P50Ms != 20 || st.P99Ms != 40 {
		t.Errorf("p50 %v p99 %v, want 20 and 40", st.P50Ms, st.P99Ms)
	}
	if st.PerSecond != 2.5 {
		t.Errorf("per second %v, want 2.5", st.PerSecond)
	}
	if st.P99OverP50 != 2 {
		t.Errorf("p99/p50 %v, want 2", st.P99OverP50)
	}
	if lat[0] != 30*time.Millisecond {
		t.Error("stats sorted the caller's slice")
	}
}

func TestParseMix(t *testing.T) {
	good := map[string]mix{
		"get=40,list=25,write=35": {40, 25, 35},
		" write=1 , get=2 ":       {2, 0, 1},
		"get=100":                 {100, 0, 0},
	}
	for in, want := range good {
		got, err := parseMix(in)
		if err != nil || got != want {
			t.Errorf("parseMix(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "get=0", "get=-1", "get", "get=x", "read=5", "get=1,get=2"} {
		if _, err := parseMix(in); err == nil {
			t.Errorf("parseMix(%q) accepted it", in)
		}
	}
	if m, _ := parseMix(defaultMix.String()); m != defaultMix {
		t.Errorf("the default mix does not read back: %v", m)
	}
}

func TestTheMixFollowsItsWeightsAndWritesFollowTheLifecycle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	l := newLifecycle()
	counts := map[op]int{}
	var writes []op
	const n = 100_000
	for range n {
		o := defaultMix.pick(r, &l)
		counts[o]++
		if o.write() {
			writes = append(writes, o)
			l.advance() // every write succeeds
		}
	}
	share := func(o ...op) float64 {
		c := 0
		for _, x := range o {
			c += counts[x]
		}
		return float64(c) / n
	}
	for _, tt := range []struct {
		what string
		got  float64
		want float64
	}{
		{"get", share(opGetCheck), 0.40},
		{"list", share(opListChecks), 0.25},
		{"writes", share(opCreateRelease, opRequestCheck, opRespondToCheck, opCompleteCheck), 0.35},
	} {
		if tt.got < tt.want-0.01 || tt.got > tt.want+0.01 {
			t.Errorf("share of %s %.3f, want %.2f ± 0.01", tt.what, tt.got, tt.want)
		}
	}
	order := []op{opCreateRelease, opRequestCheck, opRespondToCheck, opCompleteCheck}
	for i, o := range writes {
		if o != order[i%4] {
			t.Fatalf("write %d is %v, want %v: writes must follow the lifecycle", i, o, order[i%4])
		}
	}
}

func TestAFailedWriteStartsANewRelease(t *testing.T) {
	l := newLifecycle()
	l.advance()
	l.advance()
	l.checkID = "x"
	if l.next != opRespondToCheck {
		t.Fatalf("after two writes the next is %v", l.next)
	}
	l.reset()
	if l.next != opCreateRelease || l.checkID != "" {
		t.Errorf("after a reset: %+v", l)
	}
}

// sampleReport is a report of a run where every operation was done on both sides.
func sampleReport(t *testing.T) *Report {
	t.Helper()
	rec := &recorder{}
	for _, o := range ops {
		for i := 1; i <= 100; i++ {
			rec.ok(sideService, o, time.Duration(i)*2*time.Millisecond)
			rec.ok(sideDirect, o, time.Duration(i)*time.Millisecond)
		}
	}
	rec.fail(sideService, opRespondToCheck, &apiError{"POST", "/api/v1/checks/x/response", 429, "{}"})
	rep := &Report{URL: "http://127.0.0.1:8080", Database: "embedded", Clients: 16, Rounds: 4, Mix: defaultMix.String(),
		RSS: RSSReport{PID: 42, PeakBytes: 80 << 20, SampledMaxBytes: 79 << 20}}
	var totals [numSides]SideTotals
	rep.Operations, rep.Writes, totals = summarise(rec, [numSides]time.Duration{10 * time.Second, 5 * time.Second})
	rep.Service, rep.Direct = totals[sideService], totals[sideDirect]
	rep.Errors = rec.samples
	return rep
}

func TestTheReportHasEveryOperationOnBothSidesAndTheirRatios(t *testing.T) {
	rep := sampleReport(t)
	if len(rep.Operations) != len(ops) {
		t.Fatalf("%d operations in the report, want %d", len(rep.Operations), len(ops))
	}
	for i, o := range rep.Operations {
		if o.Name != ops[i].String() {
			t.Errorf("operation %d is %q, want %q", i, o.Name, ops[i])
		}
		if o.RatioP50 != 2 || o.RatioP99 != 2 {
			t.Errorf("%s: ratios p50 %v p99 %v, want 2 and 2", o.Name, o.RatioP50, o.RatioP99)
		}
	}
	if rep.Service.Count != 601 || rep.Service.Errors != 1 || rep.Direct.Count != 600 {
		t.Errorf("totals %+v %+v", rep.Service, rep.Direct)
	}
	if rep.Writes.Service.Count != 401 || rep.Writes.Direct.Count != 400 {
		t.Errorf("writes %d and %d, want 401 and 400", rep.Writes.Service.Count, rep.Writes.Direct.Count)
	}

	var text bytes.Buffer
	if err := rep.writeText(&text); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{
		"16 clients", "601 requests", "600 operations", "all writes", "p99/p50",
		"service / direct", "peak RSS of the service (pid 42) during the run: 80.0 MiB",
		"SAFEGUARDING_RATE_LIMIT=0", // the hint that comes with a 429
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the text report lacks %q:\n%s", want, out)
		}
	}
	tables, _, _ := strings.Cut(out, "\nerrors")
	for _, o := range ops {
		if strings.Count(tables, o.String()) != 2 { // the table and the ratios
			t.Errorf("the text report names %s %d times, want 2:\n%s", o, strings.Count(tables, o.String()), out)
		}
	}

	var js bytes.Buffer
	if err := rep.writeJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Operations) != len(ops) || back.Operations[0].Service.P50Ms != 100 || back.RSS.PeakBytes != 80<<20 {
		t.Errorf("the JSON report does not read back: %s", js.String())
	}
}

func TestTheReportSaysWhenRSSWasNotMeasured(t *testing.T) {
	rep := sampleReport(t)
	rep.RSS = RSSReport{Note: "nothing listens on port 8080"}
	var b bytes.Buffer
	if err := rep.writeText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "not measured (nothing listens on port 8080)") {
		t.Errorf("no word that RSS was not measured:\n%s", b.String())
	}
}

func TestTheRecorderKeepsAFewDistinctErrors(t *testing.T) {
	var a, b recorder
	for range 20 {
		a.fail(sideService, opGetCheck, errors.New("same"))
	}
	for i := range 20 {
		b.fail(sideDirect, opListChecks, errors.New(strings.Repeat("x", i+1)))
	}
	a.merge(&b)
	if len(a.samples) != maxErrorSamples {
		t.Errorf("%d samples, want %d", len(a.samples), maxErrorSamples)
	}
	if n, e := a.count(sideService); n != 20 || e != 20 {
		t.Errorf("service count %d errors %d, want 20 and 20", n, e)
	}
}
