package checks

import (
	"encoding/json"
	"fmt"
	"time"
	_ "time/tzdata" // deadlines must not depend on the host's zone files
)

// london is the zone every date of the service is read in: a release date, a deadline and
// "today" are days in England and Wales, whatever the server's zone. It never changes.
var london = mustLoadLondon()

func mustLoadLondon() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		// time/tzdata is compiled in, so this cannot happen; fail loudly rather than
		// compute deadlines in UTC.
		panic(fmt.Sprintf("load Europe/London: %v", err))
	}
	return loc
}

// London returns the Europe/London location.
func London() *time.Location { return london }

// Date is a calendar day in England and Wales, without a time or a zone. It is written as
// YYYY-MM-DD in JSON and in the database, so that dates sort as strings.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the day t falls on in London.
func DateOf(t time.Time) Date {
	y, m, d := t.In(london).Date()
	return Date{y, m, d}
}

// ParseDate reads a YYYY-MM-DD date and rejects impossible days such as 2025-02-30.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	y, m, d := t.Date()
	return Date{y, m, d}, nil
}

// MustDate is ParseDate for constants in tests and seed data; it panics on a bad date.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is the zero Date (no date).
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// Midday returns noon of d in London: a time safely inside the day whatever the clock change.
func (d Date) Midday() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, london)
}

// Start returns the first instant of d in London.
func (d Date) Start() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, london)
}

// AddDays returns the day n calendar days after d (before, if n is negative).
func (d Date) AddDays(n int) Date {
	// Calendar arithmetic needs no zone: time.Date normalises the day in UTC.
	y, m, day := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC).Date()
	return Date{y, m, day}
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// After reports whether d is a later day than e.
func (d Date) After(e Date) bool { return e.Before(d) }

// DaysUntil returns the number of calendar days from d to e (negative if e is earlier).
func (d Date) DaysUntil(e Date) int {
	a := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	b := time.Date(e.Year, e.Month, e.Day, 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.Midday().Weekday() }

// MarshalJSON writes d as "YYYY-MM-DD", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date must be a string in the form YYYY-MM-DD")
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
