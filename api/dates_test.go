package api

import (
	"net/http"
	"strings"
	"testing"
)

// Dates that never go backwards (issue 13) as clients and people see them. The clock stands
// at Tuesday 24 November 2026, 09:00 in London. Bank holidays counted against: 27 and 28
// December 2027 (for Christmas Day and Boxing Day on the weekend); 24 December 2027 is a
// Friday.

// datesRelease and datesCheck are the fields of issue 13, decoded apart from the tests'
// shared types.
type datesRelease struct {
	ID             string       `json:"id"`
	ReleaseDate    string       `json:"release_date"`
	ReleaseWorkday string       `json:"release_workday"`
	Checks         []datesCheck `json:"checks"`
}

type datesCheck struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	DueDate string `json:"due_date"`
	Urgent  bool   `json:"urgent"`
	Release struct {
		ReleaseDate    string `json:"release_date"`
		ReleaseWorkday string `json:"release_workday"`
	} `json:"release"`
}

func (r datesRelease) check(t *testing.T, typ string) datesCheck {
	t.Helper()
	for _, c := range r.Checks {
		if c.Type == typ {
			return c
		}
	}
	t.Fatalf("release %s has no %s check", r.ID, typ)
	return datesCheck{}
}

func TestTheAPIGivesTheReleaseWorkdayAndWhetherAnAnswerIsUrgent(t *testing.T) {
	tests := []struct {
		name        string
		release     string
		wantWorkday string
		wantDue     string
		wantUrgent  bool
	}{
		// Saturday 25 December 2027: released on Friday 24th. Requested on Tuesday 24
		// November 2026, the answer is due ten working days later, 8 December 2026.
		{"a Saturday release is accepted and released on the Friday before", "2027-12-25", "2027-12-24", "2026-12-08", false},
		// Tuesday 28 December 2027 is the Boxing Day substitute; the 27th, the Christmas Day
		// one; then the weekend: Friday 24th again.
		{"a bank holiday release is accepted and released on the last working day before", "2027-12-28", "2027-12-24", "2026-12-08", false},
		{"a working day release is released that day", "2027-02-15", "2027-02-15", "2026-12-08", false},
		// Thursday 26 November 2026: the hard stop is the day of the request, so the answer
		// is due the first working day after it, Wednesday 25th, and urgent.
		{"a request two working days before release is urgent", "2026-11-26", "2026-11-26", "2026-11-25", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			body := validRelease()
			body["release_date"] = tt.release
			var r datesRelease
			want(t, e.do(t, e.com.Token, "POST", "/api/v1/releases", body), http.StatusCreated, &r)
			if r.ReleaseDate != tt.release || r.ReleaseWorkday != tt.wantWorkday {
				t.Errorf("release: release_date %s release_workday %s, want %s and %s", r.ReleaseDate, r.ReleaseWorkday, tt.release, tt.wantWorkday)
			}
			da := r.check(t, "domestic_abuse")
			if da.Release.ReleaseDate != tt.release || da.Release.ReleaseWorkday != tt.wantWorkday || da.Urgent {
				t.Errorf("new check: release %s workday %s urgent %v, want %s, %s, not urgent", da.Release.ReleaseDate, da.Release.ReleaseWorkday, da.Urgent, tt.release, tt.wantWorkday)
			}
			want(t, e.do(t, e.com.Token, "POST", "/api/v1/checks/"+da.ID+"/request", nil), http.StatusOK, nil)
			// The agency reads the request as it is stored.
			var got datesCheck
			want(t, e.do(t, e.police.Token, "GET", "/api/v1/checks/"+da.ID, nil), http.StatusOK, &got)
			if got.DueDate != tt.wantDue || got.Urgent != tt.wantUrgent || got.Release.ReleaseWorkday != tt.wantWorkday {
				t.Errorf("requested check as the police read it: due %s urgent %v workday %s, want %s, %v, %s",
					got.DueDate, got.Urgent, got.Release.ReleaseWorkday, tt.wantDue, tt.wantUrgent, tt.wantWorkday)
			}
		})
	}
}

func TestAReleaseDateCanBeChangedToAWeekendAndAnAnswerBroughtForwardIsNeverInThePast(t *testing.T) {
	e := newEnv(t)
	r := e.createRelease(t, e.com, nil)
	da := checkOf(t, r, "domestic_abuse")
	e.act(t, e.com, da.ID, "request", nil) // due Tuesday 8 December 2026
	tests := []struct {
		name                 string
		release              string
		wantWorkday, wantDue string
		wantUrgent           bool
	}{
		// Sunday 26 December 2027: released Friday 24th. The answer keeps its ten working
		// days: still due 8 December 2026.
		{"a Sunday release date is accepted", "2027-12-26", "2027-12-24", "2026-12-08", false},
		// Thursday 26 November 2026, on the 24th: the hard stop is the 24th itself, so the
		// answer is due on the first working day after the change, the 25th, urgent.
		{"a release brought forward to two working days ahead makes the answer urgent", "2026-11-26", "2026-11-26", "2026-11-25", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got datesRelease
			want(t, e.do(t, e.com.Token, "PATCH", "/api/v1/releases/"+r.ID, map[string]any{"release_date": tt.release}), http.StatusOK, &got)
			if got.ReleaseWorkday != tt.wantWorkday {
				t.Errorf("release_workday = %s, want %s", got.ReleaseWorkday, tt.wantWorkday)
			}
			c := got.check(t, "domestic_abuse")
			if c.DueDate != tt.wantDue || c.Urgent != tt.wantUrgent || c.Release.ReleaseWorkday != tt.wantWorkday {
				t.Errorf("DA check: due %s urgent %v workday %s, want %s, %v, %s", c.DueDate, c.Urgent, c.Release.ReleaseWorkday, tt.wantDue, tt.wantUrgent, tt.wantWorkday)
			}
		})
	}
}

func TestThePagesSayWhenThePersonLeavesOnTheWorkingDayBeforeAndWhenAnAnswerIsUrgent(t *testing.T) {
	const releasedOn = "Released on Friday 24 December 2027, the last working day before"
	tests := []struct {
		name           string
		release        string
		wantReleasedOn bool
		wantUrgent     bool
	}{
		{"a Saturday release says the Friday", "2027-12-25", true, false},
		{"a release on the Boxing Day substitute says the same Friday", "2027-12-28", true, false},
		{"a release on the Friday itself says nothing more", "2027-12-24", false, false},
		// Thursday 26 November 2026, requested on the 24th: due the 25th, urgent.
		{"a request two working days before release shows Urgent", "2026-11-26", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.createRelease(t, e.com, map[string]any{"release_date": tt.release})
			da := checkOf(t, r, "domestic_abuse")
			e.act(t, e.com, da.ID, "request", nil)
			pages := map[string]pageReply{
				"the release page": e.page(t, "GET", "/releases/"+r.ID, nil, e.signInWithForm(t, e.com.Token)),
				"the check page":   e.page(t, "GET", "/checks/"+da.ID, nil, e.signInWithForm(t, e.police.Token)),
			}
			for which, p := range pages {
				if p.status != http.StatusOK {
					t.Fatalf("%s: %d", which, p.status)
				}
				if got := strings.Contains(p.body, releasedOn); got != tt.wantReleasedOn {
					t.Errorf("%s says %q: %v, want %v", which, releasedOn, got, tt.wantReleasedOn)
				}
				if got := strings.Contains(p.body, ">Urgent</strong>"); got != tt.wantUrgent {
					t.Errorf("%s shows the Urgent tag: %v, want %v", which, got, tt.wantUrgent)
				}
			}
		})
	}
}
