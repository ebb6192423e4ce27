package checks

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// A fuzz test of the rule for names and free text (name and text in validate.go), held to
// what its comment says, checked here against a list of its own rather than the code's:
//   - the result is the input with surrounding space removed (and, for text, CR LF as LF);
//   - the input is accepted exactly when that result is valid UTF-8, at most the limit, and
//     holds no C0 control, DEL, C1 control, bidirectional control or Unicode line or
//     paragraph separator, line breaks and tabs allowed in text only;
//   - when refused for a character, the one field error names the first such character and
//     where it is.

var fuzzTextSeeds = []string{
	"John Smith", "Siân Llŷr ap Dafydd", "Seán O'Brien-Ní Bhriain", "Zoë D’Arcy", "Yusuf محمد", " padded\t\n",
	"two\nlines", "tab\there", "crlf\r\nline", "lone\rcr", "a\u202eb", "\u2066x\u2069", "\u200fmark", "x\u061c",
	"nel\u0085", "csi\u009b[2J", "esc\x1b[31m", "nul\x00", "del\x7f", "line\u2028sep", "para\u2029sep", "\xff\xfe",
	"", " ", "\u00a0nbsp\u00a0", strings.Repeat("é", MaxNote), strings.Repeat("é", MaxNote+1), "zero\u200bwidth",
}

// refusedByDesign is the rule's list, written out apart from the code.
func refusedByDesign(r rune, multiLine bool) bool {
	switch {
	case r == '\n' || r == '\t':
		return !multiLine
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

func checkTextRule(t *testing.T, in string, multiLine bool) {
	t.Helper()
	var f fields
	check, want := name, strings.TrimSpace(in)
	if multiLine {
		check, want = text, strings.TrimSpace(strings.ReplaceAll(in, "\r\n", "\n"))
	}
	got := check(&f, "field", in, false, MaxNote)
	if got != want {
		t.Fatalf("multiLine %v: %q gave %q, want %q", multiLine, in, got, want)
	}
	first := -1
	for i, r := range []rune(want) {
		if refusedByDesign(r, multiLine) {
			first = i
			break
		}
	}
	accept := utf8.ValidString(want) && utf8.RuneCountInString(want) <= MaxNote && first < 0
	if accept != (len(f) == 0) {
		t.Fatalf("multiLine %v: %q accepted %v (errors %v), want %v", multiLine, in, len(f) == 0, f, accept)
	}
	if utf8.ValidString(want) && utf8.RuneCountInString(want) <= MaxNote && first >= 0 {
		where := fmt.Sprintf("(U+%04X at character %d)", []rune(want)[first], first+1)
		if len(f) != 1 || f[0].Field != "field" || !strings.HasSuffix(f[0].Reason, where) || !AboutCharacters(f[0].Reason) {
			t.Fatalf("multiLine %v: %q refused with %v, want one error ending %s", multiLine, in, f, where)
		}
	}
}

func FuzzNameAndText(f *testing.F) {
	for _, s := range fuzzTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkTextRule(t, in, false)
		checkTextRule(t, in, true)
	})
}

func TestTheAgencyDirectoryRefusesANameTheRuleForNamesRefuses(t *testing.T) {
	for _, bad := range []string{"Metropolitan\u202e Police", "Cumbria\x1b[2J", "Line\nbreak"} {
		_, err := parseAgencies(strings.NewReader("code,name,kind,nation\n\"E23000001\",\"" + bad + "\",police,England\n"))
		if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "name") {
			t.Errorf("a directory naming an agency %q: %v, want an error about the name on line 2", bad, err)
		}
	}
}
