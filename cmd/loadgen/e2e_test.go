package main

// End to end: the service's binary is built and run as serve, on a fresh data directory and
// a free loopback port, and loadgen runs against it with a small request count, creating
// its users with the binary's "users add" and joining the embedded database through the
// socket in the data directory.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// buildService builds the safeguarding command into dir.
func buildService(t *testing.T, dir string) string {
	t.Helper()
	// go test puts the go command of its GOROOT first in PATH.
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "safeguarding")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/probation/safeguarding/cmd/safeguarding")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var listening = regexp.MustCompile(`msg=listening url=(http://127\.0\.0\.1:\d+)`)

// startService runs bin serve on dataDir and returns its URL and process.
func startService(t *testing.T, bin, dataDir string) (string, *exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MONGODB_URI=") && !strings.HasPrefix(kv, "SAFEGUARDING_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "SAFEGUARDING_DATA_DIR="+dataDir, "SAFEGUARDING_ADDR=127.0.0.1:0", "SAFEGUARDING_RATE_LIMIT=0", "SAFEGUARDING_MAX_IN_FLIGHT_PER_USER=0")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("serve exited with %v after SIGTERM\n%s", err, logs)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("serve did not stop within 30 s of SIGTERM")
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := listening.FindStringSubmatch(logs.String()); m != nil {
			return m[1], cmd, logs
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("serve exited (%v) before it listened\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not listen within 60 s\n%s", logs)
		}
	}
}

func TestLoadgenDrivesARunningServiceAndReportsEveryOperation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the service")
	}
	dir := t.TempDir()
	bin := buildService(t, dir)
	dataDir := filepath.Join(dir, "data")
	url, serve, _ := startService(t, bin, dataDir)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr syncBuffer
	err := run(ctx, []string{
		"--url", url, "--safeguarding", bin, "--data-dir", dataDir,
		"--clients", "4", "--requests", "60", "--rounds", "2", "--duration", "40s",
		// Write-heavy, so that every client goes through whole lifecycles.
		"--mix", "get=25,list=15,write=60", "--json",
	}, func(string) string { return "" }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("loadgen: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, stdout.String())
	}

	// Bounded in time too: on a busy machine the run may stop short of 60.
	if rep.Service.Count == 0 || rep.Service.Count > 60 || rep.Direct.Count > rep.Service.Count {
		t.Errorf("service %d and direct %d operations, want at most 60, the direct side no more than the service", rep.Service.Count, rep.Direct.Count)
	}
	if rep.Service.Errors+rep.Direct.Errors != 0 {
		t.Errorf("errors: %v", rep.Errors)
	}
	if len(rep.Operations) != len(ops) {
		t.Fatalf("%d operations reported, want %d", len(rep.Operations), len(ops))
	}
	for i, o := range rep.Operations {
		if o.Name != ops[i].String() {
			t.Errorf("operation %d is %s, want %s", i, o.Name, ops[i])
		}
		for _, st := range []OpStats{o.Service, o.Direct} {
			if st.Count == 0 || st.Errors != 0 || st.P50Ms <= 0 || st.P99Ms < st.P50Ms {
				t.Errorf("%s: %+v", o.Name, st)
			}
		}
		if o.RatioP50 <= 0 {
			t.Errorf("%s: no ratio service/direct", o.Name)
		}
	}
	// The core of each direct operation is part of it: never slower than the whole.
	if len(rep.Core) != len(ops) {
		t.Fatalf("%d core queries reported, want %d", len(rep.Core), len(ops))
	}
	for i, c := range rep.Core {
		if c.Name != ops[i].String() || c.Direct.Count == 0 || c.Direct.P50Ms <= 0 || c.Direct.P50Ms > rep.Operations[i].Direct.P50Ms || c.RatioP50 <= 0 {
			t.Errorf("core of %s: %+v (whole direct operation %+v)", ops[i], c, rep.Operations[i].Direct)
		}
	}
	if rep.RSS.PID != serve.Process.Pid || rep.RSS.PeakBytes <= 0 || rep.RSS.Note != "" {
		t.Errorf("RSS %+v, want the peak of pid %d", rep.RSS, serve.Process.Pid)
	}
	if !strings.Contains(rep.Database, dataDir) {
		t.Errorf("the direct side is %q, not the embedded database in %s", rep.Database, dataDir)
	}
}
