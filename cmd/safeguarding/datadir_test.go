package main

// What serve and the commands do with one embedded data directory: who runs its server, who
// joins it, and how it is reached.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/probation/safeguarding/internal/embedded"
	"github.com/probation/safeguarding/internal/testenv"
)

func TestServeOnALongDataDirectoryIsReachableOnlyThroughAUnixSocket(t *testing.T) {
	// Too long for the socket to live in the data directory (a Unix socket's path has at most
	// about 100 bytes).
	dataDir := filepath.Join(t.TempDir(), strings.Repeat("a-data-directory-deep-down/", 5))
	env := newEmbeddedEnv(t, "SAFEGUARDING_DATA_DIR", dataDir)
	srv := startChild(t, env)

	b, err := os.ReadFile(filepath.Join(dataDir, "mongodb.addr"))
	if err != nil {
		t.Fatal(err)
	}
	uri := string(b)
	if !strings.HasPrefix(uri, "mongodb://%2F") {
		t.Fatalf("serve advertises %q, want a Unix socket (an absolute path)", uri)
	}
	host, _, _ := strings.Cut(strings.TrimPrefix(uri, "mongodb://"), "/")
	socket, err := url.PathUnescape(host)
	if err != nil {
		t.Fatal(err)
	}

	// A command, another process, finds it through the advertised file.
	token, stderr := addUser(t, env, "--role", "admin", "--name", "Ada Admin", "--email", "ada@example.org")
	containsAll(t, "users add's standard error", stderr, "shared with the service already running there")
	status, body := (&service{url: srv.url}).call(t, "GET", "/api/v1/me", token, nil)
	expect(t, "GET /api/v1/me with the token users add made", status, http.StatusOK, body)

	// Stopped, serve leaves no socket behind, nor the directory made for it.
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.exited(t); err != nil {
		t.Fatalf("serve exited with %v after SIGTERM\n%s", err, srv.stderr)
	}
	if _, err := os.Stat(filepath.Dir(socket)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the socket's directory %s is left after serve stopped (stat: %v)", filepath.Dir(socket), err)
	}
}

func TestASecondServeOnTheSameDataDirectoryIsRefusedWhileCommandsStillJoin(t *testing.T) {
	env := newEmbeddedEnv(t)
	dataDir := env["SAFEGUARDING_DATA_DIR"]
	first := startChild(t, env)

	second, _ := spawnChild(t, env)
	waitFor(t, "the second serve to stop or to listen", func() bool {
		select {
		case <-second.read:
			return true
		default:
			return listening.MatchString(second.stderr.String())
		}
	})
	if listening.MatchString(second.stderr.String()) {
		t.Fatalf("the second serve listened beside the first\n%s", second.stderr)
	}
	err := second.exited(t)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("the second serve ended with %v, want a non-zero exit status\n%s", err, second.stderr)
	}
	containsAll(t, "the second serve's standard error", second.stderr.String(),
		fmt.Sprintf("another safeguarding serve (pid %d) is using the data directory %s", first.cmd.Process.Pid, dataDir),
		"stop it first", "MONGODB_URI")

	// The commands still work, through the first serve's database.
	token, stderr := addUser(t, env, "--role", "admin", "--name", "Ada Admin", "--email", "ada@example.org")
	containsAll(t, "users add's standard error", stderr, "shared with the service already running there")
	stdout, _ := mustRun(t, env, "users", "list")
	containsAll(t, "users list", stdout, "ada@example.org")
	m := regexp.MustCompile(`\(id ([^)\s]+)\)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("users add does not say the user's id:\n%s", stderr)
	}
	stdout, _ = mustRun(t, env, "tokens", "issue", "--user", m[1])
	issued := onlyToken(t, stdout)
	for _, tok := range []string{token, issued} {
		status, body := (&service{url: first.url}).call(t, "GET", "/api/v1/me", tok, nil)
		expect(t, "GET /api/v1/me on the first serve with a token a command made", status, http.StatusOK, body)
	}
}

func TestServeWaitsForACommandsDatabaseToStopAndStartsItsOwn(t *testing.T) {
	env := newEmbeddedEnv(t)
	dataDir := env["SAFEGUARDING_DATA_DIR"]
	// This process plays the command: it runs the directory's server, as users add does when
	// no serve runs.
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	command, err := embedded.Open(ctx, dataDir, testenv.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = command.Close() })

	c, listens := spawnChild(t, env)
	waitFor(t, "serve to wait for the command or to listen", func() bool {
		log := c.stderr.String()
		return strings.Contains(log, "waiting for") || listening.MatchString(log)
	})
	if listening.MatchString(c.stderr.String()) {
		t.Fatalf("serve listened while a command ran the database: it joined a server that stops with the command\n%s", c.stderr)
	}
	if err := command.Close(); err != nil {
		t.Fatal(err)
	}
	c.awaitListening(t, listens)
	containsAll(t, "serve's log", c.stderr.String(), "embedded database in "+dataDir+" (started by this process)")

	token, stderr := addUser(t, env, "--role", "admin", "--name", "Ada Admin", "--email", "ada@example.org")
	containsAll(t, "users add's standard error", stderr, "shared with the service already running there")
	status, body := (&service{url: c.url}).call(t, "GET", "/api/v1/me", token, nil)
	expect(t, "GET /api/v1/me with the token users add made", status, http.StatusOK, body)
}
