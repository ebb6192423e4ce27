package store

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// insertCheck writes a check whose request_reminder fired on 4 January 2027 against that
// request-by date, and returns it as stored.
func insertCheck(t *testing.T, s *Store, id string) checks.Check {
	t.Helper()
	ctx := context.Background()
	c := checks.Check{ID: id, ReleaseID: "r" + id, Type: checks.TypeDomesticAbuse, Agency: "E23000001", Status: checks.StatusRequired,
		RequestBy: checks.MustDate("2027-01-04"), ReleaseDate: checks.MustDate("2027-02-15"), CRN: "X123456", Team: "T1", COMID: "com1"}
	if err := s.InsertCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 1, 4, 7, 0, 0, 0, time.UTC)
	first := checks.Escalation{At: at, AsOf: at, Basis: c.RequestBy, Due: c.RequestBy, To: []string{"com@example.org"}}
	if ok, err := s.MarkEscalation(ctx, id, "request_reminder", first); err != nil || !ok {
		t.Fatalf("first firing: %v, %v", ok, err)
	}
	c, err := s.Check(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestARungIsRecordedOncePerBasisAndKeepsItsEarlierFirings(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	c := insertCheck(t, s, "c1")
	first := c.Escalations["request_reminder"]
	later := time.Date(2027, 2, 1, 7, 0, 0, 0, time.UTC)
	moved := checks.MustDate("2027-02-01")
	tests := []struct {
		name string
		e    checks.Escalation
		want bool
	}{
		{"a first firing is refused where the rung has a record",
			checks.Escalation{At: later, AsOf: later, Basis: moved, To: []string{}}, false},
		{"a firing against a new basis that replaces a record no longer there is refused",
			checks.Escalation{At: later, AsOf: later, Basis: moved, To: []string{},
				Earlier: []checks.Escalation{{At: later.Add(-time.Hour), Basis: checks.MustDate("2027-01-05")}}}, false},
		{"a firing against the new request-by date replaces the record and keeps it",
			checks.Escalation{At: later, AsOf: later, Basis: moved, To: []string{"com@example.org"}, Earlier: []checks.Escalation{first}}, true},
		{"the same firing again is refused: the rung has fired for that basis",
			checks.Escalation{At: later.Add(time.Minute), AsOf: later, Basis: moved, To: []string{}, Earlier: []checks.Escalation{first}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := s.MarkEscalation(ctx, c.ID, "request_reminder", tt.e)
			if err != nil || ok != tt.want {
				t.Errorf("MarkEscalation = %v, %v; want %v", ok, err, tt.want)
			}
		})
	}
	got, err := s.Check(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	e := got.Escalations["request_reminder"]
	if e.Basis != moved || !e.At.Equal(later) || len(e.Earlier) != 1 || e.Earlier[0].Basis != first.Basis ||
		!e.Earlier[0].At.Equal(first.At) || !slices.Equal(e.Earlier[0].To, first.To) {
		t.Errorf("record = %+v; want the firing against 2027-02-01 with the one against 2027-01-04 before it", e)
	}
	if got.Version != c.Version {
		t.Errorf("recording bumped the version from %d to %d", c.Version, got.Version)
	}
}

func TestOfEightReplicasRecordingARungAgainstANewBasisExactlyOneDoes(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	c := insertCheck(t, s, "c2")
	first := c.Escalations["request_reminder"]
	later := time.Date(2027, 2, 1, 7, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	wins := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.MarkEscalation(ctx, c.ID, "request_reminder", checks.Escalation{At: later, AsOf: later,
				Basis: checks.MustDate("2027-02-01"), To: []string{}, Earlier: []checks.Escalation{first}})
			if err != nil {
				t.Error(err)
			}
			wins <- ok
		}()
	}
	wg.Wait()
	close(wins)
	n := 0
	for ok := range wins {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d replicas recorded it, want exactly 1", n)
	}
}

func TestARecordWrittenBeforeBasesWereKeptIsReadWithoutOneAndGivenOneOnce(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	c := insertCheck(t, s, "c3")
	// What an earlier version wrote: at, as_of and to only.
	at := time.Date(2027, 1, 11, 7, 0, 0, 0, time.UTC)
	if _, err := s.checks.UpdateOne(ctx, bson.M{"_id": c.ID},
		bson.M{"$set": bson.M{"escalations.request_overdue": bson.M{"at": at, "as_of": at, "to": bson.A{"com@example.org"}}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Check(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e := got.Escalations["request_overdue"]; !e.Basis.IsZero() || !e.At.Equal(at) || len(e.Earlier) != 0 {
		t.Fatalf("old record read as %+v, want no basis", e)
	}
	basis := checks.MustDate("2027-01-04")
	for i, want := range []bool{true, false} {
		ok, err := s.AdoptEscalation(ctx, c.ID, "request_overdue", basis, basis)
		if err != nil || ok != want {
			t.Errorf("adoption %d = %v, %v; want %v", i+1, ok, err, want)
		}
	}
	if ok, err := s.AdoptEscalation(ctx, c.ID, "response_overdue", basis, basis); err != nil || ok {
		t.Errorf("adopting a record that does not exist = %v, %v; want nothing written", ok, err)
	}
	got, _ = s.Check(ctx, c.ID)
	if e := got.Escalations["request_overdue"]; e.Basis != basis || e.Due != basis || !e.At.Equal(at) {
		t.Errorf("adopted record = %+v", e)
	}
	if _, ok := got.Escalations["response_overdue"]; ok {
		t.Error("adoption created a record")
	}
}
