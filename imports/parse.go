// Package imports loads a release schedule (the extract probation's case system already
// has) from a CSV file: it reads the file, checks each row with the rules of the domain,
// matches rows to the releases already recorded, and records or changes them through the
// same service methods as a change made by hand. The command line, the API and the pages
// all call it; it depends on package checks and on nothing of theirs.
package imports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/probation/safeguarding/checks"
)

// The limits of one file, both stated in the error that refuses a larger one.
const (
	MaxBytes = 10 << 20
	MaxRows  = 50_000
)

// The columns of a release schedule.
const (
	ColCRN            = "crn"
	ColNOMSNumber     = "noms_number"
	ColFullName       = "full_name"
	ColDateOfBirth    = "date_of_birth"
	ColReleaseDate    = "release_date"
	ColPrisonCode     = "prison_code"
	ColTeam           = "team"
	ColCOMEmail       = "com_email"
	ColAddressLine1   = "address_line_1"
	ColAddressLine2   = "address_line_2"
	ColAddressLine3   = "address_line_3"
	ColTown           = "town"
	ColPostcode       = "postcode"
	ColPoliceForce    = "police_force"
	ColLocalAuthority = "local_authority"
)

// RequiredColumns must all be in the header: without one of them no row could make a
// release, so a file lacking one is refused whole.
var RequiredColumns = []string{ColCRN, ColNOMSNumber, ColFullName, ColDateOfBirth, ColReleaseDate, ColPrisonCode,
	ColAddressLine1, ColTown, ColPostcode, ColPoliceForce, ColLocalAuthority}

// OptionalColumns may be left out: a blank team or COM takes the default the API gives (a
// COM's own team, the COM importing) or, for a release already recorded, stays as it is.
var OptionalColumns = []string{ColTeam, ColCOMEmail, ColAddressLine2, ColAddressLine3}

// ErrTooLarge is the error of a file over MaxBytes or MaxRows (errors.Is matches it).
var ErrTooLarge = errors.New("the file is too large")

// tooLarge is a refusal for size: an *checks.Error for its message, and ErrTooLarge for
// errors.Is, so that the API answers it 413.
type tooLarge struct{ err *checks.Error }

func (e tooLarge) Error() string   { return e.err.Error() }
func (e tooLarge) Unwrap() []error { return []error{e.err, ErrTooLarge} }

func refuseTooLarge(reason string) error {
	return tooLarge{&checks.Error{Code: checks.EINVALID, Message: "the file is refused: " + reason,
		Fields: []checks.FieldError{{Field: "file", Reason: reason}}}}
}

// refuse is the error of a file refused whole: it is not CSV, or lacks a column.
func refuse(reason string, args ...any) error {
	r := fmt.Sprintf(reason, args...)
	return &checks.Error{Code: checks.EINVALID, Message: "the file is refused: " + r,
		Fields: []checks.FieldError{{Field: "file", Reason: r}}}
}

// record is one row of the file: its line number and its values by column.
type record struct {
	line   int
	values map[string]string
	// fieldCount is how many fields the row has, when not the header's.
	fieldCount int
}

func (r record) get(col string) string { return r.values[col] }

// has reports whether the file had the column.
func (r record) has(col string) bool {
	_, ok := r.values[col]
	return ok
}

// sheet is a parsed file.
type sheet struct {
	header  int // how many columns
	rows    []record
	unknown []string
}

// parse reads a CSV file: UTF-8 with or without a byte order mark, CRLF or LF, quoted
// fields, a header row naming the columns in any order and in any case.
func parse(content []byte) (sheet, error) {
	if len(content) > MaxBytes {
		return sheet{}, refuseTooLarge(fmt.Sprintf("it is larger than 10 MiB (%d bytes); split it into files of at most 10 MiB and %d rows", len(content), MaxRows))
	}
	content = bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(content)) == 0 {
		return sheet{}, refuse("it is empty: send a CSV file with a header row")
	}
	if !utf8.Valid(content) {
		return sheet{}, refuse("it is not UTF-8 text: save it as CSV UTF-8")
	}
	if bytes.IndexByte(content, 0) >= 0 {
		return sheet{}, refuse("it is not CSV text (it holds a NUL byte): save it as CSV UTF-8")
	}
	r := csv.NewReader(bytes.NewReader(content))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return sheet{}, notCSV(err)
	}
	var s sheet
	s.header = len(head)
	cols := make([]string, len(head))
	known := append(slices.Clone(RequiredColumns), OptionalColumns...)
	seen := map[string]bool{}
	for i, h := range head {
		name := strings.ToLower(strings.TrimSpace(h))
		switch {
		case name == "":
			s.unknown = append(s.unknown, fmt.Sprintf("(blank, column %d)", i+1))
		case !slices.Contains(known, name):
			s.unknown = append(s.unknown, strings.TrimSpace(h))
		case seen[name]:
			return sheet{}, refuse("the column %s is in the header twice", name)
		default:
			seen[name] = true
			cols[i] = name
		}
	}
	var missing []string
	for _, c := range RequiredColumns {
		if !seen[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return sheet{}, refuse("the header row lacks the required column(s) %s (the columns are %s; optional: %s)",
			strings.Join(missing, ", "), strings.Join(RequiredColumns, ", "), strings.Join(OptionalColumns, ", "))
	}
	for {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sheet{}, notCSV(err)
		}
		if len(s.rows) == MaxRows {
			return sheet{}, refuseTooLarge(fmt.Sprintf("it has more than %d rows; split it into files of at most %d rows and 10 MiB", MaxRows, MaxRows))
		}
		line, _ := r.FieldPos(0)
		rec := record{line: line, values: map[string]string{}}
		if len(fields) != len(head) {
			rec.fieldCount = len(fields)
		}
		for i, v := range fields {
			if i < len(cols) && cols[i] != "" {
				rec.values[cols[i]] = v
			}
		}
		s.rows = append(s.rows, rec)
	}
	if len(s.rows) == 0 {
		return sheet{}, refuse("it has a header row and no rows")
	}
	return s, nil
}

// notCSV is the refusal of a file that encoding/csv cannot read, with where it stopped.
func notCSV(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return refuse("it is not CSV: line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
	}
	return refuse("it is not CSV: %v", err)
}

// date reads a date as YYYY-MM-DD or DD/MM/YYYY and gives it as YYYY-MM-DD for the domain's
// rules; anything else is given as it is, for them to refuse.
func date(s string) string {
	s = strings.TrimSpace(s)
	if len(s) != 10 || s[2] != '/' || s[5] != '/' {
		return s
	}
	for i := range len(s) {
		if i != 2 && i != 5 && (s[i] < '0' || s[i] > '9') {
			return s
		}
	}
	return s[6:] + "-" + s[3:5] + "-" + s[:2]
}
