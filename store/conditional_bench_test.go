package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
)

// BenchmarkConditionalUpdate times one change of a check (UpdateCheck: at the version read,
// with an audit entry, then its copy to the trail) among n stored checks, interleaved with two
// baselines on the same data: the single conditional findAndModify the store sent before it
// tested conditions itself on the embedded server (filter {_id, version}), and a read of one
// check by id. On the real engine the store still sends that findAndModify, so the first two
// should be close there. A team's first page of checks is timed too: a list is not by id, so
// on the embedded server it still reads the whole collection.
func BenchmarkConditionalUpdate(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprintf("checks=%d", n), func(b *testing.B) {
			s := newStore(b)
			ctx := context.Background()
			ids := seedChecks(b, s, n)
			now := time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC)
			var store, single, read, list []float64
			ms := func(since time.Time) float64 { return float64(time.Since(since).Microseconds()) / 1000 }
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				c, err := s.Check(ctx, ids[(i*7919)%n])
				if err != nil {
					b.Fatal(err)
				}
				entry := checks.AuditEntry{ID: bson.NewObjectID().Hex(), At: now, ActorName: "Colm Oman", Action: "check.note",
					Resource: checks.ResourceCheck, ResourceID: c.ID, ReleaseID: c.ReleaseID}
				start := time.Now()
				if c, err = s.UpdateCheck(ctx, c, nil, now, entry); err != nil {
					b.Fatal(err)
				}
				store = append(store, ms(start))

				start = time.Now()
				var out checkDoc
				err = s.checks.FindOneAndUpdate(ctx, bson.M{"_id": c.ID, "version": c.Version},
					bson.M{"$set": bson.M{"updated_at": now}, "$inc": bson.M{"version": 1}},
					options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&out)
				if err != nil {
					b.Fatal(err)
				}
				single = append(single, ms(start))

				start = time.Now()
				if _, err := s.Check(ctx, ids[(i*104729+1)%n]); err != nil {
					b.Fatal(err)
				}
				read = append(read, ms(start))

				start = time.Now()
				team := checks.User{Role: checks.RoleCOM, Teams: []string{fmt.Sprintf("T%02d", i%40+1)}}
				if _, err := s.FindChecks(ctx, checks.CheckQuery{Scope: checks.ScopeOf(team), Today: checks.MustDate("2027-01-05"), Limit: 50}); err != nil {
					b.Fatal(err)
				}
				list = append(list, ms(start))
			}
			b.ReportMetric(median(store), "update-ms")
			b.ReportMetric(median(single), "filter-update-ms")
			b.ReportMetric(median(read), "read-ms")
			b.ReportMetric(median(list), "team-list-ms")
			b.ReportMetric(median(store)/median(single), "update/filter")
			b.ReportMetric(median(store)/median(read), "update/read")
		})
	}
}

// seedChecks writes n checks as a region's year leaves them (four in five closed, each with
// its history), and returns their ids.
func seedChecks(b *testing.B, s *Store, n int) []string {
	b.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	statuses := []checks.Status{checks.StatusCompleted, checks.StatusCompleted, checks.StatusCompleted, checks.StatusCompleted, checks.StatusRequested}
	ids := make([]string, 0, n)
	for i := 0; i < n; i += 1000 {
		var batch []checks.Check
		for j := i; j < min(n, i+1000); j++ {
			release := checks.MustDate("2026-04-01").AddDays(j * 365 / n)
			c := checks.Check{ID: bson.NewObjectID().Hex(), ReleaseID: bson.NewObjectID().Hex(), Type: checks.CheckTypes()[j%2],
				Agency: fmt.Sprintf("A%02d", j%43+1), Status: statuses[j%len(statuses)], RequestBy: release.AddDays(-42),
				ReleaseDate: release, Team: fmt.Sprintf("T%02d", j%40+1), COMID: "com", CRN: fmt.Sprintf("X%06d", j), Version: 3,
				RequestedAt: at, DueDate: release.AddDays(-26),
				History: []checks.HistoryEntry{
					{At: at, ActorName: "Colm Oman", From: checks.StatusRequired, To: checks.StatusRequested},
					{At: at.Add(72 * time.Hour), ActorName: "Lia Ison", From: checks.StatusRequested, To: checks.StatusResponded},
					{At: at.Add(96 * time.Hour), ActorName: "Colm Oman", From: checks.StatusResponded, To: checks.StatusCompleted},
				}}
			batch = append(batch, c)
			ids = append(ids, c.ID)
		}
		if err := s.InsertChecks(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	return ids
}

// median is the middle of xs (the mean of the two middle ones when there are an even number).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
