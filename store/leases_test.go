package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/probation/safeguarding/notify"
)

func TestOfSixteenReplicasAskingForALeaseAtOnceExactlyOneGetsIt(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2027, 2, 1, 7, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	won := make(chan string, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			holder := fmt.Sprintf("replica-%d", i)
			ok, err := s.Lease(ctx, "run", holder, now, now.Add(time.Minute))
			if err != nil {
				t.Errorf("%s: %v", holder, err)
			}
			if ok {
				won <- holder
			}
		}()
	}
	wg.Wait()
	close(won)
	var winners []string
	for w := range won {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("winners %v, want exactly one", winners)
	}
	tests := []struct {
		name   string
		holder string
		at     time.Time
		want   bool
	}{
		{"the holder may take it again", winners[0], now, true},
		{"another replica may not while it runs", "someone-else", now.Add(30 * time.Second), false},
		{"another replica may once it has run out", "someone-else", now.Add(2 * time.Minute), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := s.Lease(ctx, "run", tt.holder, tt.at, tt.at.Add(time.Minute))
			if err != nil || ok != tt.want {
				t.Errorf("Lease = %v, %v; want %v", ok, err, tt.want)
			}
		})
	}
	if err := s.EndLease(ctx, "run", "someone-else"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Lease(ctx, "run", winners[0], now.Add(2*time.Minute), now.Add(3*time.Minute)); err != nil || !ok {
		t.Errorf("after its holder ended it, the lease is not free: %v, %v", ok, err)
	}
}

func TestASecondCopyOfAnEmailAlreadySentIsDroppedNotSent(t *testing.T) {
	s := newStore(t)
	o := NewOutbox(s.Database())
	ctx := context.Background()
	if err := o.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 2, 1, 7, 0, 0, 0, time.UTC)
	e := notify.Email{Key: "k1", To: "com@example.org", Subject: "s", Text: "t", Status: notify.StatusPending, NextAttemptAt: now, CreatedAt: now}
	if ok, err := o.Insert(ctx, e); !ok || err != nil {
		t.Fatalf("Insert = %v, %v", ok, err)
	}
	claimed, err := o.Claim(ctx, now, time.Minute, 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("Claim = %d, %v", len(claimed), err)
	}
	if err := o.MarkSent(ctx, "k1", now); err != nil {
		t.Fatal(err)
	}
	// What Insert does when MarkSent moves the key between its look at the sent ones and its
	// insert: the copy lands among the waiting ones.
	if _, err := o.waiting.InsertOne(ctx, toDoc(e)); err != nil {
		t.Fatal(err)
	}
	claimed, err = o.Claim(ctx, now.Add(time.Second), time.Minute, 10)
	if err != nil || len(claimed) != 0 {
		t.Fatalf("the second copy was claimed for sending: %d, %v", len(claimed), err)
	}
	if n, err := o.waiting.CountDocuments(ctx, map[string]any{}); err != nil || n != 0 {
		t.Errorf("%d emails left waiting (%v), want the copy dropped", n, err)
	}
}
