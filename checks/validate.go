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

// Names and free text are shown in the pages, in CSV reports, in emails and in the lists of
// the command line (`users list`, `tokens list`). A character that shows as nothing there
// but acts on what is around it can forge what a reader sees: a control character (C0, DEL,
// C1) can end a row or a CSV record early or drive the terminal, and a bidirectional control
// displays text in another order than it is stored. So every name and every free text
// refuses both, here and nowhere else: name and text below, for every field that holds one.
// A line break and a tab are allowed in multi-line text (notes, reasons, summaries) only.
// Codes (team codes among them) have patterns of ASCII letters and digits and need no more.

// bidiControl reports the Unicode bidirectional formatting characters: the embeddings and
// overrides U+202A–U+202E, the isolates U+2066–U+2069 and the marks U+200E, U+200F and
// U+061C. Letters of right-to-left scripts are not among them and are allowed.
func bidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// refusal says why r may not be in a name (multiLine false) or in multi-line text, or ""
// when it may.
func refusal(r rune, multiLine bool) string {
	switch {
	case r == '\n' || r == '\t':
		if multiLine {
			return ""
		}
		return "must be on one line, without line breaks or tabs"
	case r == '\u2028' || r == '\u2029':
		// Line breaks to some readers (Python's splitlines, for one), invisible to others.
		if multiLine {
			return "must use ordinary line breaks, not Unicode line or paragraph separators"
		}
		return "must be on one line, without line breaks or tabs"
	case unicode.IsControl(r):
		return "must not contain control characters"
	case bidiControl(r):
		return "must not contain bidirectional control characters"
	}
	return ""
}

// AboutCharacters reports whether a field error's reason is this rule's. The pages show such
// a reason as it is, rather than their usual "Enter ..." for the field: the writer needs to
// be told what to take out, and where, since the character is invisible.
func AboutCharacters(reason string) bool { return strings.Contains(reason, "(U+") }

// plain reports whether s holds only characters the rule allows. When not, it adds a field
// error naming the first character refused and where it is.
func plain(f *fields, field, s string, multiLine bool) bool {
	for i, r := range []rune(s) {
		if why := refusal(r, multiLine); why != "" {
			f.add(field, "%s (U+%04X at character %d)", why, r, i+1)
			return false
		}
	}
	return true
}

// text checks multi-line free text (a note, a reason, a summary): required or not, at most
// max characters, and plain. A browser sends the line ends of a text area as CR LF: they are
// kept as LF, and a CR on its own is refused. It returns the text with surrounding space
// removed.
func text(f *fields, field, s string, required bool, max int) string {
	return checkText(f, field, strings.ReplaceAll(s, "\r\n", "\n"), required, max, true)
}

// name checks a name (a person's, a user's, a token's label): as text, but on one line.
func name(f *fields, field, s string, required bool, max int) string {
	return checkText(f, field, s, required, max, false)
}

func checkText(f *fields, field, s string, required bool, max int, multiLine bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		f.add(field, "is required")
	case !utf8.ValidString(s):
		f.add(field, "must be valid UTF-8 text")
	case utf8.RuneCountInString(s) > max:
		f.add(field, "must be at most %d characters (it has %d)", max, utf8.RuneCountInString(s))
	default:
		plain(f, field, s, multiLine)
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
	// net/mail takes any character beyond ASCII in the local part, bidirectional controls
	// and C1 controls among them: a mailbox is held to the rule for names first.
	if !plain(f, field, s, false) {
		return s
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		f.add(field, "must be a plain email address such as name@example.org")
		return s
	}
	return strings.ToLower(s)
}

// phonePattern is a UK telephone number once its spaces are taken out: 0 or +44, then a
// number of nine or ten digits that does not start with 0.
var phonePattern = regexp.MustCompile(`^(0|\+44)[1-9][0-9]{8,9}$`)

// phone checks an optional UK telephone number: digits and spaces, starting 0 or +44, e.g.
// "0161 496 0000" or "+44 161 496 0000". It returns the number trimmed, with runs of spaces
// made one, as the person wrote it otherwise: a number is read by people, who group it.
func phone(f *fields, field, s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return ""
	}
	if !phonePattern.MatchString(strings.ReplaceAll(s, " ", "")) {
		f.add(field, "must be a UK telephone number of digits and spaces, starting 0 or +44, e.g. 0161 496 0000")
	}
	return s
}
