package checks

import "testing"

func TestAPostcodeIsReadInTheUKShape(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"an area of two letters with a sub-district letter is read", "sw1a1aa", "SW1A 1AA", true},
		{"an area of one letter and one digit is read", "M1 1AE", "M1 1AE", true},
		{"an area of one letter and two digits is read", "b338th", "B33 8TH", true},
		{"an area of two letters and two digits is read", "CR2 6XH", "CR2 6XH", true},
		{"an area of one letter, a digit and a letter is read", "w1a 0ax", "W1A 0AX", true},
		{"spaces anywhere are made one before the inward code", " DN55  1PT ", "DN55 1PT", true},
		{"the Girobank postcode is read", "gir 0aa", "GIR 0AA", true},
		{"an inward code without its digit is refused", "SW1A AAA", "", false},
		{"a second letter I is refused", "AI1 1AA", "", false},
		{"too short a postcode is refused", "M1 1A", "", false},
		{"digits alone are refused", "12345", "", false},
		{"a non-ASCII letter is refused", "SW1A 1AÅ", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParsePostcode(tc.in)
			if ok != tc.ok || ok && got != tc.want {
				t.Errorf("ParsePostcode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestAChildIsUnder18OnTheDayOfTheCheck(t *testing.T) {
	today := MustDate("2026-11-24")
	for _, tc := range []struct {
		name, born string
		under18    bool
	}{
		{"someone 18 tomorrow is under 18", "2008-11-25", true},
		{"someone 18 today is not", "2008-11-24", false},
		{"someone born on 29 February is 18 on 1 March", "2008-02-29", false},
		{"a baby is under 18", "2026-01-01", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := under18(MustDate(tc.born), today); got != tc.under18 {
				t.Errorf("under18(%s) = %v, want %v", tc.born, got, tc.under18)
			}
		})
	}
	t.Run("someone born on 29 February is under 18 on 28 February of their eighteenth year", func(t *testing.T) {
		if !under18(MustDate("2008-02-29"), MustDate("2026-02-28")) {
			t.Error("18 a day early")
		}
	})
}
