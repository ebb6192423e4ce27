package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/probation/safeguarding/api"
	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/internal/testenv"
	"github.com/probation/safeguarding/notify"
	"github.com/probation/safeguarding/store"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// site is the service with its pages, on a fresh database, with the clock at Tuesday
// 24 November 2026, 09:00, and people of every role with their tokens.
type site struct {
	url   string
	svc   *checks.Service
	clock *testenv.Clock
	users map[string]person
	// outbox holds the emails; the admin's pages list those not sent.
	outbox *store.Outbox
}

type person struct {
	user  checks.User
	token string
}

func newSite(t *testing.T) *site {
	t.Helper()
	return newSiteWith(t, nil)
}

// newSiteWith is newSite with the HTTP options changed by opts (which may be nil), once the
// site's address (Options.BaseURL) is known.
func newSiteWith(t *testing.T, opts func(*api.Options)) *site {
	t.Helper()
	ctx := context.Background()
	s := &site{clock: testenv.At(t, "2026-11-24T09:00:00Z"), users: map[string]person{}}
	st := store.New(testenv.Database(t), testenv.Logger())
	s.svc = checks.NewService(st, s.clock, checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}, testenv.Logger())
	if err := s.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for key, in := range map[string]checks.UserInput{
		"com":         {Name: "Colm Oman", Email: "colm@probation.example.org", Role: "com", Team: "N07-T1"},
		"manager":     {Name: "Mina Manager", Email: "mina@probation.example.org", Role: "manager", Teams: []string{"N07-T1"}},
		"police":      {Name: "Pat Police", Email: "pat@met.example.org", Role: "liaison", Agency: "E23000001"},
		"otherPolice": {Name: "Cal Cumbria", Email: "cal@cumbria.example.org", Role: "liaison", Agency: "E23000002"},
		"admin":       {Name: "Ada Admin", Email: "ada@probation.example.org", Role: "admin"},
	} {
		u, token, err := s.svc.CreateUser(ctx, checks.System("test"), in)
		if err != nil {
			t.Fatal(err)
		}
		s.users[key] = person{u, token}
	}
	db := st.Database()
	s.outbox = store.NewOutbox(db)
	if err := s.outbox.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	smtp := testenv.StartSMTP(t)
	mailer := notify.NewSMTPMailer(notify.SMTPConfig{Host: smtp.Host, Port: smtp.Port, TLS: notify.TLSNone, From: "safeguarding@probation.example.org", Timeout: 5 * time.Second})
	deadlines := checks.Deadlines{Policy: checks.DefaultPolicy(), Calendar: checks.NewCalendar(nil)}
	srv := httptest.NewUnstartedServer(nil)
	s.url = "http://" + srv.Listener.Addr().String()
	// The browser tests sign in with a token through the form, which is off unless turned on.
	o := api.Options{TokenSignIn: true, BaseURL: s.url,
		Outbox: s.outbox, Sender: notify.NewSender(s.outbox, mailer, s.clock, notify.DefaultSenderConfig(), testenv.Logger()),
		Escalator: notify.NewEscalator(st, st, s.outbox, notify.Ladder{Thresholds: notify.DefaultThresholds(), Deadlines: deadlines},
			s.clock, s.url, testenv.Logger()),
	}
	if opts != nil {
		opts(&o)
	}
	h, err := api.New(s.svc, testenv.Logger(), o)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

// release records John Smith's release on 15 February 2027, and requests its DA check from
// the Met when requested is true.
func (s *site) release(t *testing.T, requested bool) (checks.Release, checks.Check) {
	t.Helper()
	ctx := context.Background()
	r, err := s.svc.CreateRelease(ctx, s.users["com"].user, checks.ReleaseInput{
		CRN: "X123456", NOMSNumber: "A1234BC", FullName: "John Smith", DateOfBirth: "1985-03-02",
		ReleaseDate: "2027-02-15", PrisonCode: "LEI", PoliceForce: "E23000001", LocalAuthority: "E09000001",
		Address: &checks.AddressInput{Line1: "1 Example Street", Town: "London", Postcode: "EC1A 1BB"},
	})
	if err != nil {
		t.Fatal(err)
	}
	da := r.Checks[0]
	if requested {
		if da, err = s.svc.RequestCheck(ctx, s.users["com"].user, da.ID, nil, ""); err != nil {
			t.Fatal(err)
		}
	}
	return r, da
}

// browser is a headless Chromium of its own (own profile, own cookies) for one test. It
// keeps a screenshot of every page it checks, written under test-output/browser when the
// test fails.
type browser struct {
	t     *testing.T
	ctx   context.Context
	site  *site
	mu    sync.Mutex
	shots []shot
}

type shot struct {
	name string
	png  []byte
}

// chromiumPath finds Debian's Chromium. Without it the browser tests cannot run: CI installs
// it (.ci/run), and sets SAFEGUARDING_REQUIRE_BROWSER so that a missing browser fails there.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if path, err := exec.LookPath("chromium"); err == nil {
		return path
	}
	if os.Getenv("SAFEGUARDING_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found: install Debian's chromium package (apt-get install chromium)")
	}
	t.Skip("no Chromium on this machine: the browser tests need Debian's chromium package")
	return ""
}

func (s *site) browser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	b := &browser{t: t, ctx: ctx, site: s}
	t.Cleanup(func() {
		if t.Failed() {
			b.writeShots()
		}
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	return b
}

// do runs steps, failing the test on an error.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.snap("failure")
		b.t.Fatalf("browser: %v", err)
	}
}

func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.snap("failure")
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// open navigates to a path of the site and waits for the page.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.site.url + path))
	b.settle()
}

// leaving marks the page shown, so that settle can tell when the next one has replaced it.
func (b *browser) leaving() {
	b.t.Helper()
	run(b, chromedp.Evaluate[bool](`window.sgLeaving = true`))
}

// settle waits for a new page to be loaded: not the page marked by leaving, not a page about
// to refresh itself.
func (b *browser) settle() {
	b.t.Helper()
	const ready = `!window.sgLeaving && document.readyState === "complete" && !document.querySelector('meta[http-equiv="refresh"]')`
	deadline := time.Now().Add(30 * time.Second)
	for {
		// While a page is replaced, evaluating fails (its context is gone): try again.
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](ready))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.snap("not-loaded")
			b.t.Fatalf("the page did not load (last error: %v)", err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// path returns the path of the page shown.
func (b *browser) path() string {
	b.t.Helper()
	loc := run(b, chromedp.Location())
	return strings.TrimPrefix(loc, b.site.url)
}

// heading returns the page's h1.
func (b *browser) heading() string {
	b.t.Helper()
	return strings.TrimSpace(run(b, chromedp.Evaluate[string](`(document.querySelector("h1") || {innerText: ""}).innerText`)))
}

// text returns the visible text of the main content.
func (b *browser) text() string {
	b.t.Helper()
	return run(b, chromedp.Evaluate[string](`(document.querySelector("main") || document.body).innerText`))
}

// submit clicks a button and waits for the next page.
func (b *browser) submit(button string) {
	b.t.Helper()
	b.leaving()
	b.do(chromedp.Click(button))
	b.settle()
}

// signIn signs in as one of the site's people from the page shown (the sign-in page).
func (b *browser) signIn(who string) {
	b.t.Helper()
	if h := b.heading(); h != "Sign in" {
		b.t.Fatalf("expected the sign-in page, got %q at %s", h, b.path())
	}
	b.do(chromedp.SendKeys("#token", b.site.users[who].token))
	b.submit(`//button[normalize-space()="Sign in"]`)
}

// snap keeps a screenshot of the page shown.
func (b *browser) snap(name string) {
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.shots = append(b.shots, shot{name, png})
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9]+`)

func (b *browser) writeShots() {
	dir := filepath.Join("..", "..", "test-output", "browser", unsafeName.ReplaceAllString(b.t.Name(), "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, s := range b.shots {
		_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.png", i+1, unsafeName.ReplaceAllString(s.name, "-"))), s.png, 0o644)
	}
	abs, _ := filepath.Abs(dir)
	b.t.Logf("screenshots of the pages are in %s", abs)
}

// axe runs axe-core's accessibility rules (WCAG 2.2 A and AA, and best practice) on the page
// shown and fails the test for every violation.
func (b *browser) axe(page string) {
	b.t.Helper()
	b.snap(page)
	src, err := os.ReadFile(filepath.Join("axe", "axe.min.js"))
	if err != nil {
		b.t.Fatal(err)
	}
	run(b, chromedp.Evaluate[any](string(src)))
	out := run(b, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(" "))}))))`,
		chromedp.EvalAwaitPromise))
	var violations []struct {
		ID, Impact, Help string
		Nodes            []string
	}
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		b.t.Fatalf("axe's answer: %v", err)
	}
	for _, v := range violations {
		b.t.Errorf("%s (%s): axe %s, %s: %s", page, b.path(), v.Impact, v.ID, v.Help+" at "+strings.Join(v.Nodes, "; "))
	}
	b.narrow(page)
}

// narrow shows the page 320 CSS pixels wide (WCAG 2.2's reflow, 1.4.10: a 1280 pixel screen
// zoomed to 400%) and fails the test if anything on it makes the page scroll sideways,
// naming the first elements that stick out. Every page the sweep checks with axe is checked
// so.
func (b *browser) narrow(page string) {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(320, 800))
	defer b.do(chromedp.EmulateReset())
	out := run(b, chromedp.Evaluate[string](`(() => {
		const root = document.documentElement, width = root.clientWidth;
		const out = [...document.body.querySelectorAll("*")].filter(e => e.getBoundingClientRect().right > width + 0.5)
			.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : ""));
		return JSON.stringify({scroll: root.scrollWidth, width, out});
	})()`))
	var got struct {
		Scroll, Width int
		Out           []string
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		b.t.Fatalf("the page's width: %v", err)
	}
	if got.Scroll > got.Width {
		b.snap(page + " at 320 px")
		b.t.Errorf("%s (%s) at 320 px: the page is %d px wide and scrolls sideways; sticking out: %s", page, b.path(), got.Scroll, strings.Join(got.Out, ", "))
	}
}
