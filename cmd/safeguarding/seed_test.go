package main

import (
	"github.com/probation/safeguarding/internal/testenv"

	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
)

// seededUser is one line of the tokens file.
type seededUser struct {
	key, name, role, where, email, token string
}

// readTokens reads the tokens file: comment lines start with #, the others are a user each,
// tab-separated, the token last.
func readTokens(t *testing.T, path string) map[string]seededUser {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the tokens file: %v", err)
	}
	token := regexp.MustCompile(`^sgt_[A-Za-z0-9_-]{20,}$`)
	users := map[string]seededUser{}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			t.Fatalf("a line of the tokens file has %d fields, want 6: %q", len(f), line)
		}
		u := seededUser{f[0], f[1], f[2], f[3], f[4], f[5]}
		if !token.MatchString(u.token) || seen[u.token] {
			t.Errorf("user %s has a malformed or repeated token %q", u.key, u.token)
		}
		seen[u.token] = true
		users[u.key] = u
	}
	return users
}

// items returns the items of a list answer.
func items(t *testing.T, what string, body map[string]any) []map[string]any {
	t.Helper()
	list, ok := body["items"].([]any)
	if !ok {
		t.Fatalf("%s: no items in %v", what, body)
	}
	out := make([]map[string]any, 0, len(list))
	for _, it := range list {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestSeedDemoNeedsTheDemoFlagAndTouchesNothingWithout(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{{"seed"}, {"seed", "--demo", "extra"}} {
		stdout, _, err := runCommand(t, newEnv(t, "SAFEGUARDING_DATA_DIR", dataDir), args...)
		if !errors.Is(err, errUsage) {
			t.Errorf("run %q returned %v, want a usage error", args, err)
		}
		if stdout != "" {
			t.Errorf("run %q wrote to standard output: %q", args, stdout)
		}
	}
	if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused seed touched the data directory (stat: %v)", err)
	}
}

func TestSeedDemoMakesAWorkingDataSetOnce(t *testing.T) {
	env := newEnv(t)
	path := filepath.Join(env["SAFEGUARDING_DATA_DIR"], "tokens.txt")
	stdout, stderr := mustRun(t, env, "seed", "--demo")
	if stdout != path+"\n" {
		t.Fatalf("seed printed %q on standard output, want the tokens file's path alone (%s)", stdout, path)
	}
	if strings.Contains(stdout+stderr, "sgt_") {
		t.Errorf("seed printed a token secret:\n%s%s", stdout, stderr)
	}
	where := "Demo data written to the embedded database"
	if testenv.RealEngine() {
		where = "Demo data written to the MongoDB at"
	}
	containsAll(t, "seed's report", stderr, where, "40 releases", path, "escalate --dry-run")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no tokens file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("the tokens file has mode %v, want 0600", fi.Mode().Perm())
	}
	written, _ := os.ReadFile(path)
	users := readTokens(t, path)
	if len(users) != len(demoUsers()) {
		t.Errorf("the tokens file lists %d users, want %d", len(users), len(demoUsers()))
	}

	// Before any service has run the ladder, a dry run shows every kind of escalation, each
	// with an address.
	plan, _ := mustRun(t, env, "escalate", "--dry-run")
	containsAll(t, "the dry run's plan", plan, "dry run", "(0 undeliverable)",
		"request_notice", "response_notice", "request_reminder", "request_overdue", "response_reminder",
		"response_overdue", "response_escalated", "release_imminent",
		"met-da-checks@example.org", "met-da-checks-manager@example.org", "dev.specimen@probation.example.org")

	srv := startServe(t, env)
	for key, u := range users {
		status, me := srv.call(t, "GET", "/api/v1/me", u.token, nil)
		expect(t, "GET /api/v1/me as "+key, status, http.StatusOK, me)
		if me["email"] != u.email || me["role"] != u.role || me["name"] != u.name {
			t.Errorf("%s's token belongs to %v <%v> (%v), want %s <%s> (%s)", key, me["name"], me["email"], me["role"], u.name, u.email, u.role)
		}
	}

	admin := users["admin"].token
	status, body := srv.call(t, "GET", "/api/v1/releases?limit=200", admin, nil)
	expect(t, "the admin lists releases", status, http.StatusOK, body)
	all := items(t, "releases", body)
	if len(all) != len(demoReleases()) {
		t.Errorf("the admin sees %d releases, want %d", len(all), len(demoReleases()))
	}
	cancelled := 0
	for _, r := range all {
		if r["status"] == "cancelled" {
			cancelled++
		}
	}
	if cancelled == 0 {
		t.Error("no release is cancelled")
	}
	// A COM sees its own team's releases only.
	for key, team := range map[string]string{"t1-com1": "N07-T1", "t2-com2": "N07-T2"} {
		status, body := srv.call(t, "GET", "/api/v1/releases?limit=200", users[key].token, nil)
		expect(t, key+" lists releases", status, http.StatusOK, body)
		mine := items(t, key+"'s releases", body)
		if len(mine) == 0 || len(mine) >= len(all) {
			t.Errorf("%s sees %d of %d releases, want its team's only", key, len(mine), len(all))
		}
		for _, r := range mine {
			if r["team"] != team {
				t.Errorf("%s of team %s sees a release of team %v", key, team, r["team"])
			}
		}
	}

	// Checks at every stage, some answered late, one superseded, and a history in the past.
	late, superseded, longAgo := 0, 0, 0
	threeWeeksAgo := time.Now().AddDate(0, 0, -21)
	for _, st := range checks.Statuses() {
		status, body := srv.call(t, "GET", "/api/v1/checks?limit=200&status="+string(st), admin, nil)
		expect(t, "list "+string(st)+" checks", status, http.StatusOK, body)
		list := items(t, string(st)+" checks", body)
		if len(list) == 0 {
			t.Errorf("no check is %s", st)
		}
		for _, c := range list {
			if c["superseded_by"] != nil {
				superseded++
			}
			if at, ok := c["requested_at"].(string); ok {
				if when, err := time.Parse(time.RFC3339, at); err == nil && when.Before(threeWeeksAgo) {
					longAgo++
				}
			}
			if resp, ok := c["response"].(map[string]any); ok {
				answered, _ := time.Parse(time.RFC3339, fmt.Sprint(resp["responded_at"]))
				if checks.DateOf(answered).String() > fmt.Sprint(c["due_date"]) {
					late++
				}
			}
		}
	}
	if late == 0 || superseded == 0 || longAgo == 0 {
		t.Errorf("%d checks answered late, %d superseded, %d requested over three weeks ago: want some of each", late, superseded, longAgo)
	}
	status, body = srv.call(t, "GET", "/api/v1/checks?limit=200&overdue=true", admin, nil)
	expect(t, "list overdue checks", status, http.StatusOK, body)
	overdue := items(t, "overdue checks", body)
	if len(overdue) == 0 {
		t.Error("no check is overdue")
	}
	for _, c := range overdue {
		if c["overdue"] != true {
			t.Errorf("overdue=true listed check %v, which is not overdue", c["id"])
		}
	}
	// A liaison sees the requests addressed to its agency.
	status, body = srv.call(t, "GET", "/api/v1/checks?limit=200", users["liaison-camden"].token, nil)
	expect(t, "the Camden liaison lists checks", status, http.StatusOK, body)
	theirs := items(t, "the Camden liaison's checks", body)
	if len(theirs) == 0 {
		t.Error("the Camden liaison sees no check")
	}
	for _, c := range theirs {
		if c["agency"] != "E09000007" || c["requested_at"] == nil {
			t.Errorf("the Camden liaison sees check %v of agency %v, requested at %v", c["id"], c["agency"], c["requested_at"])
		}
	}

	// A second run, joining the running service, stops before writing anything.
	stdout, stderr, err = runCommand(t, env, "seed", "--demo")
	if err == nil || !strings.Contains(err.Error(), "demo data already present in") {
		t.Fatalf("a second seed returned %v, want it to say the demo data is already present\nstderr:\n%s", err, stderr)
	}
	if stdout != "" {
		t.Errorf("a refused seed wrote to standard output: %q", stdout)
	}
	if now, _ := os.ReadFile(path); string(now) != string(written) {
		t.Error("a refused seed changed the tokens file")
	}
	status, body = srv.call(t, "GET", "/api/v1/releases?limit=200", admin, nil)
	expect(t, "the admin lists releases after the second seed", status, http.StatusOK, body)
	if n := len(items(t, "releases", body)); n != len(all) {
		t.Errorf("after the refused seed there are %d releases, want %d", n, len(all))
	}
}
