package main

// What serve and the commands do with one embedded data directory: who runs its server, who
// joins it, and how it is reached.

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if uri := string(b); !strings.HasPrefix(uri, "mongodb://%2F") {
		t.Fatalf("serve advertises %q, want a Unix socket (an absolute path)", uri)
	}

	// A command, another process, finds it through the advertised file.
	token, stderr := addUser(t, env, "--role", "admin", "--name", "Ada Admin", "--email", "ada@example.org")
	containsAll(t, "users add's standard error", stderr, "shared with the service already running there")
	status, body := (&service{url: srv.url}).call(t, "GET", "/api/v1/me", token, nil)
	expect(t, "GET /api/v1/me with the token users add made", status, http.StatusOK, body)
}
