package checks

import (
	"sync"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/gb"
)

// Calendar tells working days in England and Wales: Monday to Friday, less the bank holidays
// of rickar/cal/v2/gb and the extra closure days given in configuration (gb lacks one-off
// proclaimed holidays such as 19 September 2022).
//
// cal answers each question by recomputing every holiday of the year, and an escalation run
// asks thousands of them, so the answers are kept per year. A Calendar is safe for concurrent
// use.
type Calendar struct {
	business *cal.BusinessCalendar

	mu    sync.Mutex
	years map[int][]bool // index: day of the year - 1
}

// NewCalendar returns the England and Wales calendar with extra closure days.
func NewCalendar(extraClosures []Date) *Calendar {
	b := cal.NewBusinessCalendar()
	b.AddHoliday(gb.Holidays...)
	for _, d := range extraClosures {
		b.AddHoliday(&cal.Holiday{
			Name:      "Closure " + d.String(),
			Type:      cal.ObservanceBank,
			Month:     d.Month,
			Day:       d.Day,
			StartYear: d.Year,
			EndYear:   d.Year,
			Func:      cal.CalcDayOfMonth,
		})
	}
	return &Calendar{business: b, years: map[int][]bool{}}
}

// IsWorkday reports whether d is a working day.
func (c *Calendar) IsWorkday(d Date) bool {
	t := d.Midday() // cal reads the day from a London time, as the design asks
	c.mu.Lock()
	year, ok := c.years[d.Year]
	if !ok {
		year = c.computeYear(d.Year)
		c.years[d.Year] = year
	}
	c.mu.Unlock()
	return year[t.YearDay()-1]
}

func (c *Calendar) computeYear(y int) []bool {
	days := make([]bool, 0, 366)
	for t := time.Date(y, time.January, 1, 12, 0, 0, 0, london); t.Year() == y; t = t.AddDate(0, 0, 1) {
		days = append(days, c.business.IsWorkday(t))
	}
	return days
}

// AddWorkdays returns the working day n working days after d (before d if n is negative).
// d itself is never counted, so AddWorkdays(Friday, 1) is the next Monday that is a working
// day. With n = 0 it returns d unchanged.
func (c *Calendar) AddWorkdays(d Date, n int) Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// NextWorkday returns the first working day after d.
func (c *Calendar) NextWorkday(d Date) Date { return c.AddWorkdays(d, 1) }

// WorkdaysBetween counts the working days after from up to and including to: 1 from a
// Thursday to the Friday after it, 0 from a Friday to the Sunday after it. It is negative
// (the working days after to up to and including from) when to is before from.
func (c *Calendar) WorkdaysBetween(from, to Date) int {
	sign := 1
	if to.Before(from) {
		sign, from, to = -1, to, from
	}
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return sign * n
}
