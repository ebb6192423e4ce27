package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/probation/safeguarding/internal/testenv"
)

// TestMain lets a test run the real main in a child process (the test binary itself, with
// SAFEGUARDING_TEST_MAIN set), so that it can send it real signals.
func TestMain(m *testing.M) {
	if os.Getenv("SAFEGUARDING_TEST_MAIN") == "1" {
		os.Args = append([]string{"safeguarding"}, strings.Fields(os.Getenv("SAFEGUARDING_TEST_ARGS"))...)
		main()
		os.Exit(0)
	}
	os.Exit(testenv.Main(m))
}

// child is serve running as a separate process.
type child struct {
	cmd    *exec.Cmd
	url    string
	stderr *syncBuffer
	read   chan struct{} // closed once all of its standard error is read
}

func startChild(t *testing.T, env map[string]string) *child {
	t.Helper()
	c, listens := spawnChild(t, env)
	c.awaitListening(t, listens)
	return c
}

// spawnChild starts serve as a child process and returns at once, with the channel that
// gets its address once it listens.
func spawnChild(t *testing.T, env map[string]string) (*child, <-chan string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "SAFEGUARDING_TEST_MAIN=1", "SAFEGUARDING_TEST_ARGS=serve")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	c := &child{cmd: cmd, stderr: &syncBuffer{}, read: make(chan struct{})}
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		defer close(c.read)
		s := bufio.NewScanner(pipe)
		for s.Scan() {
			fmt.Fprintln(c.stderr, s.Text())
			if m := listening.FindStringSubmatch(s.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	return c, found
}

// awaitListening waits until the child listens.
func (c *child) awaitListening(t *testing.T, listens <-chan string) {
	t.Helper()
	select {
	case c.url = <-listens:
	case <-time.After(startTimeout):
		t.Fatalf("the child did not listen\n%s", c.stderr)
	}
}

// exited waits for a child that stops by itself and returns how it ended (nil for status 0).
func (c *child) exited(t *testing.T) error {
	t.Helper()
	select {
	case <-c.read: // Wait closes the pipe: only once everything in it is read
	case <-time.After(startTimeout):
		t.Fatalf("the child did not exit\n%s", c.stderr)
	}
	return c.cmd.Wait()
}

func TestSIGTERMLetsTheRequestInFlightFinishAndLosesNothing(t *testing.T) {
	env := newEnv(t)
	c := startChild(t, env)
	com, _ := addUser(t, env, "--role", "com", "--name", "Colm Oman", "--email", "colm@example.org", "--team", "N07-T1")

	// A request whose body is still arriving when the signal comes.
	body, err := json.Marshal(releaseBody(someMonthsAhead()))
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", c.url+"/api/v1/releases", pr)
	req.Header.Set("Authorization", "Bearer "+com)
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = int64(len(body))
	answered := make(chan *http.Response, 1)
	failed := make(chan error, 1)
	go func() {
		res, err := (&http.Client{Timeout: startTimeout}).Do(req)
		if err != nil {
			failed <- err
			return
		}
		answered <- res
	}()
	half := len(body) / 2
	if _, err := pw.Write(body[:half]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let the server start reading the request
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the shutdown to begin", func() bool { return strings.Contains(c.stderr.String(), "shutting down") })
	if _, err := pw.Write(body[half:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()

	var created map[string]any
	select {
	case res := <-answered:
		defer res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			b, _ := io.ReadAll(res.Body)
			t.Fatalf("the request in flight got %d %s, want 201", res.StatusCode, b)
		}
		if err := json.NewDecoder(res.Body).Decode(&created); err != nil {
			t.Fatal(err)
		}
	case err := <-failed:
		t.Fatalf("the request in flight failed: %v\n%s", err, c.stderr)
	}

	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, c.stderr)
		}
	case <-time.After(startTimeout):
		t.Fatalf("serve did not exit after SIGTERM\n%s", c.stderr)
	}
	if !strings.Contains(c.stderr.String(), "msg=stopped") {
		t.Errorf("serve did not log that it stopped cleanly\n%s", c.stderr)
	}

	// Started again on the same data, the release is there with its checks.
	s := startServe(t, env)
	status, got := s.call(t, "GET", "/api/v1/releases/"+created["id"].(string), com, nil)
	expect(t, "the release after the restart", status, http.StatusOK, got)
	if checks, _ := got["checks"].([]any); len(checks) != 2 {
		t.Errorf("after the restart the release has %d checks, want 2", len(checks))
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
