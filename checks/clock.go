package checks

import "time"

// Clock tells the time. Every "now" in the service comes from one, so that a test or a demo
// can stand at any date.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real time.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// OffsetClock starts at a chosen instant and runs on in real time from there.
type OffsetClock struct {
	offset time.Duration
}

// NewOffsetClock returns a clock that reads start now and moves on with real time.
func NewOffsetClock(start time.Time) *OffsetClock {
	return &OffsetClock{offset: time.Until(start)}
}

// Now returns the real time moved by the clock's offset.
func (c *OffsetClock) Now() time.Time { return time.Now().Add(c.offset) }
