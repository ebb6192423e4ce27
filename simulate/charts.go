package simulate

import (
	"fmt"
	"image/color"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/probation/safeguarding/checks"
)

// The runs' colours: GOV.UK blue for the ladder, grey for the baseline.
var runColours = map[Mode]color.Color{
	ModeLadder:   color.RGBA{R: 0x1d, G: 0x70, B: 0xb8, A: 0xff},
	ModeBaseline: color.RGBA{R: 0xb1, G: 0xb4, B: 0xb6, A: 0xff},
}

var typeLabels = map[checks.CheckType]string{checks.TypeDomesticAbuse: "DA", checks.TypeChildSafeguarding: "CS"}

// charts writes completion.svg, burden.svg and timing.svg.
func (rep *Report) charts(dir string) error {
	for name, draw := range map[string]func() (*plot.Plot, error){
		"completion.svg": rep.completionChart, "burden.svg": rep.burdenChart, "timing.svg": rep.timingChart,
	} {
		p, err := draw()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := p.Save(8*vg.Inch, 4.5*vg.Inch, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// grouped draws one bar per run in each category.
func (rep *Report) grouped(p *plot.Plot, categories []string, value func(RunResult, int) float64) error {
	w := vg.Points(14)
	for i, run := range rep.Runs {
		vals := make(plotter.Values, len(categories))
		for c := range categories {
			vals[c] = value(run, c)
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return err
		}
		bars.Color = runColours[run.Mode]
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(i)-float64(len(rep.Runs)-1)/2)
		p.Add(bars)
		p.Legend.Add(string(run.Mode), bars)
	}
	p.NominalX(categories...)
	p.Legend.Top = true
	return nil
}

func (rep *Report) completionChart() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Required checks done before release (simulated year)"
	p.Y.Label.Text = "% of required checks"
	p.Y.Min, p.Y.Max = 0, 125
	var cats []string
	type key struct {
		t    int
		what int
	}
	var keys []key
	for ti, t := range checks.CheckTypes() {
		for wi, what := range []string{"requested", "answered", "completed"} {
			cats = append(cats, typeLabels[t]+" "+what)
			keys = append(keys, key{ti, wi})
		}
	}
	err := rep.grouped(p, cats, func(run RunResult, c int) float64 {
		k := keys[c]
		if k.t >= len(run.Types) {
			return 0
		}
		t := run.Types[k.t]
		return []float64{t.RequestedPct, t.AnsweredPct, t.CompletedPct}[k.what]
	})
	if err != nil {
		return nil, err
	}
	target, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: TargetCompleted}, {X: float64(len(cats)) - 0.5, Y: TargetCompleted}})
	if err != nil {
		return nil, err
	}
	target.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(target)
	p.Legend.Add(fmt.Sprintf("target %.0f%%", TargetCompleted), target)
	return p, nil
}

func (rep *Report) burdenChart() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Emails per mailbox per working day (mean; simulated year)"
	p.Y.Label.Text = "emails a working day"
	p.Y.Min = 0
	labels := map[string]string{"com": "COM", "manager": "team manager", "agency_contact": "agency team mailbox", "agency_escalation": "agency manager"}
	var cats []string
	for _, k := range mailboxKinds {
		cats = append(cats, labels[k])
	}
	err := rep.grouped(p, cats, func(run RunResult, c int) float64 {
		for _, b := range run.Emails {
			if b.Kind == mailboxKinds[c] {
				return b.PerDay
			}
		}
		return 0
	})
	return p, err
}

// timingChart is the share of required checks completed by each number of working days
// before release: the further right the line stays high, the earlier checks were done.
func (rep *Report) timingChart() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "When checks were completed, before release (simulated year)"
	p.X.Label.Text = "working days before release (0: release day)"
	p.Y.Label.Text = "% of required checks completed by then"
	p.X.Min, p.X.Max = 0, 60
	p.Y.Min, p.Y.Max = 0, 120
	dashes := map[checks.CheckType][]vg.Length{checks.TypeDomesticAbuse: nil, checks.TypeChildSafeguarding: {vg.Points(5), vg.Points(3)}}
	for _, run := range rep.Runs {
		for _, t := range run.Types {
			if t.Required == 0 {
				continue
			}
			days := slices.Clone(t.DaysBefore)
			slices.Sort(days)
			var pts plotter.XYs
			for d := 60; d >= 0; d-- {
				// Completed at least d working days before release, and before the release day.
				n := 0
				for _, x := range days {
					if x >= max(d, 1) {
						n++
					}
				}
				pts = append(pts, plotter.XY{X: float64(d), Y: 100 * float64(n) / float64(t.Required)})
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.Color = runColours[run.Mode]
			l.Width = vg.Points(2)
			l.Dashes = dashes[t.Type]
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s, %s", typeLabels[t.Type], run.Mode), l)
		}
	}
	p.Legend.Top = true
	p.X.Scale = reversed{}
	return p, nil
}

// reversed draws the X axis from high to low: time runs left to right, towards release.
type reversed struct{}

func (reversed) Normalize(min, max, x float64) float64 { return (max - x) / (max - min) }
