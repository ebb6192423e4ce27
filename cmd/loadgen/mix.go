package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// op is one kind of operation of the load, done the same way through the service and
// directly through the driver.
type op int

const (
	opGetCheck op = iota
	opListChecks
	opCreateRelease
	opRequestCheck
	opRespondToCheck
	opCompleteCheck
	numOps
)

// ops lists every operation in the order the report shows them.
var ops = []op{opGetCheck, opListChecks, opCreateRelease, opRequestCheck, opRespondToCheck, opCompleteCheck}

func (o op) String() string {
	switch o {
	case opGetCheck:
		return "get_check"
	case opListChecks:
		return "list_checks"
	case opCreateRelease:
		return "create_release"
	case opRequestCheck:
		return "request_check"
	case opRespondToCheck:
		return "respond_to_check"
	case opCompleteCheck:
		return "complete_check"
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// write reports whether the operation changes data.
func (o op) write() bool { return o >= opCreateRelease && o < numOps }

// mix is the share of each kind of request, as whole-number weights: reads of one check,
// lists, and writes. Writes follow each client's lifecycle (create a release, request its
// domestic abuse check, the police answer, the COM completes it), so the four writes come
// in equal numbers.
type mix struct {
	Get, List, Write int
}

// defaultMix is a working day's traffic as we expect it: mostly people looking at checks.
var defaultMix = mix{Get: 40, List: 25, Write: 35}

func (m mix) String() string {
	return fmt.Sprintf("get=%d,list=%d,write=%d", m.Get, m.List, m.Write)
}

// parseMix reads a mix such as "get=40,list=25,write=35"; a kind left out weighs 0.
func parseMix(s string) (mix, error) {
	var m mix
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		n, err := strconv.Atoi(strings.TrimSpace(value))
		if !ok || err != nil || n < 0 {
			return mix{}, fmt.Errorf("mix %q: %q is not name=weight with a whole number weight of 0 or more", s, part)
		}
		if seen[name] {
			return mix{}, fmt.Errorf("mix %q: %s is given twice", s, name)
		}
		seen[name] = true
		switch name {
		case "get":
			m.Get = n
		case "list":
			m.List = n
		case "write":
			m.Write = n
		default:
			return mix{}, fmt.Errorf("mix %q: unknown kind %q (use get, list and write)", s, name)
		}
	}
	if m.Get+m.List+m.Write == 0 {
		return mix{}, fmt.Errorf("mix %q: the weights add up to 0", s)
	}
	return m, nil
}

// lifecycle is where one client is in the life of the release it works on: the next write
// it makes, and the ids it needs for it.
type lifecycle struct {
	next      op     // opCreateRelease, opRequestCheck, opRespondToCheck or opCompleteCheck
	releaseID string // the release being worked on
	checkID   string // its domestic abuse check
	version   int64  // the check's version after the last write (direct side only)
}

func newLifecycle() lifecycle { return lifecycle{next: opCreateRelease} }

// advance moves on after a write succeeded: after completing a check, a new release.
func (l *lifecycle) advance() {
	switch l.next {
	case opCreateRelease:
		l.next = opRequestCheck
	case opRequestCheck:
		l.next = opRespondToCheck
	case opRespondToCheck:
		l.next = opCompleteCheck
	default:
		*l = newLifecycle()
	}
}

// reset starts a new release after a write failed: the check may be in any state now.
func (l *lifecycle) reset() { *l = newLifecycle() }

// pick chooses a client's next operation: a read by weight, or its lifecycle's next write.
func (m mix) pick(r *rand.Rand, l *lifecycle) op {
	n := r.IntN(m.Get + m.List + m.Write)
	switch {
	case n < m.Get:
		return opGetCheck
	case n < m.Get+m.List:
		return opListChecks
	}
	return l.next
}
