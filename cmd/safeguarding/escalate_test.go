package main

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/internal/testenv"
)

// setUp creates an admin and a COM, and a release through the running service; it returns
// the admin's token, the COM's token and the release.
func setUp(t *testing.T, env map[string]string, s *service) (admin, com string, release map[string]any) {
	t.Helper()
	admin, _ = addUser(t, env, "--role", "admin", "--name", "Ada Admin", "--email", "ada@example.org")
	com, _ = addUser(t, env, "--role", "com", "--name", "Colm Oman", "--email", "colm@example.org", "--team", "N07-T1")
	status, r := s.call(t, "POST", "/api/v1/releases", com, releaseBody(someMonthsAhead()))
	expect(t, "create release", status, http.StatusCreated, r)
	return admin, com, r
}

func TestServeEmailsTheAgencyWithinSecondsOfARequest(t *testing.T) {
	smtp := testenv.StartSMTP(t)
	env := newEnv(t,
		"SAFEGUARDING_SMTP_HOST", smtp.Host, "SAFEGUARDING_SMTP_PORT", strconv.Itoa(smtp.Port),
		"SAFEGUARDING_SMTP_TLS", "none", "SAFEGUARDING_MAIL_FROM", "safeguarding@probation.example.org",
		"SAFEGUARDING_NOTICE_INTERVAL", "1s", "SAFEGUARDING_OUTBOX_INTERVAL", "1s")
	s := startServe(t, env)
	admin, com, r := setUp(t, env, s)
	status, body := s.call(t, "PATCH", "/api/v1/agencies/E23000001", admin, map[string]any{"contact_email": "referrals@met.example.org"})
	expect(t, "set the Met's contact", status, http.StatusOK, body)

	da := r["checks"].([]any)[0].(map[string]any)
	status, body = s.call(t, "POST", "/api/v1/checks/"+da["id"].(string)+"/request", com, nil)
	expect(t, "request", status, http.StatusOK, body)

	deadline := time.Now().Add(30 * time.Second)
	for len(smtp.To("referrals@met.example.org")) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no request notice reached the Met within 30 s\nstderr:\n%s", s.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m := smtp.To("referrals@met.example.org")[0]
	containsAll(t, "the request notice", m.Text(), "X123456", "Domestic abuse check", "New request")
	if strings.Contains(m.Text(), "Jordan Example") {
		t.Error("the request notice names the person")
	}
	containsAll(t, "serve's log", s.stderr.String(), "msg=emails", "sent through "+smtp.Host)
}

func TestEscalateShowsThePlanAndWritesEmailsAsFilesWithoutAMailServer(t *testing.T) {
	env := newEnv(t)
	s := startServe(t, env)
	_, _, r := setUp(t, env, s)
	if err := s.stop(t); err != nil {
		t.Fatal(err)
	}
	releaseDate, _ := time.Parse(time.DateOnly, r["release_date"].(string))
	// The day after release: every open check is released incomplete; no manager exists,
	// so that rung has no address.
	asOf := releaseDate.AddDate(0, 0, 1).Add(7 * time.Hour).Format(time.RFC3339)

	stdout, _ := mustRun(t, env, "escalate", "--as-of", asOf, "--dry-run")
	containsAll(t, "the dry run's plan", stdout, "dry run", "2 open checks", "released_incomplete", "X123456",
		"request_reminder", "colm@example.org", "no address: the managers of team N07-T1")
	mailDir := filepath.Join(env["SAFEGUARDING_DATA_DIR"], "mail")
	if _, err := os.Stat(mailDir); !os.IsNotExist(err) {
		t.Fatalf("a dry run wrote emails (stat %s: %v)", mailDir, err)
	}

	// A run that writes stands at now: the clock is moved to the day after release.
	env["SAFEGUARDING_CLOCK_START"] = asOf
	stdout, stderr := mustRun(t, env, "escalate", "--as-of", asOf)
	containsAll(t, "the run's plan", stdout, "Escalation run as of", "released_incomplete")
	containsAll(t, "the run's report", stderr, "written as .eml files in", "1 sent")
	files, _ := filepath.Glob(filepath.Join(mailDir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d .eml files, want 1 (the COM's digest; the managers' is undeliverable)", len(files))
	}
	b, _ := os.ReadFile(files[0])
	containsAll(t, "the .eml", string(b), "colm@example.org", "X123456")

	// Running the same as-of again sends nothing new.
	stdout, _ = mustRun(t, env, "escalate", "--as-of", asOf)
	containsAll(t, "the second run", stdout, "0 escalations, 0 emails")
}

func TestEscalateRefusesABadAsOf(t *testing.T) {
	_, _, err := runCommand(t, newEnv(t), "escalate", "--as-of", "tomorrow")
	if err == nil || !strings.Contains(err.Error(), "RFC 3339") {
		t.Errorf("escalate --as-of tomorrow: %v, want a usage error naming RFC 3339", err)
	}
}

func TestEscalateRunsInTheFutureOnlyDry(t *testing.T) {
	env := newEnv(t)
	future := time.Now().AddDate(0, 1, 0).UTC().Format(time.RFC3339)
	tests := []struct {
		name    string
		args    []string
		refused bool
	}{
		{"a run that writes as of a time later than now is a usage error", []string{"escalate", "--as-of", future}, true},
		{"a dry run may stand in the future", []string{"escalate", "--as-of", future, "--dry-run"}, false},
		{"a run that writes as of now is run", []string{"escalate"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runCommand(t, env, tt.args...)
			if !tt.refused {
				if err != nil {
					t.Fatalf("run %q: %v", tt.args, err)
				}
				return
			}
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--as-of "+future+" is later than now") || !strings.Contains(err.Error(), "--dry-run") {
				t.Errorf("run %q: %v, want a usage error (exit status 2) saying the time is later than now and naming --dry-run", tt.args, err)
			}
			if stdout != "" {
				t.Errorf("a refused run printed a plan: %q", stdout)
			}
		})
	}
}
