package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scheduleFile writes a release schedule of two releases for team N07-T1 and returns its path.
func scheduleFile(t *testing.T, releaseDate string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "schedule.csv")
	content := "crn,noms_number,full_name,date_of_birth,release_date,prison_code,team,com_email,address_line_1,town,postcode,police_force,local_authority\r\n" +
		"X100001,A1001BC,Jordan Example,1985-03-02," + releaseDate + ",LEI,N07-T1,colm@example.org,1 Example Street,London,EC1A 1BB,E23000001,City of London\r\n" +
		"X100002,A1002BC,Sam Example,1990-07-01," + releaseDate + ",LEI,N07-T1,colm@example.org,2 Example Street,London,EC1A 1BB,Metropolitan Police Service,E09000001\r\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestImportLoadsAScheduleIntoARunningServiceAsTheUserItNames(t *testing.T) {
	env := newEnv(t)
	s := startServe(t, env)
	admin, _ := addUser(t, env, "--role", "admin", "--name", "Ada Admin", "--email", "ada@example.org")
	com, _ := addUser(t, env, "--role", "com", "--name", "Colm Oman", "--email", "colm@example.org", "--team", "N07-T1")
	file := scheduleFile(t, someMonthsAhead())

	stdout, _ := mustRun(t, env, "import", file, "--dry-run", "--as", "colm@example.org")
	containsAll(t, "the dry run", stdout, "2 rows (dry run: nothing changed): 2 to add, 0 to change", "X100001", "X100002")
	if strings.Contains(stdout, "Jordan") {
		t.Error("the report names the person")
	}
	status, list := s.call(t, "GET", "/api/v1/releases", com, nil)
	expect(t, "list", status, http.StatusOK, list)
	if n := len(list["items"].([]any)); n != 0 {
		t.Fatalf("a dry run recorded %d releases", n)
	}

	stdout, _ = mustRun(t, env, "import", "--as", "colm@example.org", file)
	containsAll(t, "the import", stdout, "2 rows (imported): 2 to add", "Audited as import")
	status, list = s.call(t, "GET", "/api/v1/releases", com, nil)
	expect(t, "list", status, http.StatusOK, list)
	if n := len(list["items"].([]any)); n != 2 {
		t.Fatalf("got %d releases, want 2", n)
	}
	stdout, _ = mustRun(t, env, "import", "--as", "colm@example.org", file)
	containsAll(t, "the second import", stdout, "0 to add, 0 to change, 2 unchanged, 0 rejected")

	status, audit := s.call(t, "GET", "/api/v1/audit?resource=import", admin, nil)
	expect(t, "audit", status, http.StatusOK, audit)
	items := audit["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["actor_name"] != "Colm Oman" {
		t.Errorf("audit of the imports: %v", items)
	}
}

func TestImportRefusesWhatItCannotRunAndSaysWhy(t *testing.T) {
	env := newEnv(t)
	addUser(t, env, "--role", "com", "--name", "Colm Oman", "--email", "colm@example.org", "--team", "N07-T1")
	addUser(t, env, "--role", "liaison", "--name", "Pat Police", "--email", "pat@police.example.org", "--agency", "E23000001")
	notCSV := filepath.Join(t.TempDir(), "notes.csv")
	if err := os.WriteFile(notCSV, []byte("crn,name\nX100001,Jordan\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"without --as", []string{"import", scheduleFile(t, someMonthsAhead())}, "needs --as EMAIL"},
		{"as nobody", []string{"import", "--as", "nobody@example.org", scheduleFile(t, someMonthsAhead())}, "no user has the email nobody@example.org"},
		{"as a liaison", []string{"import", "--as", "pat@police.example.org", scheduleFile(t, someMonthsAhead())}, "only COMs, managers and admins"},
		{"a file lacking columns", []string{"import", "--as", "colm@example.org", notCSV}, "the file is refused: the header row lacks the required column(s) noms_number"},
		{"a row rejected", []string{"import", "--as", "colm@example.org", scheduleFile(t, "2020-01-01")}, "2 of 2 rows rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, err := runCommand(t, env, tt.args...)
			if err == nil || !strings.Contains(err.Error()+stderr, tt.want) {
				t.Errorf("got %v (stderr %q), want an error saying %q", err, stderr, tt.want)
			}
		})
	}
}
