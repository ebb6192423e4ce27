// Dates in the pages: every date a person types is a GOV.UK date input (day, month and year
// in three boxes, https://design-system.service.gov.uk/components/date-input/), read by one
// parser that words its errors as GOV.UK does, and rendered by one template partial
// ("date-input" in layout.html, called through the dateField template function).

package api

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probation/safeguarding/checks"
)

// dateParts are the three inputs of a date, in the order they are shown.
var dateParts = []string{"day", "month", "year"}

// unreadableDate is what the service is given for a date whose inputs could not be read: it
// refuses it, so that the form is answered with every other error too and nothing is written;
// the page then shows the parser's error in place of the service's.
const unreadableDate = "unreadable"

// dateInput is one date input of a form: its inputs are Name-day, Name-month and Name-year.
type dateInput struct {
	Name string
	// What names the date in an error, as a sentence would start it: "Release date".
	What string
}

// read parses the date's inputs as typed in form (trimmed). It returns the date as
// YYYY-MM-DD, "" when nothing was typed, or unreadableDate and the error in GOV.UK's words
// on the first input to correct.
func (d dateInput) read(form map[string]string) (string, *formError) {
	var missing []string
	for _, p := range dateParts {
		if form[d.Name+"-"+p] == "" {
			missing = append(missing, p)
		}
	}
	switch len(missing) {
	case 3:
		return "", nil
	case 1, 2:
		return unreadableDate, &formError{d.Name + "-" + missing[0], d.What + " must include a " + strings.Join(missing, " and ")}
	}
	day, derr := strconv.Atoi(form[d.Name+"-day"])
	month, ok := monthOf(form[d.Name+"-month"])
	year := form[d.Name+"-year"]
	if len(year) != 4 || strings.Trim(year, "0123456789") != "" {
		if derr == nil && ok {
			return unreadableDate, &formError{d.Name + "-year", d.What + " must include a year with 4 numbers, for example 2027"}
		}
		return unreadableDate, &formError{d.Name + "-day", d.What + " must be a real date"}
	}
	y, _ := strconv.Atoi(year)
	t := time.Date(y, time.Month(month), day, 12, 0, 0, 0, time.UTC)
	switch {
	case derr != nil || day < 1 || t.Day() != day:
		return unreadableDate, &formError{d.Name + "-day", d.What + " must be a real date"}
	case !ok:
		return unreadableDate, &formError{d.Name + "-month", d.What + " must be a real date"}
	}
	return t.Format(time.DateOnly), nil
}

// monthOf reads a month as a number (1 to 12) or its English name, whole or its first three
// letters, as GOV.UK asks date inputs to accept.
func monthOf(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, n >= 1 && n <= 12
	}
	s = strings.ToLower(s)
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		if s == name || s == name[:3] {
			return int(m), true
		}
	}
	return 0, false
}

// datesRead are the dates of one form as read, by input name: the value given to the
// service, and the parser's error.
type datesRead map[string]*formError

// read reads d from form, remembering its error, and returns the value for the service.
func (r datesRead) read(form map[string]string, d dateInput) string {
	v, e := d.read(form)
	r[d.Name] = e
	return v
}

var isoDate = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)

// fix rewrites the page's errors about dates: an error the service gave about a date the
// parser could not read becomes the parser's; any other about a date (its field the date's
// day input, as the handlers point them) says dates as people write them, and names the date
// as whats, the page's words for it, does.
func (r datesRead) fix(errs []formError, whats map[string]string) []formError {
	for i := range errs {
		name, ok := strings.CutSuffix(errs[i].Field, "-day")
		if !ok {
			continue
		}
		if problem := r[name]; problem != nil {
			errs[i] = *problem
			continue
		}
		text := errs[i].Text
		what := whats[name]
		switch {
		case what != "" && (strings.HasSuffix(text, " is required") || strings.Contains(text, " is required: a date")):
			errs[i].Text = "Enter the " + strings.ToLower(what)
		case what != "":
			// The service names the field ("Proposed date must be ..."); the page names it as
			// its label does.
			if rest, ok := strings.CutPrefix(text, sentence(name, "")); ok {
				errs[i].Text = what + " " + rest
			}
		}
		errs[i].Text = writtenDates(errs[i].Text)
	}
	return errs
}

// writtenDates writes the YYYY-MM-DD dates in a sentence as "3 November 2026".
func writtenDates(s string) string {
	return isoDate.ReplaceAllStringFunc(s, func(iso string) string {
		d, err := checks.ParseDate(iso)
		if err != nil {
			return iso
		}
		return d.Midday().Format("2 January 2006")
	})
}

// dateArgs is what the date-input partial is called with.
type dateArgs struct {
	Name, Label, Hint string
	Values            map[string]string
	// Err is the date's error, if any, and Bad the inputs it is about.
	Err *formError
	Bad map[string]bool
	// Parts are the three inputs.
	Parts []fieldArgs
}

// dateField builds the date-input partial's arguments: the date called name, with its
// label, hint, the values typed (by input name) and the page's errors. When some of the
// inputs are empty, the error is about those; otherwise about all three.
func dateField(p pageData, name, label, hint string, values map[string]string) dateArgs {
	a := dateArgs{Name: name, Label: label, Hint: hint, Values: values, Bad: map[string]bool{}, Parts: []fieldArgs{
		{Name: "day", Label: "Day", Width: "govuk-input--width-2"},
		{Name: "month", Label: "Month", Width: "govuk-input--width-2"},
		{Name: "year", Label: "Year", Width: "govuk-input--width-4"},
	}}
	for i := range p.Errors {
		if strings.HasPrefix(p.Errors[i].Field, name+"-") && slices.Contains(dateParts, strings.TrimPrefix(p.Errors[i].Field, name+"-")) {
			a.Err = &p.Errors[i]
			break
		}
	}
	if a.Err == nil {
		return a
	}
	var empty []string
	for _, part := range dateParts {
		if values[name+"-"+part] == "" {
			empty = append(empty, part)
		}
	}
	if len(empty) == 0 || len(empty) == len(dateParts) {
		empty = dateParts
	}
	if part := strings.TrimPrefix(a.Err.Field, name+"-"); part != "day" && len(empty) == len(dateParts) {
		empty = []string{part} // all typed, and only this one is wrong
	}
	for _, part := range empty {
		a.Bad[part] = true
	}
	return a
}

// dateValues are a date's three inputs filled in from a date, for a form that changes it.
func dateValues(form map[string]string, name string, d checks.Date) {
	if d.IsZero() {
		return
	}
	t := d.Midday()
	form[name+"-day"], form[name+"-month"], form[name+"-year"] = strconv.Itoa(t.Day()), strconv.Itoa(int(t.Month())), strconv.Itoa(t.Year())
}
