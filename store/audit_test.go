package store

import (
	"context"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// newStore returns a store on a fresh database, with its indexes.
func newStore(t testing.TB) *Store {
	t.Helper()
	s := New(testenv.Database(t), testenv.Logger())
	if err := s.EnsureIndexes(context.Background()); err != nil {
		t.Fatal(err)
	}
	testenv.IndexIDs(t, s.db)
	return s
}

func TestAuditEntriesLeftOnADocumentByACrashAreCopiedByTheNextSweep(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	c := checks.Check{ID: bson.NewObjectID().Hex(), ReleaseID: bson.NewObjectID().Hex(), Type: checks.TypeDomesticAbuse,
		Agency: "E23000001", Status: checks.StatusRequired, Version: 1, Team: "N07-T1"}
	if err := s.InsertCheck(ctx, c); err != nil {
		t.Fatal(err)
	}
	// The write and its entry land together; the process dies before the copy.
	entry := checks.AuditEntry{ID: bson.NewObjectID().Hex(), At: at, ActorName: "Colm Oman", Role: checks.RoleCOM,
		Action: "check.note", Resource: checks.ResourceCheck, ResourceID: c.ID, ReleaseID: c.ReleaseID}
	if _, err := s.checks.UpdateOne(ctx, bson.M{"_id": c.ID}, pendingAudit(bson.M{"$inc": bson.M{"version": 1}}, []checks.AuditEntry{entry})); err != nil {
		t.Fatal(err)
	}
	trail := func() []checks.AuditEntry {
		t.Helper()
		page, err := s.FindAudit(ctx, checks.AuditQuery{ResourceID: c.ID, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	if got := trail(); len(got) != 0 {
		t.Fatalf("the entry reached the audit without a flush: %v", got)
	}
	n, err := s.FlushPendingAudit(ctx)
	if err != nil || n != 1 {
		t.Fatalf("FlushPendingAudit = %d, %v; want 1 document flushed", n, err)
	}
	if got := trail(); len(got) != 1 || got[0].ID != entry.ID || got[0].Action != "check.note" {
		t.Errorf("after the sweep the check's audit is %+v, want the entry", got)
	}
	if n, err := s.FlushPendingAudit(ctx); err != nil || n != 0 {
		t.Errorf("a second sweep found %d documents (%v), want 0", n, err)
	}
}

func TestAWriteCopiesItsAuditEntriesAtOnce(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	u := checks.User{ID: bson.NewObjectID().Hex(), Name: "Ada Admin", Email: "ada@example.org", Role: checks.RoleAdmin, Active: true}
	entry := checks.AuditEntry{ID: bson.NewObjectID().Hex(), At: time.Now().UTC().Truncate(time.Millisecond), Action: "user.create",
		Resource: checks.ResourceUser, ResourceID: u.ID}
	if err := s.InsertUser(ctx, u, entry); err != nil {
		t.Fatal(err)
	}
	page, err := s.FindAudit(ctx, checks.AuditQuery{ResourceID: u.ID, Limit: 50})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != entry.ID {
		t.Fatalf("the audit of the new user is %+v (%v), want its entry", page.Items, err)
	}
	if n, err := s.FlushPendingAudit(ctx); err != nil || n != 0 {
		t.Errorf("after a write the sweep found %d documents pending (%v), want 0", n, err)
	}
}
