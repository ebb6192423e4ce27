package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/store"
)

// dbCutter stands between the service and the embedded database and passes the MongoDB wire
// protocol through unchanged, until it is armed: then, when the nth write command (insert,
// update, delete, findAndModify) of the database db arrives, it stops the database before
// that command reaches it. The request in flight meets a database that is gone, at exactly
// that point of its work.
type dbCutter struct {
	ln      net.Listener
	network string
	addr    string // the database's socket or address
	db      string

	mu     sync.Mutex
	armed  int // cut before this write (counting from 1); 0: pass everything
	writes int
	stop   func()        // stops the database
	done   chan struct{} // closed once stop has returned
	down   bool          // from the cut until up, nothing gets through
	cut    string        // the command the cut came before, e.g. "insert checks"
	seen   []string      // the write commands since armed, in order
	conns  []net.Conn
}

func newDBCutter(t *testing.T, uri, db string) *dbCutter {
	t.Helper()
	host, _, _ := strings.Cut(strings.TrimPrefix(uri, "mongodb://"), "/")
	c := &dbCutter{network: "tcp", addr: host, db: db}
	if strings.HasSuffix(host, ".sock") {
		path, err := url.PathUnescape(host)
		if err != nil {
			t.Fatal(err)
		}
		c.network, c.addr = "unix", path
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.ln = ln
	t.Cleanup(func() { ln.Close(); c.dropAll() })
	go c.serve()
	return c
}

// uri is the connection string of the service's client, straight to the cutter: one
// connection, as in embedded mode, unless pooled (a real engine).
func (c *dbCutter) uri(pooled bool) string {
	if pooled {
		return "mongodb://" + c.ln.Addr().String() + "/?directConnection=true"
	}
	return "mongodb://" + c.ln.Addr().String() + "/?maxPoolSize=1&directConnection=true"
}

// arm makes the cutter stop the database (with stop) before the nth write from now.
func (c *dbCutter) arm(n int, stop func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed, c.writes, c.stop, c.cut, c.seen, c.done = n, 0, stop, "", nil, make(chan struct{})
}

// stopped is closed once the database is stopped after a cut.
func (c *dbCutter) stopped() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// up lets connections through again, once the database is back.
func (c *dbCutter) up() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.down = false
}

// result disarms the cutter and returns the command it cut before ("" when the request
// made fewer writes) and every write it saw.
func (c *dbCutter) result() (string, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cut, seen := c.cut, c.seen
	c.armed, c.stop = 0, nil
	return cut, seen
}

func (c *dbCutter) serve() {
	for {
		client, err := c.ln.Accept()
		if err != nil {
			return
		}
		go c.pipe(client)
	}
}

// track keeps the connections for dropAll; it reports false, keeping nothing, while the
// cutter is down.
func (c *dbCutter) track(conns ...net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return false
	}
	c.conns = append(c.conns, conns...)
	return true
}

func (c *dbCutter) dropAll() {
	c.mu.Lock()
	conns := c.conns
	c.conns = nil
	c.mu.Unlock()
	for _, conn := range conns {
		conn.Close()
	}
}

func (c *dbCutter) pipe(client net.Conn) {
	defer client.Close()
	c.mu.Lock()
	down := c.down
	c.mu.Unlock()
	if down {
		return
	}
	server, err := net.Dial(c.network, c.addr)
	if err != nil {
		return // the database is stopped: the driver sees the connection close
	}
	defer server.Close()
	if !c.track(client, server) {
		return // the cut came while this connection was being made
	}
	go func() { _, _ = io.Copy(client, server); client.Close() }()
	for {
		msg, err := testenv.ReadMessage(client)
		if err != nil {
			return
		}
		if c.cutBefore(msg) {
			return
		}
		if _, err := server.Write(msg); err != nil {
			return
		}
	}
}

// cutBefore reports whether msg is the write to cut before, and if so stops the database
// and drops every connection first.
func (c *dbCutter) cutBefore(msg []byte) bool {
	command, coll, db := testenv.OpMsgCommand(msg)
	switch command {
	case "insert", "update", "delete", "findAndModify":
	default:
		return false
	}
	if db != c.db {
		return false
	}
	c.mu.Lock()
	if c.armed == 0 {
		c.mu.Unlock()
		return false
	}
	c.writes++
	c.seen = append(c.seen, command+" "+coll)
	if c.writes != c.armed {
		c.mu.Unlock()
		return false
	}
	c.cut, c.armed, c.down = command+" "+coll, 0, true
	stop, done := c.stop, c.done
	c.mu.Unlock()
	defer close(done)
	// Connections first (the database waits for open ones when it stops), then the database.
	// Until up, no connection gets through, to what is left of it or to anything else.
	c.dropAll()
	stop()
	return true
}

// dbState is what the database holds of one release, read directly.
type dbState struct {
	releases []struct {
		ID          string `bson:"_id"`
		Status      string `bson:"status"`
		SyncPending bool   `bson:"sync_pending"`
		Slots       []struct {
			CheckID    string `bson:"check_id"`
			Type       string `bson:"type"`
			Superseded bool   `bson:"superseded"`
		} `bson:"slots"`
	}
	checks []struct {
		ID        string `bson:"_id"`
		ReleaseID string `bson:"release_id"`
		Type      string `bson:"type"`
		Status    string `bson:"status"`
	}
}

func (s dbState) String() string {
	if len(s.releases) == 0 {
		return fmt.Sprintf("no release, %d checks", len(s.checks))
	}
	pending := ""
	if s.releases[0].SyncPending {
		pending = " (its checks' sync pending)"
	}
	return fmt.Sprintf("%d release%s, %d checks", len(s.releases), pending, len(s.checks))
}

// whole reports whether the state is all or nothing: no release and no check, or one active
// release, synced, with its two checks, each required and pointing back at it.
func (s dbState) whole() bool {
	if len(s.releases) == 0 {
		return len(s.checks) == 0
	}
	r := s.releases[0]
	if len(s.releases) != 1 || r.Status != "active" || r.SyncPending || len(r.Slots) != 2 || len(s.checks) != 2 {
		return false
	}
	for _, sl := range r.Slots {
		if sl.Superseded {
			return false
		}
	}
	types := map[string]bool{}
	for _, c := range s.checks {
		if c.ReleaseID != r.ID || c.Status != "required" {
			return false
		}
		found := false
		for _, sl := range r.Slots {
			found = found || (sl.CheckID == c.ID && sl.Type == c.Type)
		}
		if !found {
			return false
		}
		types[c.Type] = true
	}
	return types["domestic_abuse"] && types["child_safeguarding"]
}

func readDBState(t *testing.T, uri, db, crn string) dbState {
	t.Helper()
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	var s dbState
	cur, err := client.Database(db).Collection("releases").Find(ctx, bson.M{"crn": crn})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &s.releases); err != nil {
		t.Fatal(err)
	}
	cur, err = client.Database(db).Collection("checks").Find(ctx, bson.M{"crn": crn})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &s.checks); err != nil {
		t.Fatal(err)
	}
	return s
}

// The database stops in the middle of recording a release, before each of the writes that
// recording makes in turn (the release, its audit, each check and its audit, the mark that
// the checks are in line). Each time the request is answered 503, as a problem with
// Retry-After. When the database is back, the service answers again without a restart, and
// the release is all or nothing: none of it, or the release with both its checks. A release
// whose checks were cut off is made whole the next time it is read, or when the service
// starts (both are tried); retrying the request then gets 409 (it is recorded) or 201.
//
// Until that repair, the lists show such a release with fewer than two checks (the log
// says how many): nothing repairs a release from a list, and without a restart the next
// repair of all of them is the daily run's maintenance.
func TestTheDatabaseStoppedWhileARequestWritesAnswers503AndLeavesNoPartialRelease(t *testing.T) {
	ctx := context.Background()
	srv := testenv.StartStoppable(t)
	const dbName = "dbcut"
	cutter := newDBCutter(t, srv.URI, dbName)
	client, err := mongo.Connect(options.Client().ApplyURI(cutter.uri(srv.Pooled)).
		SetServerSelectionTimeout(250 * time.Millisecond).SetTimeout(5 * time.Second).SetHeartbeatInterval(500 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Disconnect(ctx) })
	st := store.New(client.Database(dbName), testenv.Logger())
	clock := testenv.At(t, "2026-11-24T09:00:00Z")
	deadlines := checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}
	svc := checks.NewService(st, clock, deadlines, testenv.Logger())
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.CreateUser(ctx, checks.System("test"), checks.UserInput{Name: "Colm Oman", Email: "colm@example.org", Role: "com", Team: "N07-T1"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(svc, testenv.Logger(), Options{Ready: st.Ping, RequestTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewServer(h)
	t.Cleanup(web.Close)
	httpClient := &http.Client{Timeout: time.Minute}
	call := func(method, path string, body any) (*http.Response, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, web.URL+path, rd)
		req.Header.Set("Authorization", "Bearer "+token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := httpClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: no answer: %v", method, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	stop := func() { srv.Stop(t) }
	restart := func() {
		t.Helper()
		srv.Start(t)
		cutter.up()
		deadline := time.Now().Add(30 * time.Second)
		for {
			res, _ := call("GET", "/readyz", nil)
			if res.StatusCode == http.StatusOK {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the service is not ready again after the database came back: %d", res.StatusCode)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	for n := 1; ; n++ {
		crn := fmt.Sprintf("C%06d", n)
		body := validRelease()
		body["crn"] = crn
		cutter.arm(n, stop)
		res, answer := call("POST", "/api/v1/releases", body)
		cut, writes := cutter.result()
		if cut == "" {
			// The request made fewer than n writes: every point has been cut.
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("uncut, the release was answered %d %s", res.StatusCode, answer)
			}
			if n < 3 {
				t.Fatalf("recording a release made only %d writes (%v): the cutter does not see them", n-1, writes)
			}
			t.Logf("recording a release makes %d writes: %s", n-1, strings.Join(writes, ", "))
			break
		}
		mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
		var p apiProblem
		if res.StatusCode != http.StatusServiceUnavailable || mt != "application/problem+json" || res.Header.Get("Retry-After") == "" ||
			json.Unmarshal(answer, &p) != nil || p.Status != http.StatusServiceUnavailable {
			t.Errorf("cut before write %d (%s): answered %d %s, Retry-After %q, %s; want a 503 problem with Retry-After",
				n, cut, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Retry-After"), answer)
		}

		<-cutter.stopped() // the answer may come before the database is quite stopped
		restart()
		raw := readDBState(t, srv.URI, dbName, crn)
		seen := "-"
		if len(raw.releases) == 1 {
			// What the lists show before any repair.
			_, list := call("GET", "/api/v1/releases?limit=200", nil)
			var releases apiList[apiRelease]
			_ = json.Unmarshal(list, &releases)
			for _, r := range releases.Items {
				if r.CRN == crn {
					seen = fmt.Sprint(len(r.Checks))
				}
			}
			if n%2 == 1 {
				// Repair on start: a new service over the same database, as after a restart.
				if err := checks.NewService(st, clock, deadlines, testenv.Logger()).Start(ctx); err != nil {
					t.Fatalf("restart the service: %v", err)
				}
			}
			res, got := call("GET", "/api/v1/releases/"+raw.releases[0].ID, nil)
			var r apiRelease
			if res.StatusCode != http.StatusOK || json.Unmarshal(got, &r) != nil || len(r.Checks) != 2 {
				t.Errorf("cut before write %d (%s): reading the release answered %d %s, want it with both checks", n, cut, res.StatusCode, got)
			}
		}
		repaired := readDBState(t, srv.URI, dbName, crn)
		if !repaired.whole() {
			t.Errorf("cut before write %d (%s): the database holds %s after the repair: a partial write", n, cut, repaired)
		}
		how := map[bool]string{true: "start", false: "read"}[n%2 == 1]
		t.Logf("cut before write %d (%s): answered %d; the database then held %s (the release list showed it with %s checks); after the repair on %s: %s",
			n, cut, res.StatusCode, raw, seen, how, repaired)

		// Retrying is safe: 409 once the release is recorded, 201 when nothing was.
		res, got := call("POST", "/api/v1/releases", body)
		want := http.StatusCreated
		if len(repaired.releases) > 0 {
			want = http.StatusConflict
		}
		if res.StatusCode != want {
			t.Errorf("cut before write %d (%s): the retry was answered %d %s, want %d", n, cut, res.StatusCode, got, want)
		}
		if after := readDBState(t, srv.URI, dbName, crn); !after.whole() || len(after.releases) != 1 {
			t.Errorf("cut before write %d (%s): after the retry the database holds %s", n, cut, after)
		}
	}
}
