package notify_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// Addresses of the fixture's people and mailboxes.
const (
	comEmail       = "colm@probation.example.org"
	managerEmail   = "mina@probation.example.org"
	metContact     = "referrals@met.example.org"
	metEscalation  = "dci@met.example.org"
	cityContact    = "mash@cityoflondon.example.org"
	cityEscalation = "head@cityoflondon.example.org"
	supportEmail   = "support@probation.example.org"
)

// fixture is the whole escalation chain on a fresh database: the checks service, the outbox,
// the escalator and a sender delivering to a real SMTP server on loopback. The clock starts
// on Tuesday 24 November 2026 at 09:00.
type fixture struct {
	clock  *testenv.Clock
	store  *store.Store
	svc    *checks.Service
	outbox *store.Outbox
	esc    *notify.Escalator
	ladder notify.Ladder
	sender *notify.Sender
	smtp   *testenv.SMTPServer

	com, manager, police, childrens checks.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{clock: testenv.At(t, "2026-11-24T09:00:00Z"), smtp: testenv.StartSMTP(t)}
	db := testenv.Database(t)
	f.store = store.New(db, testenv.Logger())
	deadlines := checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}
	f.svc = checks.NewService(f.store, f.clock, deadlines, testenv.Logger())
	if err := f.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f.outbox = store.NewOutbox(db)
	if err := f.outbox.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	f.ladder = notify.Ladder{Thresholds: notify.DefaultThresholds(), Deadlines: deadlines}
	f.esc = notify.NewEscalator(f.store, f.store, f.outbox, f.ladder, f.clock, "https://safeguarding.example.org", testenv.Logger())
	f.esc.Support = supportEmail
	f.sender = notify.NewSender(f.outbox, f.mailer(), f.clock, notify.DefaultSenderConfig(), testenv.Logger())

	admin := checks.System("test")
	f.com = f.user(t, checks.UserInput{Name: "Colm Oman", Email: comEmail, Role: "com", Team: "N07-T1"})
	f.manager = f.user(t, checks.UserInput{Name: "Mina Manager", Email: managerEmail, Role: "manager", Teams: []string{"N07-T1"}})
	f.police = f.user(t, checks.UserInput{Name: "Pat Police", Email: "pat@met.example.org", Role: "liaison", Agency: "E23000001"})
	f.childrens = f.user(t, checks.UserInput{Name: "Chris Childrens", Email: "chris@cityoflondon.example.org", Role: "liaison", Agency: "E09000001"})
	for code, boxes := range map[string][2]string{"E23000001": {metContact, metEscalation}, "E09000001": {cityContact, cityEscalation}} {
		contact, escalation := boxes[0], boxes[1]
		if _, err := f.svc.UpdateAgency(ctx, admin, code, nil, checks.AgencyPatch{ContactEmail: &contact, EscalationEmail: &escalation}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fixture) mailer() notify.Mailer {
	return notify.NewSMTPMailer(notify.SMTPConfig{Host: f.smtp.Host, Port: f.smtp.Port, TLS: notify.TLSNone,
		From: "safeguarding@probation.example.org", FromName: "Safeguarding checks", Timeout: 5 * time.Second})
}

func (f *fixture) user(t *testing.T, in checks.UserInput) checks.User {
	t.Helper()
	u, _, err := f.svc.CreateUser(context.Background(), checks.System("test"), in)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// release records John Smith's release on Monday 15 February 2027 (request by Monday
// 4 January 2027), to an address in the Met's area and the City of London.
func (f *fixture) release(t *testing.T) checks.Release {
	t.Helper()
	r, err := f.svc.CreateRelease(context.Background(), f.com, checks.ReleaseInput{
		CRN: "X123456", NOMSNumber: "A1234BC", FullName: "John Smith", DateOfBirth: "1985-03-02",
		ReleaseDate: "2027-02-15", PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
		Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func checkOf(t *testing.T, r checks.Release, typ checks.CheckType) checks.Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Type == typ {
			return c
		}
	}
	t.Fatalf("no %s check", typ)
	return checks.Check{}
}

// at moves the clock to a London wall-clock time given as "2006-01-02 15:04".
func (f *fixture) at(t *testing.T, london string) {
	t.Helper()
	when, err := time.ParseInLocation("2006-01-02 15:04", london, checks.London())
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Set(when)
}

// run runs the whole ladder now and drains the outbox, failing the test on an error.
func (f *fixture) run(t *testing.T) notify.Plan {
	t.Helper()
	return f.runWith(t, notify.RunOptions{})
}

func (f *fixture) runWith(t *testing.T, opts notify.RunOptions) notify.Plan {
	t.Helper()
	plan, err := f.esc.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := f.sender.Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}
	return plan
}

// sweep runs the notice sweep as serve does, 20 seconds on, over the checks changed in the
// last hour, and drains the outbox.
func (f *fixture) sweep(t *testing.T) {
	t.Helper()
	f.clock.Advance(20 * time.Second)
	f.runWith(t, notify.RunOptions{Rules: notify.NoticeRules(), ChangedSince: f.clock.Now().Add(-time.Hour)})
}

// received returns what the SMTP server got since the last call.
func (f *fixture) received() []testenv.Message {
	msgs := f.smtp.Messages()
	f.smtp.Reset()
	return msgs
}

// headline says which rung a message is about, by the sentence its first line carries.
func headline(m testenv.Message) notify.Rule {
	text := m.Text()
	best, bestAt := notify.Rule(""), len(text)
	for _, rule := range notify.Rules() {
		if i := strings.Index(text, rule.Headline()); i >= 0 && i < bestAt {
			best, bestAt = rule, i
		}
	}
	return best
}

// audit records retries as the fixture's admin does, through the service.
func (f *fixture) audit() notify.AuditRetries {
	return func(ctx context.Context, retries []checks.EmailRetry) error {
		return f.svc.AuditEmailRetries(ctx, checks.System("test"), retries)
	}
}
