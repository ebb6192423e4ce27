package checks

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on free text. A response summary is at most 1000 characters by design; notes and
// reasons get the same bound so that nothing unbounded reaches the database.
const (
	MaxSummary = 1000
	MaxNote    = 1000
	MaxName    = 200
)

var (
	crnPattern    = regexp.MustCompile(`^[A-Z][0-9]{6}$`)
	nomsPattern   = regexp.MustCompile(`^[A-Z][0-9]{4}[A-Z]{2}$`)
	teamPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)
	prisonPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	idPattern     = regexp.MustCompile(`^[0-9a-f]{24}$`)
)

// ParseCRN reads a probation case reference number: one letter and six digits, e.g. X123456.
// Letters are taken in either case and spaces around are ignored; the result is upper case.
func ParseCRN(s string) (string, bool) {
	return parseRef(s, crnPattern)
}

// ParseNOMS reads a prison (NOMS) number: a letter, four digits and two letters, e.g. A1234BC.
// Letters are taken in either case and spaces around are ignored; the result is upper case.
func ParseNOMS(s string) (string, bool) {
	return parseRef(s, nomsPattern)
}

// parseRef trims and upper-cases a reference and matches it against its pattern. Only ASCII
// letters are upper-cased: Go's ToUpper would turn "ı" into "I" and "ſ" into "S", accepting
// references nobody typed.
func parseRef(s string, pattern *regexp.Regexp) (string, bool) {
	s = strings.TrimSpace(s)
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	s = string(b)
	return s, pattern.MatchString(s)
}

// ValidID reports whether s has the form of an id this service issues.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// ValidTeam reports whether s is a well-formed probation team code.
func ValidTeam(s string) bool { return teamPattern.MatchString(s) }

// text checks free text: required or not, at most max characters, no control characters
// other than line breaks and tabs. It returns the text with surrounding space removed.
func text(f *fields, field, s string, required bool, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		f.add(field, "is required")
	case !utf8.ValidString(s):
		f.add(field, "must be valid UTF-8 text")
	case utf8.RuneCountInString(s) > max:
		f.add(field, "must be at most %d characters (it has %d)", max, utf8.RuneCountInString(s))
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		f.add(field, "must not contain control characters")
	}
	return s
}

// email checks an email address; an empty one is allowed when not required.
func email(f *fields, field, s string, required bool) string {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			f.add(field, "is required")
		}
		return ""
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		f.add(field, "must be a plain email address such as name@example.org")
		return s
	}
	return strings.ToLower(s)
}
