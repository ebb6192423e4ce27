package store

import (
	"context"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"go.mongodb.org/mongo-driver/v2/bson"
)

func TestAnUrgentFlagIsWrittenReadBackAndClearedByAnUpdate(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 22, 10, 0, 0, 0, time.UTC)
	// Requested on Tuesday 22 December 2026 for release on Thursday 24th: due Wednesday 23rd,
	// after the hard stop of the 22nd, so urgent.
	c := checks.Check{
		ID: "64b000000000000000000001", ReleaseID: "64b000000000000000000002", Type: checks.TypeDomesticAbuse,
		Agency: "E23000001", Status: checks.StatusRequested, RequestBy: checks.MustDate("2026-12-22"),
		RequestedAt: now, DueDate: checks.MustDate("2026-12-23"), Urgent: true, Version: 1,
		CRN: "X123456", ReleaseDate: checks.MustDate("2026-12-24"), Team: "N07-T1",
	}
	if err := s.InsertCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		urgent bool
		due    string
	}{
		{"an urgent check reads back urgent", true, "2026-12-23"},
		// The release put back to 15 February 2027: ten working days, due 8 January.
		{"an update that clears the flag clears it in the document", false, "2027-01-08"},
		{"an update may set it again", true, "2026-12-23"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if i > 0 {
				next := c
				next.Urgent, next.DueDate = tt.urgent, checks.MustDate(tt.due)
				var err error
				if c, err = s.UpdateCheck(ctx, next, nil, now); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Check(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Urgent != tt.urgent || got.DueDate.String() != tt.due {
				t.Errorf("stored check: urgent %v due %s, want %v %s", got.Urgent, got.DueDate, tt.urgent, tt.due)
			}
			// The document holds the field by its snake_case name (a new check that is not
			// urgent leaves it out; an update writes false).
			var raw bson.M
			if err := s.checks.FindOne(ctx, bson.M{"_id": c.ID}).Decode(&raw); err != nil {
				t.Fatal(err)
			}
			if v := raw["urgent"]; (v == true) != tt.urgent {
				t.Errorf("document field urgent = %v, want %v", v, tt.urgent)
			}
		})
	}
}
