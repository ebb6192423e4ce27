package main

// Several replicas of serve on one database, proven safe end to end: two real serve processes
// on the real engine, both running the escalation schedule, the notice sweep and the outbox
// sender into one SMTP server, while the test triggers runs on both at once and fires the same
// transitions at both. The test reads the outcome with the raw driver and the mail server, never
// through the store's Go functions: what is proven is what the processes wrote.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/probation/safeguarding/internal/testenv"
)

// The two days the test stands at. Both are Mondays with no bank holiday near, 15 working days
// apart: on the first the COM records the releases and the agencies get and answer some
// requests; on the second, the escalation day, every rung of the ladder is due for one check or
// another (the release dates are chosen for it).
var (
	setUpDay      = time.Date(2027, 1, 11, 9, 0, 0, 0, time.UTC)
	escalationDay = time.Date(2027, 2, 1, 9, 0, 0, 0, time.UTC)
)

// What the set-up day does to both checks of a release, in order.
const (
	doRequest  = "request"
	doRespond  = "respond"
	doComplete = "complete"
)

// scenario is one release and what the escalation day must (and may) record on each of its two
// checks. "may" covers rungs that depend on whether a run read the check before or after a
// transition the test fires at the same moment: either order is correct, but nothing outside
// must ∪ may is.
type scenario struct {
	name        string
	crn         string
	releaseDate string
	setUp       []string
	must, may   []string
}

func scenarios() []scenario {
	return []scenario{
		{name: "required, a week past its request-by date", crn: "X100001", releaseDate: "2027-03-01",
			must: []string{"request_reminder", "request_overdue"}},
		{name: "required, request-by today, requested on the day", crn: "X100002", releaseDate: "2027-03-15",
			must: []string{"request_notice"}, may: []string{"request_reminder"}},
		{name: "requested, answer a week late", crn: "X100003", releaseDate: "2027-03-01", setUp: []string{doRequest},
			must: []string{"request_notice", "response_reminder", "response_overdue", "response_escalated"}},
		{name: "answered, release in 3 working days, completed on the day", crn: "X100004", releaseDate: "2027-02-04",
			setUp: []string{doRequest, doRespond}, may: []string{"response_notice", "release_imminent"}},
		{name: "required, release in 2 working days", crn: "X100005", releaseDate: "2027-02-03",
			must: []string{"request_reminder", "request_overdue", "release_imminent"}},
		{name: "answered, release in 3 working days", crn: "X100006", releaseDate: "2027-02-04",
			setUp: []string{doRequest, doRespond}, must: []string{"response_notice", "release_imminent"}},
		{name: "completed, release in 3 working days", crn: "X100007", releaseDate: "2027-02-04",
			setUp: []string{doRequest, doRespond, doComplete}},
		{name: "requested, answer a week late, answered on the day", crn: "X100008", releaseDate: "2027-03-01",
			setUp: []string{doRequest}, must: []string{"response_notice"},
			may: []string{"request_notice", "response_reminder", "response_overdue", "response_escalated"}},
		{name: "required, released last Friday", crn: "X100009", releaseDate: "2027-01-29",
			must: []string{"request_reminder", "request_overdue", "released_incomplete"}},
	}
}

// transition is one change fired by several clients at once, split across the replicas.
type transition struct {
	crn, checkType string
	action         string // the path after /api/v1/checks/{id}/
	as             string // whose token
	ifMatch        bool   // name the version read before: losers get 412 rather than 409
	body           map[string]any
	want           string // the status of the check after the winner's change
}

func transitions() []transition {
	answer := map[string]any{"outcome": "information_held", "summary": "Two call-outs to the address in 2026."}
	return []transition{
		{"X100002", "domestic_abuse", "request", "com", false, nil, "requested"},
		{"X100002", "child_safeguarding", "request", "com", true, nil, "requested"},
		{"X100008", "domestic_abuse", "response", "police", false, answer, "responded"},
		{"X100008", "child_safeguarding", "response", "council", true, map[string]any{"outcome": "no_information"}, "responded"},
		{"X100004", "domestic_abuse", "complete", "com", false, map[string]any{"note": "Disclosure condition added."}, "completed"},
		{"X100004", "child_safeguarding", "complete", "com", true, map[string]any{"note": "Nothing changes."}, "completed"},
	}
}

// The mailboxes of the two agencies every release is addressed to.
var agencyMailboxes = map[string]map[string]any{
	"E23000001": {"contact_email": "referrals@met.example.org", "escalation_email": "da-manager@met.example.org"},
	"E09000001": {"contact_email": "mash@cityoflondon.example.org", "escalation_email": "mash-manager@cityoflondon.example.org"},
}

const (
	clientsPerTransition = 8
	runsPerReplica       = 4
	// sweepLogged starts the log line of a finished daily run, whether it succeeded or failed.
	sweepLogged = `msg="escalation run`
)

func TestTwoReplicasRecordEachRungOnceAndDeliverEachEmailOnce(t *testing.T) {
	testenv.RequireRealEngine(t)
	began := time.Now()
	smtp := testenv.StartSMTP(t)
	env := newEnv(t,
		"SAFEGUARDING_SMTP_HOST", smtp.Host, "SAFEGUARDING_SMTP_PORT", strconv.Itoa(smtp.Port), "SAFEGUARDING_SMTP_TLS", "none",
		"SAFEGUARDING_MAIL_FROM", "safeguarding@probation.example.org",
		"SAFEGUARDING_NOTICE_INTERVAL", "1s", "SAFEGUARDING_OUTBOX_INTERVAL", "1s", "SAFEGUARDING_RATE_LIMIT", "0",
		// Eight clients fire each transition at once: the per-user share must not answer for the lifecycle.
		"SAFEGUARDING_MAX_IN_FLIGHT_PER_USER", "0")
	db := testenv.Client().Database(env["MONGODB_DATABASE"])

	tokens := map[string]string{}
	for _, u := range []struct {
		key  string
		args []string
	}{
		{"admin", []string{"--role", "admin", "--name", "Ada Admin", "--email", "ada@probation.example.org"}},
		{"com", []string{"--role", "com", "--name", "Colm Oman", "--email", "colm@probation.example.org", "--team", "N07-T1"}},
		{"manager1", []string{"--role", "manager", "--name", "Mina Manager", "--email", "mina@probation.example.org", "--teams", "N07-T1"}},
		{"manager2", []string{"--role", "manager", "--name", "Mo Manager", "--email", "mo@probation.example.org", "--teams", "N07-T1"}},
		{"police", []string{"--role", "liaison", "--name", "Pat Police", "--email", "pat@met.example.org", "--agency", "E23000001"}},
		{"council", []string{"--role", "liaison", "--name", "Cal Council", "--email", "cal@cityoflondon.example.org", "--agency", "E09000001"}},
	} {
		tokens[u.key], _ = addUser(t, env, u.args...)
	}

	// The set-up day, on one process whose notice sweep waits ten minutes: nothing may fire
	// before the escalation day, so that what that day records is all the replicas' doing.
	setUpEnv := maps.Clone(env)
	setUpEnv["SAFEGUARDING_CLOCK_START"] = setUpDay.Format(time.RFC3339)
	setUpEnv["SAFEGUARDING_NOTICE_INTERVAL"] = "10m"
	setUp := startServes(t, setUpEnv, 1)[0]
	// Its start-up sweep must be over before there is anything to sweep.
	waitFor(t, "the set-up process's start-up sweep", func() bool { return strings.Contains(setUp.stderr.String(), sweepLogged) })
	for code, mailboxes := range agencyMailboxes {
		mustSend(t, setUp.url, "PATCH", "/api/v1/agencies/"+code, tokens["admin"], 0, mailboxes, http.StatusOK)
	}
	checkIDs := map[string]string{} // crn + "/" + type → check id
	for _, sc := range scenarios() {
		body := releaseBody(sc.releaseDate)
		body["crn"] = sc.crn
		created := mustSend(t, setUp.url, "POST", "/api/v1/releases", tokens["com"], 0, body, http.StatusCreated)
		for _, c := range created.body["checks"].([]any) {
			c := c.(map[string]any)
			checkIDs[sc.crn+"/"+c["type"].(string)] = c["id"].(string)
		}
	}
	for _, sc := range scenarios() {
		for _, step := range sc.setUp {
			for _, typ := range []string{"domestic_abuse", "child_safeguarding"} {
				id := checkIDs[sc.crn+"/"+typ]
				switch step {
				case doRequest:
					mustSend(t, setUp.url, "POST", "/api/v1/checks/"+id+"/request", tokens["com"], 0, nil, http.StatusOK)
				case doRespond:
					liaison := map[string]string{"domestic_abuse": "police", "child_safeguarding": "council"}[typ]
					mustSend(t, setUp.url, "POST", "/api/v1/checks/"+id+"/response", tokens[liaison], 0,
						map[string]any{"outcome": "no_information"}, http.StatusOK)
				case doComplete:
					mustSend(t, setUp.url, "POST", "/api/v1/checks/"+id+"/complete", tokens["com"], 0,
						map[string]any{"note": "Read and recorded."}, http.StatusOK)
				}
			}
		}
	}
	if n := sum(recordedByRule(t, setUp, tokens["admin"])); n != 0 {
		t.Fatalf("the set-up process recorded %d rungs on the set-up day: the fixture is not what the escalation day expects", n)
	}
	stopServe(t, setUp)
	sanityCheckFixture(t, db, checkIDs)

	// The escalation day: two replicas started at once, so that their start-up sweeps race, and
	// while they sweep, every client fires at once: runs on both replicas and the transitions,
	// each transition from eight clients split across the two.
	dayEnv := maps.Clone(env)
	dayEnv["SAFEGUARDING_CLOCK_START"] = escalationDay.Format(time.RFC3339)
	replicas := startServes(t, dayEnv, 2)

	trs := transitions()
	versions := make([]int64, len(trs))
	for i, tr := range trs {
		got := mustSend(t, replicas[0].url, "GET", "/api/v1/checks/"+checkIDs[tr.crn+"/"+tr.checkType], tokens["admin"], 0, nil, http.StatusOK)
		versions[i] = int64(got.body["version"].(float64))
	}
	fire := make(chan struct{})
	var wg sync.WaitGroup
	trAnswers := make([][]answer, len(trs))
	for i, tr := range trs {
		trAnswers[i] = make([]answer, clientsPerTransition)
		for k := range clientsPerTransition {
			wg.Add(1)
			go func() {
				defer wg.Done()
				v := int64(0)
				if tr.ifMatch {
					v = versions[i]
				}
				<-fire
				trAnswers[i][k] = send(replicas[k%len(replicas)].url, "POST",
					"/api/v1/checks/"+checkIDs[tr.crn+"/"+tr.checkType]+"/"+tr.action, tokens[tr.as], v, orEmpty(tr.body))
			}()
		}
	}
	var runAnswers []answer
	var runMu sync.Mutex
	runOn := func(rounds int) {
		for range rounds {
			for _, rep := range replicas {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-fire
					a := send(rep.url, "POST", "/api/v1/escalations/run", tokens["admin"], 0, map[string]any{})
					runMu.Lock()
					runAnswers = append(runAnswers, a)
					runMu.Unlock()
				}()
			}
		}
	}
	runOn(runsPerReplica)
	close(fire)
	wg.Wait()
	// A second round, once the transitions are in: the state they left is swept too.
	runOn(runsPerReplica / 2)
	wg.Wait()

	for _, a := range runAnswers {
		if a.err != nil || a.status != http.StatusOK {
			t.Errorf("an escalation run failed: %v %d %s", a.err, a.status, a.raw)
		}
	}

	// Let the replicas finish the day: their start-up sweeps are over, every notice due is
	// recorded, the outbox is drained, and it stays so for a few sweeps and drains (a sweep
	// that read the checks before the last notice was recorded may still queue an email).
	settled(t, "the replicas to finish the day", 3*time.Second, func() (bool, string) {
		for i, rep := range replicas {
			if !strings.Contains(rep.stderr.String(), sweepLogged) {
				return false, fmt.Sprintf("replica %d's start-up sweep is not over", i)
			}
		}
		cs := readChecks(t, db)
		var missing []string
		for _, c := range cs {
			if rule := map[string]string{"requested": "request_notice", "responded": "response_notice"}[c.Status]; rule != "" {
				if _, ok := c.Escalations[rule]; !ok {
					missing = append(missing, c.ID+"/"+rule)
				}
			}
		}
		waiting, sent := readOutbox(t, db)
		busy := 0
		for _, e := range waiting {
			if e.Status == "pending" || e.Status == "sending" {
				busy++
			}
		}
		state := fmt.Sprintf("notices not recorded %v, %d emails pending or sending, %d sent, %d messages received",
			missing, busy, len(sent), len(smtp.Messages()))
		return len(missing) == 0 && busy == 0, state
	})
	recorded := map[string]int{}
	for i, rep := range replicas {
		byRule := recordedByRule(t, rep, tokens["admin"])
		t.Logf("replica %d recorded %d rungs: %v", i, sum(byRule), byRule)
		for rule, n := range byRule {
			recorded[rule] += n
		}
	}
	for _, rep := range replicas {
		stopServe(t, rep)
	}

	// From here on nothing runs: the database and the mail server hold the outcome.
	checksAfter := readChecks(t, db)
	waiting, sent := readOutbox(t, db)
	messages := smtp.Messages()

	t.Run("each transition has exactly one winner and its write is kept", func(t *testing.T) {
		losers, won := map[int]int{}, 0
		for i, tr := range trs {
			id := checkIDs[tr.crn+"/"+tr.checkType]
			allowed := []int{http.StatusConflict}
			if tr.ifMatch {
				allowed = append(allowed, http.StatusPreconditionFailed)
			}
			var winners []answer
			for _, a := range trAnswers[i] {
				switch {
				case a.err != nil:
					t.Errorf("%s %s of %s: %v", tr.action, tr.checkType, tr.crn, a.err)
				case a.status == http.StatusOK:
					winners = append(winners, a)
				case slices.Contains(allowed, a.status):
					losers[a.status]++
				default:
					t.Errorf("%s %s of %s: a loser got %d %s, want one of %v", tr.action, tr.checkType, tr.crn, a.status, a.raw, allowed)
				}
			}
			won += len(winners)
			if len(winners) != 1 {
				t.Errorf("%s %s of %s: %d of %d concurrent clients won, want exactly 1", tr.action, tr.checkType, tr.crn, len(winners), clientsPerTransition)
				continue
			}
			keptWrite(t, tr, winners[0], checksAfter[id])
		}
		t.Logf("%d transitions fired by %d clients each across both replicas: %d winners, losers by status %v",
			len(trs), clientsPerTransition, won, losers)
	})

	t.Run("each rung is recorded once, as the ladder says", func(t *testing.T) {
		inDB := map[string]int{}
		for _, sc := range scenarios() {
			for _, typ := range []string{"domestic_abuse", "child_safeguarding"} {
				c := checksAfter[checkIDs[sc.crn+"/"+typ]]
				var got []string
				for rule, e := range c.Escalations {
					got = append(got, rule)
					inDB[rule]++
					if len(e.To) == 0 || len(e.Undeliverable) > 0 {
						t.Errorf("%s %s (%s): %s was recorded to %v, undeliverable %v: every address is set", sc.crn, typ, sc.name, rule, e.To, e.Undeliverable)
					}
				}
				sort.Strings(got)
				for _, rule := range sc.must {
					if !slices.Contains(got, rule) {
						t.Errorf("%s %s (%s): %s is not recorded; recorded %v", sc.crn, typ, sc.name, rule, got)
					}
				}
				for _, rule := range got {
					if !slices.Contains(sc.must, rule) && !slices.Contains(sc.may, rule) {
						t.Errorf("%s %s (%s): %s is recorded but is not due; recorded %v", sc.crn, typ, sc.name, rule, got)
					}
				}
			}
		}
		// A rung recorded by two runs would show as more records counted by the replicas than
		// the checks hold.
		for _, rule := range unionKeys(inDB, recorded) {
			if recorded[rule] != inDB[rule] {
				t.Errorf("%s: the replicas recorded it %d times, the checks hold %d records", rule, recorded[rule], inDB[rule])
			}
		}
		// The runs' own answers say which (check, rule) each recorded: never two.
		byItem := map[string]int{}
		for _, a := range runAnswers {
			items, _ := a.body["items"].([]any)
			for _, it := range items {
				it := it.(map[string]any)
				if it["recorded"] == true {
					byItem[fmt.Sprint(it["check_id"], "/", it["rule"])]++
				}
			}
		}
		for item, n := range byItem {
			if n > 1 {
				t.Errorf("%s was recorded by %d escalation runs, want 1", item, n)
			}
		}
		t.Logf("%d rungs recorded on %d checks: %v (%d of them by the %d runs asked through the API, the rest by the start-up and notice sweeps)",
			sum(inDB), len(checkIDs), inDB, len(byItem), len(runAnswers))
	})

	t.Run("every email sent reached the mail server exactly once", func(t *testing.T) {
		for _, e := range waiting {
			t.Errorf("email %s to %q is left %s after %d attempts (items %v)", short(e.Key), e.To+e.Missing, e.Status, e.Attempts, e.Items)
		}
		received := messageKeys(messages)
		for key, e := range sent {
			switch n := received[key]; {
			case n == 0:
				t.Errorf("email %s to %s is marked sent but never reached the mail server (items %v)", short(key), e.To, e.Items)
			case n > 1:
				var dates []string
				for _, m := range messages {
					if strings.HasPrefix(strings.Trim(m.MessageID(), "<>"), key+"@") {
						dates = append(dates, m.Header.Get("Date"))
					}
				}
				t.Errorf("email %s to %s (%d rungs) reached the mail server %d times (Date headers %q); outbox_sent holds it once: "+
					"created %s, sent %s, after %d attempt(s)", short(key), e.To, len(e.Items), n, dates,
					e.CreatedAt.Format("15:04:05.000"), e.SentAt.Format("15:04:05.000"), e.Attempts)
			}
		}
		for key, n := range received {
			if _, ok := sent[key]; !ok {
				t.Errorf("the mail server got %d messages with Message-ID %s, which the outbox does not hold as sent", n, short(key))
			}
		}
		for _, m := range messages {
			key, _, _ := strings.Cut(strings.Trim(m.MessageID(), "<>"), "@")
			if e, ok := sent[key]; ok && (len(m.To) != 1 || !strings.EqualFold(m.To[0], e.To)) {
				t.Errorf("email %s for %s reached the mail server for %v", short(key), e.To, m.To)
			}
		}
		t.Logf("%d emails sent, %d messages received by the mail server, %d distinct Message-IDs",
			len(sent), len(messages), len(received))
	})

	t.Run("each rung reaches each of its recipients in exactly one email", func(t *testing.T) {
		names := map[string]string{} // check id → "CRN type", for messages a person can read
		for k, id := range checkIDs {
			names[id] = strings.Replace(k, "/", " ", 1)
		}
		itemName := func(item string) string {
			id, rule, _ := strings.Cut(item, "/")
			return names[id] + " " + rule
		}
		// An email's item is check/rule@basis, and #n from a rung's second firing on.
		itemKey := func(id, rule, basis string, earlier int) string {
			k := id + "/" + rule + "@" + basis
			if earlier > 0 {
				k += fmt.Sprintf("#%d", earlier+1)
			}
			return k
		}
		carried := map[string][]string{} // address + " " + check/rule → keys of the sent emails carrying it
		for key, e := range sent {
			for _, it := range e.Items {
				carried[e.To+" "+it] = append(carried[e.To+" "+it], key)
			}
		}
		expected := map[string]bool{}
		for _, c := range checksAfter {
			for rule, e := range c.Escalations {
				for _, to := range e.To {
					expected[to+" "+itemKey(c.ID, rule, e.Basis, len(e.Earlier))] = true
				}
			}
		}
		// Rungs that reached someone more than once are grouped by the emails that carried
		// them: the emails are the evidence.
		repeated := map[string][]string{} // address + " " + the emails' keys → the rungs they share
		pairs, twice := 0, 0
		for _, k := range unionKeys(carried, expected) {
			to, item, _ := strings.Cut(k, " ")
			keys := carried[k]
			switch {
			case !expected[k]:
				t.Errorf("%s got %s in email %v, but the check does not record that rung as sent to it", to, itemName(item), shorts(keys))
			case len(keys) == 0:
				t.Errorf("%s is recorded as sent to %s, but no email sent carried it", itemName(item), to)
			case len(keys) > 1:
				sort.Strings(keys)
				group := to + " " + strings.Join(keys, " ")
				repeated[group] = append(repeated[group], itemName(item))
				twice++
			}
			pairs++
		}
		for _, group := range slices.Sorted(maps.Keys(repeated)) {
			to, joined, _ := strings.Cut(group, " ")
			var emails []string
			for _, key := range strings.Fields(joined) {
				e := sent[key]
				emails = append(emails, fmt.Sprintf("%s (%d rungs, as of %s)", short(key), len(e.Items), e.AsOf.Format("15:04:05.000")))
			}
			t.Errorf("%s got %d rungs more than once, in %d different emails %s: %s",
				to, len(repeated[group]), len(emails), strings.Join(emails, ", "), strings.Join(repeated[group], "; "))
		}
		t.Logf("%d (recipient, rung) pairs recorded; %d of them reached their recipient in more than one email", pairs, twice)
	})

	if t.Failed() {
		for i, rep := range replicas {
			t.Logf("replica %d warnings and errors:\n%s", i, problems(rep.stderr.String()))
		}
	}
	t.Logf("the whole test took %s", time.Since(began).Round(100*time.Millisecond))
}

// sanityCheckFixture fails the test when the set-up day did not leave the dates the scenarios
// are written for (a change of the deadline rules would make them test something else).
func sanityCheckFixture(t *testing.T, db *mongo.Database, checkIDs map[string]string) {
	t.Helper()
	cs := readChecks(t, db)
	want := map[string]struct{ status, requestBy, dueDate string }{
		"X100001": {"required", "2027-01-18", ""},
		"X100002": {"required", "2027-02-01", ""},
		"X100003": {"requested", "2027-01-18", "2027-01-25"},
		"X100008": {"requested", "2027-01-18", "2027-01-25"},
	}
	for crn, w := range want {
		for _, typ := range []string{"domestic_abuse", "child_safeguarding"} {
			c := cs[checkIDs[crn+"/"+typ]]
			if c.Status != w.status || c.RequestBy != w.requestBy || c.DueDate != w.dueDate {
				t.Fatalf("fixture: %s %s is %s, request by %q, due %q; the scenarios expect %s, %q, %q",
					crn, typ, c.Status, c.RequestBy, c.DueDate, w.status, w.requestBy, w.dueDate)
			}
		}
	}
}

// keptWrite checks that the state a winner was answered with is the state the database holds:
// same status and version, and its history entry there exactly once.
func keptWrite(t *testing.T, tr transition, won answer, after storedCheck) {
	t.Helper()
	what := fmt.Sprintf("%s %s of %s", tr.action, tr.checkType, tr.crn)
	status, _ := won.body["status"].(string)
	version, _ := won.body["version"].(float64)
	history, _ := won.body["history"].([]any)
	if _, agencyView := won.body["request_note"]; agencyView && status == tr.want {
		// A liaison is answered the agency's view of the check, which has no history: its
		// write is kept when the database holds that version, answered once.
		answered := 0
		for _, h := range after.History {
			if h.Action == "respond" {
				answered++
			}
		}
		if after.Status != status || after.Version != int64(version) || answered != 1 {
			t.Errorf("%s: the winner was answered %s at version %d; the database holds %s at version %d, answered %d times",
				what, status, int64(version), after.Status, after.Version, answered)
		}
		return
	}
	if status != tr.want || len(history) == 0 {
		t.Errorf("%s: the winner was answered status %q with %d history entries, want %s", what, status, len(history), tr.want)
		return
	}
	last := history[len(history)-1].(map[string]any)
	at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(last["at"]))
	if err != nil {
		t.Errorf("%s: the winner's last history entry has no time: %v", what, last)
		return
	}
	if after.Status != status || after.Version != int64(version) || len(after.History) != len(history) {
		t.Errorf("%s: the winner was answered %s at version %d with %d history entries; the database holds %s at version %d with %d",
			what, status, int64(version), len(history), after.Status, after.Version, len(after.History))
	}
	same := 0
	for _, h := range after.History {
		if h.Action == last["action"] && h.At.Equal(at) && h.ActorID == last["actor_id"] {
			same++
		}
	}
	if same != 1 {
		t.Errorf("%s: the winner's history entry (%v at %s) is in the database %d times, want once", what, last["action"], at, same)
	}
}

// startServes starts n serve processes at once on the same settings and returns when every
// one listens. Unlike startChild, none waits for another, so their start-up sweeps overlap.
func startServes(t *testing.T, env map[string]string, n int) []*child {
	t.Helper()
	children := make([]*child, n)
	listens := make([]<-chan string, n)
	for i := range n {
		children[i], listens[i] = spawnChild(t, env)
	}
	for i, c := range children {
		c.awaitListening(t, listens[i])
	}
	return children
}

// stopServe stops a serve process as an orchestrator would (SIGTERM) and waits for it to exit
// cleanly, having finished the batch it was sending.
func stopServe(t *testing.T, c *child) {
	t.Helper()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, c.stderr)
		}
	case <-time.After(startTimeout):
		t.Fatalf("serve did not exit after SIGTERM\n%s", c.stderr)
	}
}

// answer is what one API request got. It is made in goroutines, so it carries its error
// rather than failing the test.
type answer struct {
	status int
	body   map[string]any
	raw    []byte
	err    error
}

var apiClient = &http.Client{Timeout: startTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// send makes one API request; a non-zero ifMatch is sent as If-Match.
func send(base, method, path, token string, ifMatch int64, body any) answer {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{err: err}
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, r)
	if err != nil {
		return answer{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if ifMatch != 0 {
		req.Header.Set("If-Match", `"`+strconv.FormatInt(ifMatch, 10)+`"`)
	}
	res, err := apiClient.Do(req)
	if err != nil {
		return answer{err: fmt.Errorf("%s %s: %w", method, path, err)}
	}
	defer res.Body.Close()
	a := answer{status: res.StatusCode}
	if a.raw, err = io.ReadAll(res.Body); err != nil {
		return answer{err: err}
	}
	if len(a.raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/") {
		if err := json.Unmarshal(a.raw, &a.body); err != nil {
			a.err = fmt.Errorf("%s %s: answer %d is not a JSON object: %w", method, path, a.status, err)
		}
	}
	return a
}

// mustSend makes one API request that must be answered want.
func mustSend(t *testing.T, base, method, path, token string, ifMatch int64, body any, want int) answer {
	t.Helper()
	a := send(base, method, path, token, ifMatch, body)
	if a.err != nil || a.status != want {
		t.Fatalf("%s %s: %v, status %d %s; want %d", method, path, a.err, a.status, a.raw, want)
	}
	return a
}

func orEmpty(body map[string]any) map[string]any {
	if body == nil {
		return map[string]any{}
	}
	return body
}

var recordedMetric = regexp.MustCompile(`(?m)^safeguarding_escalations_recorded_total\{rule="([a-z_]+)"\} (\S+)$`)

// recordedByRule reads how many rungs a serve process recorded itself, by rule, from its
// metrics: the only count of which process won each conditional update.
func recordedByRule(t *testing.T, c *child, admin string) map[string]int {
	t.Helper()
	a := send(c.url, "GET", "/metrics", admin, 0, nil)
	if a.err != nil || a.status != http.StatusOK {
		t.Fatalf("GET /metrics: %v, status %d", a.err, a.status)
	}
	out := map[string]int{}
	for _, m := range recordedMetric.FindAllStringSubmatch(string(a.raw), -1) {
		n, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatalf("metric %q: %v", m[0], err)
		}
		out[m[1]] = int(n)
	}
	return out
}

// storedCheck is the part of a check document the test reads.
type storedCheck struct {
	ID        string `bson:"_id"`
	Status    string `bson:"status"`
	RequestBy string `bson:"request_by"`
	DueDate   string `bson:"due_date"`
	Version   int64  `bson:"version"`
	History   []struct {
		At      time.Time `bson:"at"`
		ActorID string    `bson:"actor_id"`
		Action  string    `bson:"action"`
	} `bson:"history"`
	Escalations map[string]struct {
		Basis         string     `bson:"basis"`
		To            []string   `bson:"to"`
		Undeliverable []string   `bson:"undeliverable"`
		Earlier       []struct{} `bson:"earlier"`
	} `bson:"escalations"`
}

func readChecks(t *testing.T, db *mongo.Database) map[string]storedCheck {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cur, err := db.Collection("checks").Find(ctx, bson.M{})
	if err != nil {
		t.Fatal(err)
	}
	var docs []storedCheck
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]storedCheck, len(docs))
	for _, d := range docs {
		out[d.ID] = d
	}
	return out
}

// storedEmail is the part of an outbox document the test reads.
type storedEmail struct {
	Key       string    `bson:"_id"`
	To        string    `bson:"to"`
	Missing   string    `bson:"missing"`
	Status    string    `bson:"status"`
	Attempts  int       `bson:"attempts"`
	Items     []string  `bson:"items"`
	AsOf      time.Time `bson:"as_of"`
	CreatedAt time.Time `bson:"created_at"`
	SentAt    time.Time `bson:"sent_at"`
}

// readOutbox returns the emails still waiting (any status) and the sent ones, by key.
func readOutbox(t *testing.T, db *mongo.Database) (waiting []storedEmail, sent map[string]storedEmail) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	read := func(name string) []storedEmail {
		cur, err := db.Collection(name).Find(ctx, bson.M{})
		if err != nil {
			t.Fatal(err)
		}
		var docs []storedEmail
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		return docs
	}
	waiting = read("outbox")
	sent = map[string]storedEmail{}
	for _, e := range read("outbox_sent") {
		sent[e.Key] = e
	}
	return waiting, sent
}

// settled polls cond until it has held, describing the same state, for at least settle, and
// fails with the last state described when that does not happen within the deadline (only
// reached when something is wrong).
func settled(t *testing.T, what string, settle time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(2 * startTimeout)
	var since time.Time
	var held string
	for {
		ok, state := cond()
		switch {
		case !ok:
			since = time.Time{}
		case since.IsZero() || state != held:
			since, held = time.Now(), state
		case time.Since(since) >= settle:
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last seen: %s", what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// unionKeys returns the keys of both maps, sorted.
func unionKeys[A, B any](a map[string]A, b map[string]B) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

func short(key string) string {
	if len(key) > 12 {
		return key[:12]
	}
	return key
}

func shorts(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = short(k)
	}
	return out
}

// problems keeps the warning and error lines of a serve's log.
func problems(log string) string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
