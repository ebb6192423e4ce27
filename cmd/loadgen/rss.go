package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The service's memory is read from /proc/PID/status: VmHWM is the peak resident set size,
// VmRSS the current one. Writing 5 to /proc/PID/clear_refs resets VmHWM to the current RSS
// (Linux 4.0 and later; the owner of the process may), so the peak can be taken over the
// run alone.

// statusBytes reads a "Name:   1234 kB" line of /proc/PID/status, in bytes.
func statusBytes(status, name string) (int64, bool) {
	sc := bufio.NewScanner(strings.NewReader(status))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || key != name {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, false
		}
		return n * 1024, true
	}
	return 0, false
}

func readStatus(pid int, name string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	n, ok := statusBytes(string(b), name)
	if !ok {
		return 0, fmt.Errorf("/proc/%d/status has no %s line", pid, name)
	}
	return n, nil
}

// resetPeak resets the process's VmHWM to its current RSS.
func resetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// listeningInodes returns the socket inodes of the sockets listening on port in the text
// of /proc/net/tcp or /proc/net/tcp6.
func listeningInodes(procNetTCP string, port int) []string {
	const listen = "0A"
	var inodes []string
	sc := bufio.NewScanner(strings.NewReader(procNetTCP))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if len(f) < 10 || f[3] != listen {
			continue
		}
		_, hexPort, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		p, err := strconv.ParseUint(hexPort, 16, 16)
		if err != nil || int(p) != port {
			continue
		}
		if f[9] != "0" {
			inodes = append(inodes, f[9])
		}
	}
	return inodes
}

// pidListening finds the process listening on a TCP port of this machine: the socket's
// inode from /proc/net/tcp and tcp6, then the process holding a descriptor on it. Only
// processes of the same user (or all, as root) can be looked into.
func pidListening(port int) (int, error) {
	want := map[string]bool{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, ino := range listeningInodes(string(b), port) {
			want["socket:["+ino+"]"] = true
		}
	}
	if len(want) == 0 {
		return 0, fmt.Errorf("nothing listens on port %d of this machine", port)
	}
	dirs, err := filepath.Glob("/proc/[0-9]*/fd")
	if err != nil {
		return 0, err
	}
	for _, dir := range dirs {
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // another user's process, or gone
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err == nil && want[link] {
				return strconv.Atoi(filepath.Base(filepath.Dir(dir)))
			}
		}
	}
	return 0, fmt.Errorf("the process listening on port %d is not visible (another user's?): give --pid", port)
}

// rssSampler reads a process's VmRSS every interval and keeps the highest value.
type rssSampler struct {
	pid  int
	mu   sync.Mutex
	max  int64
	stop context.CancelFunc
	done chan struct{}
}

func startSampler(pid int, interval time.Duration) *rssSampler {
	ctx, cancel := context.WithCancel(context.Background())
	s := &rssSampler{pid: pid, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) sample() {
	if n, err := readStatus(s.pid, "VmRSS"); err == nil {
		s.mu.Lock()
		s.max = max(s.max, n)
		s.mu.Unlock()
	}
}

// finish stops sampling and returns the highest VmRSS seen.
func (s *rssSampler) finish() int64 {
	s.stop()
	<-s.done
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max
}
