package store

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/probation/safeguarding/checks"
)

func TestMovingAReleaseOntoTheDateOfAnotherOfThePersonsReleasesIsAConflictAndChangesNothing(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	release := func(date string) checks.Release {
		t.Helper()
		r := checks.Release{ID: bson.NewObjectID().Hex(), CRN: "X123456", ReleaseDate: checks.MustDate(date), Team: "N07-T1",
			Status: checks.ReleaseActive, Version: 1}
		if err := s.InsertRelease(ctx, r); err != nil {
			t.Fatalf("insert the release of %s: %v", date, err)
		}
		return r
	}
	release("2027-02-15")
	moved := release("2027-03-01")
	moved.ReleaseDate = checks.MustDate("2027-02-15")

	_, err := s.UpdateRelease(ctx, moved)
	if checks.ErrorCode(err) != checks.ECONFLICT {
		t.Fatalf("UpdateRelease onto a date taken = %v, want a conflict", err)
	}
	got, err := s.Release(ctx, moved.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ReleaseDate.String() != "2027-03-01" || got.Version != 1 {
		t.Errorf("after the conflict the release is on %s at version %d, want 2027-03-01 at version 1", got.ReleaseDate, got.Version)
	}
}
