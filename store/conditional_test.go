package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
)

func TestAConditionIsMetOnlyWhenEveryPartOfItHolds(t *testing.T) {
	at := time.Date(2027, 1, 4, 7, 0, 0, 0, time.UTC)
	doc, err := bson.Marshal(bson.M{
		"_id": "c1", "version": int64(3), "audit_seq": int32(2),
		"escalations": bson.M{"request_reminder": bson.M{"basis": "2027-01-04", "at": at}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cond bson.D
		want bool
	}{
		{"no condition is met", nil, true},
		{"the stored version is met", bson.D{{Key: "version", Value: int64(3)}}, true},
		{"another version is not", bson.D{{Key: "version", Value: int64(4)}}, false},
		{"a number is compared by value, whatever its width", bson.D{{Key: "audit_seq", Value: int64(2)}}, true},
		{"a number is not met by a string of it", bson.D{{Key: "version", Value: "3"}}, false},
		{"a field within a record is met by its value", bson.D{{Key: "escalations.request_reminder.basis", Value: "2027-01-04"}}, true},
		{"a date is met by the same instant", bson.D{{Key: "escalations.request_reminder.at", Value: at}}, true},
		{"a date is not met by another instant", bson.D{{Key: "escalations.request_reminder.at", Value: at.Add(time.Second)}}, false},
		{"a present record is met by present", bson.D{{Key: "escalations.request_reminder", Value: present}}, true},
		{"a present record is not met by absent", bson.D{{Key: "escalations.request_reminder", Value: absent}}, false},
		{"a missing record is met by absent", bson.D{{Key: "escalations.response_overdue", Value: absent}}, true},
		{"a missing field is not met by a value", bson.D{{Key: "revoked_at", Value: at}}, false},
		{"one unmet part fails the whole", bson.D{{Key: "version", Value: int64(3)}, {Key: "escalations.request_reminder.basis", Value: "2027-02-01"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := meets(bson.Raw(doc), tt.cond); got != tt.want {
				t.Errorf("meets(%v) = %v, want %v", tt.cond, got, tt.want)
			}
		})
	}
}

func TestTheStoreTestsConditionsItselfOnlyOnAServerThatWouldScanForThem(t *testing.T) {
	s := newStore(t)
	scans, err := s.scansConditions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := !testenv.RealEngine(); scans != want {
		t.Errorf("scansConditions = %v on the %s, want %v", scans, engineName(), want)
	}
}

func engineName() string {
	if testenv.RealEngine() {
		return "real engine"
	}
	return "embedded server"
}

// TestOfEightWritersAtOneVersionOfACheckExactlyOneWinsAndNoAuditEntryIsLost races writers that
// each read the check, change it at the version read and retry when they lose, each change
// carrying an audit entry. The copies of the entries to the audit trail race the writes too,
// so an entry pushed between a copy's read and its clear would be lost if a write could come
// between them.
func TestOfEightWritersAtOneVersionOfACheckExactlyOneWinsAndNoAuditEntryIsLost(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	c := insertCheck(t, s, "c-race")
	now := time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC)
	const writers, each = 8, 5

	var wg sync.WaitGroup
	var mu sync.Mutex
	stale := 0
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				for {
					cur, err := s.Check(ctx, c.ID)
					if err != nil {
						t.Error(err)
						return
					}
					entry := checks.AuditEntry{ID: bson.NewObjectID().Hex(), At: now, ActorName: fmt.Sprintf("writer %d", w),
						Action: "check.note", Resource: checks.ResourceCheck, ResourceID: c.ID, ReleaseID: c.ReleaseID,
						Changes: []checks.Change{{Field: "note", After: fmt.Sprint(i)}}}
					_, err = s.UpdateCheck(ctx, cur, nil, now, entry)
					if errors.Is(err, checks.ErrStale) {
						mu.Lock()
						stale++
						mu.Unlock()
						continue
					}
					if err != nil {
						t.Error(err)
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()

	got, err := s.Check(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := c.Version + writers*each; got.Version != want {
		t.Errorf("version = %d after %d won writes from %d, want %d: a write was lost or made twice", got.Version, writers*each, c.Version, want)
	}
	if _, err := s.FlushPendingAudit(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	q := checks.AuditQuery{ResourceID: c.ID, Limit: 100}
	for {
		page, err := s.FindAudit(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			if e.Action == "check.note" {
				n++
			}
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if n != writers*each {
		t.Errorf("%d audit entries in the trail, want %d (one per won write)", n, writers*each)
	}
	t.Logf("%d writes lost a race and were retried", stale)
}

func TestAConditionalWriteWaitingForADocumentGivesUpWhenItsContextEnds(t *testing.T) {
	var locks docLocks
	unlock, err := locks.lock(context.Background(), "checks\x00c1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := locks.lock(ctx, "checks\x00c1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a second lock of a held document = %v, want the context's deadline", err)
	}
	other, err := locks.lock(context.Background(), "checks\x00c2")
	if err != nil {
		t.Fatalf("another document's lock was refused: %v", err)
	}
	other()
	unlock()
	again, err := locks.lock(context.Background(), "checks\x00c1")
	if err != nil {
		t.Fatalf("a released lock could not be taken again: %v", err)
	}
	again()
}

// TestEveryWriteToADocumentIsGivenToSQLiteByIDOnTheEmbeddedServer records the writes the
// store's changes send and asks FerretDB v1 to explain the filter of each: it must be handed
// to SQLite (filterPushdown), as only {_id} is. A filter with anything more reads the whole
// collection, which made every change slower as the data grew.
func TestEveryWriteToADocumentIsGivenToSQLiteByIDOnTheEmbeddedServer(t *testing.T) {
	if testenv.RealEngine() {
		t.Skip("FerretDB v1's explain is what says whether SQLite is given the filter; the real engine's plans are TestEveryHotPathQueryIsAnsweredFromAnIndex's")
	}
	ctx := context.Background()
	rec := &recorder{}
	client, err := mongo.Connect(options.Client().ApplyURI(testenv.URI()).SetMonitor(rec.monitor()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(ctx) })
	db := client.Database(testenv.DatabaseName(t))
	s := New(db, testenv.Logger())
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 1, 5, 9, 0, 0, 0, time.UTC)
	entry := func(resource, id string) checks.AuditEntry {
		return checks.AuditEntry{ID: bson.NewObjectID().Hex(), At: now, ActorName: "Colm Oman", Action: resource + ".change", Resource: resource, ResourceID: id}
	}
	r := checks.Release{ID: "r1", CRN: "X123456", ReleaseDate: checks.MustDate("2027-02-15"), Team: "T1", COMID: "u1",
		Status: checks.ReleaseActive, Version: 1, Slots: []checks.Slot{{CheckID: "c1", Type: checks.TypeDomesticAbuse, Agency: "E23000001"}}}
	c := checks.Check{ID: "c1", ReleaseID: "r1", Type: checks.TypeDomesticAbuse, Agency: "E23000001", Status: checks.StatusRequired,
		RequestBy: checks.MustDate("2027-01-04"), ReleaseDate: r.ReleaseDate, CRN: r.CRN, Team: "T1", COMID: "u1", Version: 1}
	if _, err := s.SeedAgencies(ctx, []checks.Agency{{Code: "E23000001", Name: "Cleveland Police", Kind: checks.KindPolice, Active: true}}, now); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertUser(ctx, checks.User{ID: "u1", Name: "Colm Oman", Email: "colm@example.org", Role: checks.RoleCOM, Teams: []string{"T1"}, Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertToken(ctx, checks.Token{ID: "t1", UserID: "u1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertSession(ctx, checks.Session{ID: "s1", UserID: "u1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	paths := []struct {
		name string
		run  func() error
	}{
		{"a release is recorded with its check and marked synced", func() error {
			if err := s.InsertRelease(ctx, r, entry(checks.ResourceRelease, r.ID)); err != nil {
				return err
			}
			if err := s.InsertCheck(ctx, c, entry(checks.ResourceCheck, c.ID)); err != nil {
				return err
			}
			return s.MarkReleaseSynced(ctx, r.ID, r.Version)
		}},
		{"a release is changed", func() error {
			cur, err := s.Release(ctx, r.ID)
			if err != nil {
				return err
			}
			_, err = s.UpdateRelease(ctx, cur, entry(checks.ResourceRelease, r.ID))
			return err
		}},
		{"a check is changed, a rung recorded on it and an old record adopted", func() error {
			cur, err := s.Check(ctx, c.ID)
			if err != nil {
				return err
			}
			if _, err := s.UpdateCheck(ctx, cur, nil, now, entry(checks.ResourceCheck, c.ID)); err != nil {
				return err
			}
			if _, err := s.MarkEscalation(ctx, c.ID, "request_reminder", checks.Escalation{At: now, AsOf: now, Basis: c.RequestBy, To: []string{}}); err != nil {
				return err
			}
			_, err = s.AdoptEscalation(ctx, c.ID, "request_reminder", c.RequestBy, c.RequestBy)
			return err
		}},
		{"an agency's mailboxes are changed", func() error {
			a, err := s.Agency(ctx, "E23000001")
			if err != nil {
				return err
			}
			a.ContactEmail = "mash@example.org"
			_, err = s.UpdateAgency(ctx, a, entry(checks.ResourceAgency, a.Code))
			return err
		}},
		{"a user is deactivated, a token revoked and a session ended", func() error {
			if _, err := s.SetUserActive(ctx, "u1", false, entry(checks.ResourceUser, "u1")); err != nil {
				return err
			}
			if _, err := s.RevokeToken(ctx, "t1", now, entry(checks.ResourceToken, "t1")); err != nil {
				return err
			}
			return s.EndSession(ctx, "s1", now, entry(checks.ResourceSession, "s1"))
		}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			writes := 0
			for _, cmd := range rec.during(t, p.run) {
				if name := cmd.Index(0).Key(); name != "update" && name != "findAndModify" && name != "delete" {
					continue
				}
				for _, q := range explainable(cmd) {
					writes++
					var plan struct {
						FilterPushdown *bool `bson:"filterPushdown"`
					}
					if err := db.RunCommand(ctx, bson.D{{Key: "explain", Value: q}}).Decode(&plan); err != nil {
						t.Fatalf("explain %v: %v", q, err)
					}
					if plan.FilterPushdown == nil || !*plan.FilterPushdown {
						filter, _ := bson.MarshalExtJSON(q, false, false)
						t.Errorf("a write whose filter reads the whole collection: %s", filter)
					}
				}
			}
			if writes == 0 {
				t.Fatal("the path sent no write to explain")
			}
		})
	}
}
