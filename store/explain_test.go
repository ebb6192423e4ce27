package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
)

// Index use is a contract: every query the service makes on a hot path is answered from an
// index, never by reading the whole of a collection that grows. This test records the
// commands each hot path sends (through the driver's command monitor, so it sees exactly what
// the service sends), asks the real engine to explain each one, and fails on a full scan.
// FerretDB v2 answers explain with PostgreSQL's plan; it explains find, aggregate and count,
// so the filter of an update, a delete or a findAndModify is explained as a find.

// growing are the collections that grow with use; a scan of another (the agency directory,
// the users, the leases) is a scan of a few hundred documents at most.
var growing = []string{"checks", "releases", "audit", "outbox", "outbox_sent", "tokens", "sessions"}

// recorder keeps the commands a client sends while it is on.
type recorder struct {
	mu   sync.Mutex
	on   bool
	cmds []bson.Raw
}

func (r *recorder) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.on {
			r.cmds = append(r.cmds, slices.Clone(e.Command))
		}
	}}
}

// during returns the commands sent while fn ran.
func (r *recorder) during(t *testing.T, fn func() error) []bson.Raw {
	t.Helper()
	r.mu.Lock()
	r.on, r.cmds = true, nil
	r.mu.Unlock()
	err := fn()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	if err != nil {
		t.Fatalf("the hot path failed: %v", err)
	}
	return r.cmds
}

// explainable turns a recorded command into the commands to explain: find, aggregate and
// count as they are (less the session and transport fields), and the filter of each update,
// delete and findAndModify as a find on its collection.
func explainable(cmd bson.Raw) []bson.D {
	var d bson.D
	if err := bson.Unmarshal(cmd, &d); err != nil || len(d) == 0 {
		return nil
	}
	name, _ := d[0].Value.(string)
	keep := func(drop ...string) bson.D {
		var out bson.D
		for _, e := range d {
			if !strings.HasPrefix(e.Key, "$") && !slices.Contains(append(drop, "lsid", "txnNumber", "readConcern", "writeConcern", "maxTimeMS", "apiVersion"), e.Key) {
				out = append(out, e)
			}
		}
		return out
	}
	asFind := func(filter any) bson.D { return bson.D{{Key: "find", Value: name}, {Key: "filter", Value: filter}} }
	field := func(key string) any {
		for _, e := range d {
			if e.Key == key {
				return e.Value
			}
		}
		return nil
	}
	switch d[0].Key {
	case "find", "aggregate", "count":
		return []bson.D{keep()}
	case "findAndModify":
		return []bson.D{asFind(field("query"))}
	case "update", "delete":
		list, key := field("updates"), "q"
		if d[0].Key == "delete" {
			list = field("deletes")
		}
		var out []bson.D
		items, _ := list.(bson.A)
		for _, it := range items {
			if item, ok := it.(bson.D); ok {
				for _, e := range item {
					if e.Key == key {
						out = append(out, asFind(e.Value))
					}
				}
			}
		}
		return out
	}
	return nil // insert, createIndexes, ping: nothing to plan
}

// indexes returns the indexes a plan reads.
func indexes(plan map[string]any) []string {
	var out []string
	if name, ok := plan["Index Name"].(string); ok {
		out = append(out, name)
	}
	if kids, ok := plan["Plans"].([]any); ok {
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				out = append(out, indexes(m)...)
			}
		}
	}
	return out
}

// fullScans returns the relations a plan reads whole.
func fullScans(plan map[string]any) []string {
	var out []string
	if plan["Node Type"] == "Seq Scan" {
		out = append(out, fmt.Sprint(plan["Relation Name"]))
	}
	if kids, ok := plan["Plans"].([]any); ok {
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				out = append(out, fullScans(m)...)
			}
		}
	}
	return out
}

func TestEveryHotPathQueryIsAnsweredFromAnIndex(t *testing.T) {
	testenv.RequireRealEngine(t)
	ctx := context.Background()
	rec := &recorder{}
	client, err := mongo.Connect(options.Client().ApplyURI(testenv.URI()).SetMonitor(rec.monitor()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Disconnect(ctx) })
	db := client.Database(testenv.DatabaseName(t))
	s := New(db, testenv.Logger())
	o := NewOutbox(db)
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := o.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	today := checks.MustDate("2027-03-01")
	now := today.Start().Add(9 * time.Hour).UTC()
	seed := seedForPlans(t, s, o, today, now)

	com := checks.User{ID: seed.com, Role: checks.RoleCOM, Teams: []string{"T01"}}
	manager := checks.User{ID: seed.com, Role: checks.RoleManager, Teams: []string{"T01", "T02", "T03"}}
	liaison := checks.User{ID: seed.com, Role: checks.RoleLiaison, Agency: "A01"}
	admin := checks.User{Role: checks.RoleAdmin}
	window := today.AddDays(-checks.RecentDays)
	yes := true
	page := func(p checks.Page[checks.Check], err error) error { return err }
	paths := []struct {
		name string
		run  func() error
	}{
		{"the escalation run and the notice sweep read the open checks", func() error {
			return s.OpenChecks(ctx, []checks.Status{checks.StatusRequired, checks.StatusRequested, checks.StatusResponded}, time.Time{}, func(checks.Check) error { return nil })
		}},
		{"the notice sweep reads the open checks changed in the last hour", func() error {
			return s.OpenChecks(ctx, []checks.Status{checks.StatusRequested, checks.StatusResponded}, now.Add(-time.Hour), func(checks.Check) error { return nil })
		}},
		{"a COM lists its team's checks", func() error {
			return page(s.FindChecks(ctx, checks.CheckQuery{Scope: checks.ScopeOf(com), ReleaseFrom: window, Today: today, Limit: 50}))
		}},
		{"a COM lists the next page", func() error {
			first, err := s.FindChecks(ctx, checks.CheckQuery{Scope: checks.ScopeOf(com), ReleaseFrom: window, Today: today, Limit: 5})
			if err != nil || first.NextCursor == "" {
				return fmt.Errorf("no second page: %v", err)
			}
			return page(s.FindChecks(ctx, checks.CheckQuery{Scope: checks.ScopeOf(com), ReleaseFrom: window, Today: today, Limit: 5, Cursor: first.NextCursor}))
		}},
		{"a COM lists its overdue checks", func() error {
			return page(s.FindChecks(ctx, checks.CheckQuery{Scope: checks.ScopeOf(com), ReleaseFrom: window, Overdue: &yes, Today: today, Limit: 50}))
		}},
		{"a manager of three teams lists their checks", func() error {
			return page(s.FindChecks(ctx, checks.CheckQuery{Scope: checks.ScopeOf(manager), ReleaseFrom: window, Today: today, Limit: 50}))
		}},
		{"a liaison lists its agency's open requests", func() error {
			return page(s.FindChecks(ctx, checks.CheckQuery{Scope: checks.ScopeOf(liaison), Status: checks.StatusRequested, ReleaseFrom: window, Today: today, Limit: 200}))
		}},
		{"an admin lists every check", func() error {
			return page(s.FindChecks(ctx, checks.CheckQuery{Scope: checks.ScopeOf(admin), ReleaseFrom: window, Today: today, Limit: 50}))
		}},
		{"a COM lists its releases with their checks", func() error {
			p, err := s.FindReleases(ctx, checks.ReleaseQuery{Scope: checks.ScopeOf(com), From: window, Limit: 50})
			if err != nil {
				return err
			}
			_, err = s.ChecksOfReleases(ctx, p.Items)
			return err
		}},
		{"a manager lists their releases", func() error {
			_, err := s.FindReleases(ctx, checks.ReleaseQuery{Scope: checks.ScopeOf(manager), From: window, Limit: 50})
			return err
		}},
		{"an admin lists every release", func() error {
			_, err := s.FindReleases(ctx, checks.ReleaseQuery{Scope: checks.ScopeOf(admin), From: window, Limit: 50})
			return err
		}},
		{"a check is read, changed and escalated", func() error {
			c, err := s.Check(ctx, seed.check)
			if err != nil {
				return err
			}
			if _, err := s.UpdateCheck(ctx, c, nil, now); err != nil {
				return err
			}
			_, err = s.MarkEscalation(ctx, c.ID, "request_reminder", checks.Escalation{At: now, AsOf: now, Basis: c.RequestBy, To: []string{}})
			return err
		}},
		{"a release is read, found by person and date, and changed", func() error {
			r, err := s.Release(ctx, seed.release)
			if err != nil {
				return err
			}
			if _, err := s.ReleaseByKey(ctx, r.CRN, r.ReleaseDate); err != nil {
				return err
			}
			if _, err := s.UpdateRelease(ctx, r); err != nil {
				return err
			}
			if err := s.MarkReleaseSynced(ctx, r.ID, r.Version+1); err != nil {
				return err
			}
			_, err = s.ReleasesPendingSync(ctx)
			return err
		}},
		{"an import matches its rows' CRNs to a COM's and an admin's releases to come", func() error {
			crns := []string{"X000001", "X000002", "X000003"}
			if _, err := s.ActiveReleasesOfCRNs(ctx, checks.ScopeOf(com), crns, today); err != nil {
				return err
			}
			_, err := s.ActiveReleasesOfCRNs(ctx, checks.ScopeOf(admin), crns, today)
			return err
		}},
		{"the completion report of a manager's teams", func() error {
			return s.ReportChecks(ctx, checks.ReportQuery{Scope: checks.ScopeOf(manager), ReleaseFrom: today.AddDays(-90), ReleaseTo: today}, func(checks.Check) error { return nil })
		}},
		{"the agency report of every team", func() error {
			if err := s.ReportChecks(ctx, checks.ReportQuery{Scope: checks.ScopeOf(admin), RequestedFrom: now.AddDate(0, -3, 0), RequestedTo: now}, func(checks.Check) error { return nil }); err != nil {
				return err
			}
			return s.ReportChecks(ctx, checks.ReportQuery{Scope: checks.ScopeOf(admin), Statuses: []checks.Status{checks.StatusRequested}}, func(checks.Check) error { return nil })
		}},
		{"the upcoming releases of a team", func() error {
			return s.ReportChecks(ctx, checks.ReportQuery{Scope: checks.ScopeOf(com), ReleaseFrom: today, ReleaseTo: today.AddDays(14),
				Statuses: []checks.Status{checks.StatusRequired, checks.StatusRequested, checks.StatusResponded}}, func(checks.Check) error { return nil })
		}},
		{"the metrics count the open and the overdue checks", func() error {
			_, _, err := s.CountChecks(ctx, today)
			return err
		}},
		{"the sender claims a batch and marks it sent", func() error {
			batch, err := o.Claim(ctx, now, time.Minute, 50)
			if err != nil {
				return err
			}
			for _, e := range batch {
				if err := o.MarkSent(ctx, e.Key, now); err != nil {
					return err
				}
			}
			return nil
		}},
		{"a run finds what it already queued and queues a digest", func() error {
			if _, err := o.Carrying(ctx, []string{seed.check + "/request_reminder", seed.check + "/release_imminent"}); err != nil {
				return err
			}
			_, err := o.Insert(ctx, notify.Email{Key: "new-digest", To: "x@example.org", Status: notify.StatusPending, NextAttemptAt: now, CreatedAt: now})
			return err
		}},
		{"a release page reads the emails about its checks", func() error {
			_, err := o.About(ctx, []string{seed.check + "/request_notice@2026-11-24", seed.check + "/response_overdue@2026-12-08"})
			return err
		}},
		{"an admin lists the outbox and the metrics count it", func() error {
			if _, err := o.List(ctx, "", now.AddDate(0, 0, -checks.RecentDays), 50, ""); err != nil {
				return err
			}
			if _, err := o.List(ctx, notify.StatusUndeliverable, now.AddDate(0, 0, -checks.RecentDays), 50, ""); err != nil {
				return err
			}
			_, err := o.Counts(ctx)
			return err
		}},
		{"an admin lists the audit trail, of the recent past, of a person and of a release", func() error {
			for _, q := range []checks.AuditQuery{
				{From: now.AddDate(0, 0, -checks.RecentDays), Limit: 50},
				{ActorID: seed.com, Limit: 50},
				{ResourceID: seed.check, Limit: 50},
				{ReleaseID: seed.release, Limit: 200},
			} {
				if _, err := s.FindAudit(ctx, q); err != nil {
					return err
				}
			}
			return nil
		}},
		{"a request is authenticated and a session read", func() error {
			if _, err := s.Token(ctx, seed.token); err != nil {
				return err
			}
			if _, err := s.User(ctx, seed.com); err != nil {
				return err
			}
			if _, err := s.Session(ctx, seed.session); err != nil {
				return err
			}
			_, err := s.UserTokens(ctx, seed.com)
			return err
		}},
		{"maintenance copies pending audit and ends expired sessions", func() error {
			if _, err := s.FlushPendingAudit(ctx); err != nil {
				return err
			}
			_, err := s.EndExpiredSessions(ctx, now)
			return err
		}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			cmds := rec.during(t, p.run)
			planned := 0
			for _, cmd := range cmds {
				for _, q := range explainable(cmd) {
					coll, _ := q[0].Value.(string)
					var out bson.M
					if err := db.RunCommand(ctx, bson.D{{Key: "explain", Value: q}, {Key: "verbosity", Value: "queryPlanner"}}).Decode(&out); err != nil {
						t.Fatalf("explain %v: %v", q, err)
					}
					raw, _ := bson.MarshalExtJSON(out["queryPlanner"], false, false)
					var plan struct {
						Plan map[string]any `json:"Plan"`
					}
					if err := json.Unmarshal(raw, &plan); err != nil || plan.Plan == nil {
						t.Fatalf("explain %v answered no PostgreSQL plan: %s", q, raw)
					}
					planned++
					t.Logf("%s: %v", coll, indexes(plan.Plan))
					if scans := fullScans(plan.Plan); len(scans) > 0 && slices.Contains(growing, coll) {
						filter, _ := bson.MarshalExtJSON(q, false, false)
						t.Errorf("a full scan of %s: %s", coll, filter)
					}
				}
			}
			if planned == 0 {
				t.Fatalf("the hot path sent no query to explain (%d commands)", len(cmds))
			}
		})
	}
}

// planSeed names documents the hot paths read.
type planSeed struct {
	com, check, release, token, session string
}

// seedForPlans writes enough documents of each growing collection, spread as production
// spreads them (40 teams, 43 agencies, three years of releases, most checks closed), that the
// planner's choice between an index and a scan is the one it makes at scale.
func seedForPlans(t *testing.T, s *Store, o *Outbox, today checks.Date, now time.Time) planSeed {
	t.Helper()
	ctx := context.Background()
	seed := planSeed{com: bson.NewObjectID().Hex(), token: strings.Repeat("ab", 32), session: strings.Repeat("cd", 32)}
	statuses := []checks.Status{checks.StatusCompleted, checks.StatusCompleted, checks.StatusCompleted, checks.StatusNotRequired,
		checks.StatusWithdrawn, checks.StatusCompleted, checks.StatusRequired, checks.StatusRequested, checks.StatusResponded, checks.StatusCompleted}
	var cs []checks.Check
	var releases []releaseDoc
	var audit []auditDoc
	var sent []emailDoc
	const n = 6000
	for i := range n {
		team, agency := fmt.Sprintf("T%02d", i%40+1), fmt.Sprintf("A%02d", i%43+1)
		release := today.AddDays(i*3*365/n - 2*365) // three years, two of them past
		st := statuses[i%len(statuses)]
		if release.Before(today.AddDays(-30)) && st.Open() {
			st = checks.StatusCompleted
		}
		c := checks.Check{ID: bson.NewObjectID().Hex(), ReleaseID: bson.NewObjectID().Hex(), Type: checks.CheckTypes()[i%2],
			Agency: agency, Status: st, RequestBy: release.AddDays(-42), ReleaseDate: release, Team: team, COMID: seed.com,
			CRN: fmt.Sprintf("X%06d", i), Version: 1}
		if st != checks.StatusRequired && st != checks.StatusNotRequired {
			c.RequestedAt, c.DueDate = release.AddDays(-40).Start(), release.AddDays(-26)
		}
		cs = append(cs, c)
		r := checks.Release{ID: c.ReleaseID, CRN: c.CRN, ReleaseDate: release, Team: team, COMID: seed.com, Status: checks.ReleaseActive,
			Version: 1, Slots: []checks.Slot{{CheckID: c.ID, Type: c.Type, Agency: agency}}}
		rd := toReleaseDoc(r)
		rd.SyncPending = false
		releases = append(releases, rd)
		audit = append(audit, toAuditDoc(checks.AuditEntry{ID: bson.NewObjectID().Hex(), At: release.AddDays(-40).Start(), ActorID: seed.com,
			Action: "check.request", Resource: checks.ResourceCheck, ResourceID: c.ID, ReleaseID: c.ReleaseID}))
		sent = append(sent, toDoc(notify.Email{Key: fmt.Sprintf("sent-%d", i), To: "x@example.org", Items: []string{c.ID + "/request_reminder"},
			Status: notify.StatusSent, CreatedAt: release.AddDays(-40).Start(), SentAt: release.AddDays(-40).Start()}))
		if i == n-100 {
			seed.check, seed.release = c.ID, c.ReleaseID
		}
	}
	for i := 0; i < n; i += 1000 {
		if err := s.InsertChecks(ctx, cs[i:i+1000]); err != nil {
			t.Fatal(err)
		}
		for _, batch := range []error{
			insertMany(ctx, s.releases, releases[i:i+1000]),
			insertMany(ctx, s.audit, audit[i:i+1000]),
			insertMany(ctx, o.sent, sent[i:i+1000]),
		} {
			if batch != nil {
				t.Fatal(batch)
			}
		}
	}
	for i := range 50 {
		e := notify.Email{Key: fmt.Sprintf("waiting-%d", i), To: "x@example.org", Status: notify.StatusPending, NextAttemptAt: now, CreatedAt: now}
		if i%5 == 0 {
			e.Status, e.To, e.Missing = notify.StatusUndeliverable, "", "the contact mailbox of A01"
		}
		if _, err := o.Insert(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertUser(ctx, checks.User{ID: seed.com, Name: "Colm", Email: "colm@example.org", Role: checks.RoleCOM, Teams: []string{"T01"}, Active: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertToken(ctx, checks.Token{ID: seed.token, UserID: seed.com, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertSession(ctx, checks.Session{ID: seed.session, UserID: seed.com, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return seed
}
