package checks

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz tests of the two reference numbers a release is recorded with. The seeds run with
// go test ./...; .ci/fuzz-short fuzzes each briefly.
//
// The rules, from the documentation of ParseCRN and ParseNOMS: letters are taken in either
// case and spaces around are ignored; the result is upper case. So, for every input:
//   - when ok, the result has the documented shape exactly (checked here byte by byte, not
//     with the pattern the code uses), is upper case, and is the input trimmed with its ASCII
//     letters upper-cased;
//   - ok exactly when the input, so trimmed and upper-cased, has the shape;
//   - parsing the result again gives it back, ok;
//   - for input in ASCII, ok exactly when the trimmed input is the shape in either case.
//
// Only ASCII letters are upper-cased: "ı123456" (dotless ı) and "ſ123456" (long s) are not
// references, though strings.ToUpper would turn them into I123456 and S123456. The seeds
// below keep them in view.

var fuzzReferenceSeeds = []string{
	"X123456", "x123456", " X123456 ", "\tx123456\n", "\u00a0X123456\u2028", "\u0085X123456", "X 123456", "X1234567", "X12345",
	"A1234BC", "a1234bc", " A1234BC\r\n", "A1234B", "A1234BCD", "A12345C", "AB1234C",
	"", " ", "\x00", "X12345\x00", "\xff123456", "X\xff23456", "Ｘ１２３４５６", "X١٢٣٤٥٦", "\u212a123456", "ı123456", "ſ123456",
	"ı1234ſſ", "ß123456", "X\u0301123456", "X123456\u200b", "\u200bX123456", "123456X", "X-123456", "X12345６",
}

// shapeCRN reports whether s is one letter A-Z and six digits 0-9, byte by byte.
func shapeCRN(s string) bool {
	if len(s) != 7 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < 7; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// shapeNOMS reports whether s is a letter A-Z, four digits 0-9 and two letters A-Z.
func shapeNOMS(s string) bool {
	if len(s) != 7 {
		return false
	}
	for i := range 7 {
		letter := i == 0 || i >= 5
		if letter && (s[i] < 'A' || s[i] > 'Z') || !letter && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkReference holds parse to the rules above, shape being the documented form.
func checkReference(t *testing.T, name string, parse func(string) (string, bool), shape func(string) bool, in string) {
	t.Helper()
	got, ok := parse(in)
	normal := upperASCII(strings.TrimSpace(in))
	if ok {
		if !shape(got) {
			t.Fatalf("%s(%q) = %q, ok, but the result does not have the documented shape", name, in, got)
		}
		if got != strings.ToUpper(got) {
			t.Fatalf("%s(%q) = %q, ok, but the result is not upper case", name, in, got)
		}
		if got != normal {
			t.Fatalf("%s(%q) = %q, ok, want the input trimmed and upper-cased, %q", name, in, got, normal)
		}
		if again, ok := parse(got); !ok || again != got {
			t.Fatalf("%s(%q) = %q, ok, but %s(%q) = %q, %v", name, in, got, name, got, again, ok)
		}
	}
	if ok != shape(normal) {
		t.Fatalf("%s(%q) ok = %v, but the input trimmed and upper-cased (%q) has the shape: %v", name, in, ok, normal, shape(normal))
	}
	if isASCII(in) {
		ascii := strings.TrimSpace(in)
		if want := shape(strings.ToUpper(ascii)); ok != want {
			t.Fatalf("%s(%q) ok = %v, want %v for an ASCII input", name, in, ok, want)
		}
	}
}

// upperASCII upper-cases the letters a to z and nothing else.
func upperASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func FuzzParseCRN(f *testing.F) {
	for _, s := range fuzzReferenceSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkReference(t, "ParseCRN", ParseCRN, shapeCRN, in)
		// A CRN is never also a NOMS number: their fifth and sixth characters differ in kind.
		if _, crn := ParseCRN(in); crn {
			if _, noms := ParseNOMS(in); noms {
				t.Fatalf("%q is read as both a CRN and a NOMS number", in)
			}
		}
	})
}

func FuzzParseNOMS(f *testing.F) {
	for _, s := range fuzzReferenceSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkReference(t, "ParseNOMS", ParseNOMS, shapeNOMS, in)
	})
}
