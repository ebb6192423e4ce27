// Package config reads the service's settings from environment variables, with a command-line
// flag to override each, and checks them all at start, naming the variable and the values it
// accepts when one is wrong.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// Config is every setting of the service.
type Config struct {
	Addr     string
	DataDir  string
	MongoURI string // empty: start the embedded database under DataDir
	Database string
	BaseURL  string

	// ClockStart, when set, starts the service's clock at that instant (demos and
	// acceptance tests); it then runs on in real time.
	ClockStart time.Time

	LogFormat string // text or json
	LogLevel  slog.Level

	Policy        checks.Policy
	ExtraClosures []checks.Date

	TrustedProxies  []string
	ShutdownTimeout time.Duration
	RequestTimeout  time.Duration
	ImportTimeout   time.Duration
	RateLimit       float64
	RateBurst       int
	// The shares of capacity: requests in flight, overall and for each user; requests made
	// without signing in, and failed sign-ins, for each client address.
	MaxInFlight        int
	MaxInFlightPerUser int
	AnonymousRate      float64
	AnonymousBurst     int
	SignInRate         float64
	SignInBurst        int

	// SupportEmail is where people ask for access to the service or help signing in: the
	// emails and the pages give it.
	SupportEmail string

	// SMTP is the relay; with no host, emails are written as .eml files under DataDir.
	SMTP               notify.SMTPConfig
	OutboxInterval     time.Duration
	Sender             notify.SenderConfig
	EscalationSchedule string
	NoticeInterval     time.Duration
	Thresholds         notify.Thresholds

	// Signing in (see README "Signing in").
	// TokenSignIn lets the sign-in page take a pasted API token: for trials only.
	TokenSignIn bool
	// TokenLifetime is how long an API token issued without a lifetime works.
	TokenLifetime time.Duration
	// OIDCIssuers are the OpenID Connect providers offered for single sign-on, read from the
	// JSON file SAFEGUARDING_OIDC_ISSUERS names.
	OIDCIssuers []OIDCIssuer
}

// OIDCIssuer is one OpenID Connect provider staff may sign in with, as its JSON file gives it.
type OIDCIssuer struct {
	// ID names the issuer in the service's addresses (/sign-in/oidc/ID): letters, digits, -.
	ID string `json:"id"`
	// Name is what the sign-in button says: "Sign in with <Name>".
	Name string `json:"name"`
	// Issuer is the issuer's URL, as its discovery document gives it.
	Issuer       string `json:"issuer"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// Domains are the email domains the issuer may sign in: a verified address elsewhere is
	// refused.
	Domains []string `json:"domains"`
	// EmailVerifiedClaim names the boolean claim saying the email is verified (default
	// email_verified; xms_edov for Microsoft Entra ID).
	EmailVerifiedClaim string `json:"email_verified_claim,omitempty"`
}

// setting is one configurable value: its environment variable, its default, what it means,
// and how it is read into a Config.
type setting struct {
	env   string
	def   string
	usage string
	apply func(c *Config, v string) error
}

// settings lists every setting, in the order help shows them.
func settings() []setting {
	return []setting{
		{"SAFEGUARDING_ADDR", "127.0.0.1:8080", "address the API and the pages listen on: loopback by default; :8080 is every interface (behind a reverse proxy)", func(c *Config, v string) error {
			if v == "" || !strings.Contains(v, ":") {
				return errors.New("must be host:port or :port, e.g. 127.0.0.1:8080 or :8080")
			}
			c.Addr = v
			return nil
		}},
		{"SAFEGUARDING_DATA_DIR", "./data", "directory of the embedded database (owner-only) and of emails written as files", func(c *Config, v string) error {
			if v == "" {
				return errors.New("must be a directory path")
			}
			c.DataDir = v
			return nil
		}},
		{"MONGODB_URI", "", "MongoDB connection string; when empty the embedded database is started", func(c *Config, v string) error {
			if v != "" && !strings.HasPrefix(v, "mongodb://") && !strings.HasPrefix(v, "mongodb+srv://") {
				return errors.New("must start with mongodb:// or mongodb+srv://")
			}
			c.MongoURI = v
			return nil
		}},
		{"MONGODB_DATABASE", "safeguarding", "database name", func(c *Config, v string) error {
			if v == "" || len(v) > 63 || strings.ContainsAny(v, `/\. "$`) {
				return errors.New("must be 1 to 63 characters without / \\ . space \" or $")
			}
			c.Database = v
			return nil
		}},
		{"SAFEGUARDING_BASE_URL", "http://localhost:8080", "public address of the service, used in links in emails", func(c *Config, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("must be an http:// or https:// URL")
			}
			c.BaseURL = strings.TrimSuffix(v, "/")
			return nil
		}},
		{"SAFEGUARDING_CLOCK_START", "", "start the clock at this RFC 3339 time (demos and acceptance tests only)", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return errors.New("must be an RFC 3339 time, e.g. 2027-01-04T09:00:00Z")
			}
			c.ClockStart = t
			return nil
		}},
		{"SAFEGUARDING_LOG_FORMAT", "text", "log format: text or json", func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return errors.New("must be text or json")
			}
			c.LogFormat = v
			return nil
		}},
		{"SAFEGUARDING_LOG_LEVEL", "info", "log level: debug, info, warn or error", func(c *Config, v string) error {
			if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
				return errors.New("must be debug, info, warn or error")
			}
			return nil
		}},
		{"SAFEGUARDING_REQUEST_LEAD_DAYS", "30", "a check should be requested this many working days before release", intIn(1, 120, func(c *Config, n int) { c.Policy.RequestLeadDays = n })},
		{"SAFEGUARDING_RESPONSE_DAYS", "10", "an agency should answer this many working days after the request", intIn(1, 60, func(c *Config, n int) { c.Policy.ResponseDays = n })},
		{"SAFEGUARDING_URGENT_RESPONSE_DAYS", "5", "working days to answer when release is near (see next)", intIn(1, 60, func(c *Config, n int) { c.Policy.UrgentResponseDays = n })},
		{"SAFEGUARDING_URGENT_WITHIN_DAYS", "28", "release within this many calendar days of the request is near", intIn(0, 365, func(c *Config, n int) { c.Policy.UrgentWithinDays = n })},
		{"SAFEGUARDING_REQUEST_CUTOFF", "15:00", "a request after this London time counts from the next working day", func(c *Config, v string) error {
			t, err := time.Parse("15:04", v)
			if err != nil {
				return errors.New("must be a time of day HH:MM, e.g. 15:00")
			}
			c.Policy.RequestCutoff = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
			return nil
		}},
		{"SAFEGUARDING_HARD_STOP_DAYS", "2", "an answer is never due later than this many working days before release", intIn(0, 30, func(c *Config, n int) { c.Policy.HardStopDays = n })},
		{"SAFEGUARDING_EXTRA_CLOSURES", "", "extra non-working days, comma-separated YYYY-MM-DD (one-off bank holidays)", func(c *Config, v string) error {
			c.ExtraClosures = nil
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s == "" {
					continue
				}
				d, err := checks.ParseDate(s)
				if err != nil {
					return fmt.Errorf("must be dates YYYY-MM-DD separated by commas (%q is not)", s)
				}
				c.ExtraClosures = append(c.ExtraClosures, d)
			}
			return nil
		}},
		{"SAFEGUARDING_TRUSTED_PROXIES", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For is believed", func(c *Config, v string) error {
			c.TrustedProxies = nil
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s == "" {
					continue
				}
				if _, err := netip.ParseAddr(s); err != nil {
					if _, err := netip.ParsePrefix(s); err != nil {
						return fmt.Errorf("must be IP addresses or CIDRs separated by commas (%q is not)", s)
					}
				}
				c.TrustedProxies = append(c.TrustedProxies, s)
			}
			return nil
		}},
		{"SAFEGUARDING_REQUEST_TIMEOUT", "30s", "longest time a request may take; a request still waiting on the database then is answered 503", durationIn(time.Second, 10*time.Minute, func(c *Config, d time.Duration) { c.RequestTimeout = d })},
		{"SAFEGUARDING_IMPORT_TIMEOUT", "10m", "longest time an import of a release schedule may take (the API's and the page's): a file of 50,000 rows takes minutes, not the seconds of a request", durationIn(time.Second, time.Hour, func(c *Config, d time.Duration) { c.ImportTimeout = d })},
		{"SAFEGUARDING_RATE_LIMIT", "20", "requests a second each user may make, sustained, API and pages together (0: no limit)", requestRate(func(c *Config, n float64) { c.RateLimit = n })},
		{"SAFEGUARDING_RATE_BURST", "60", "requests each user may make at once above the rate", intIn(1, 100000, func(c *Config, n int) { c.RateBurst = n })},
		{"SAFEGUARDING_MAX_IN_FLIGHT", "64", "requests served at once, health checks aside; past it a request is answered 503 (0: no limit)", intIn(0, 100000, func(c *Config, n int) { c.MaxInFlight = n })},
		// Four: a browser has one page in progress at a time (the assets are not a user's), a
		// script four; on two cores, one token's 50 connections then left another user's reads
		// at a p50 of about 0.3-0.6 s, against 4.3 s with no share at all.
		{"SAFEGUARDING_MAX_IN_FLIGHT_PER_USER", "4", "requests each user may have in progress at once; past it, 429 (0: no limit)", intIn(0, 100000, func(c *Config, n int) { c.MaxInFlightPerUser = n })},
		{"SAFEGUARDING_ANONYMOUS_RATE", "10", "requests a second each client address may make without signing in, sustained (0: no limit)", requestRate(func(c *Config, n float64) { c.AnonymousRate = n })},
		{"SAFEGUARDING_ANONYMOUS_BURST", "100", "requests each client address may make at once above that rate", intIn(1, 100000, func(c *Config, n int) { c.AnonymousBurst = n })},
		{"SAFEGUARDING_SIGN_IN_RATE", "10", "failed sign-ins and token checks a minute each client address may make, sustained; past them nothing from it is signed in until Retry-After (0: no limit)", requestRate(func(c *Config, n float64) { c.SignInRate = n })},
		{"SAFEGUARDING_SIGN_IN_BURST", "20", "failed sign-ins and token checks each client address may make at once above that rate", intIn(1, 100000, func(c *Config, n int) { c.SignInBurst = n })},
		{"SAFEGUARDING_SMTP_HOST", "", "SMTP relay; when empty, emails are written as .eml files under the data directory", func(c *Config, v string) error {
			if strings.ContainsAny(v, " /:@") {
				return errors.New("must be a host name or IP address, without port or scheme")
			}
			c.SMTP.Host = v
			return nil
		}},
		{"SAFEGUARDING_SMTP_PORT", "587", "SMTP port (587 for starttls, 465 for tls)", intIn(1, 65535, func(c *Config, n int) { c.SMTP.Port = n })},
		{"SAFEGUARDING_SMTP_USERNAME", "", "SMTP user name, when the relay wants authentication", func(c *Config, v string) error {
			c.SMTP.Username = v
			return nil
		}},
		{"SAFEGUARDING_SMTP_PASSWORD", "", "SMTP password (never logged)", func(c *Config, v string) error {
			c.SMTP.Password = v
			return nil
		}},
		{"SAFEGUARDING_SMTP_TLS", "starttls", "starttls (mandatory), tls (implicit), or none (only for a relay on loopback)", func(c *Config, v string) error {
			switch notify.TLS(v) {
			case notify.TLSStartTLS, notify.TLSImplicit, notify.TLSNone:
				c.SMTP.TLS = notify.TLS(v)
				return nil
			}
			return errors.New("must be starttls, tls or none")
		}},
		{"SAFEGUARDING_MAIL_FROM", "safeguarding@localhost", "sender address of every email", func(c *Config, v string) error {
			a, err := mail.ParseAddress(v)
			if err != nil || !strings.Contains(a.Address, "@") {
				return errors.New("must be an email address, e.g. safeguarding@probation.example.org")
			}
			c.SMTP.From = v
			return nil
		}},
		{"SAFEGUARDING_MAIL_FROM_NAME", "Safeguarding checks", "display name of the sender of every email, shown by mailboxes instead of the address", func(c *Config, v string) error {
			if v == "" || len(v) > 100 || strings.IndexFunc(v, func(r rune) bool {
				return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
			}) >= 0 {
				return errors.New("must be 1 to 100 characters on one line, e.g. Safeguarding checks")
			}
			c.SMTP.FromName = v
			return nil
		}},
		{"SAFEGUARDING_SUPPORT_EMAIL", "", "address every email and page gives for getting access to the service or help signing in; when empty, they say to ask probation", func(c *Config, v string) error {
			if v == "" {
				c.SupportEmail = ""
				return nil
			}
			a, err := mail.ParseAddress(v)
			if err != nil || a.Name != "" || a.Address != v {
				return errors.New("must be an email address alone, e.g. safeguarding-support@probation.example.org")
			}
			c.SupportEmail = v
			return nil
		}},
		{"SAFEGUARDING_OUTBOX_INTERVAL", "10s", "how often the outbox is drained (an escalation run also wakes it)", durationIn(time.Second, time.Hour, func(c *Config, d time.Duration) { c.OutboxInterval = d })},
		{"SAFEGUARDING_OUTBOX_MAX_ATTEMPTS", "8", "attempts before an email is dead", intIn(1, 50, func(c *Config, n int) { c.Sender.MaxAttempts = n })},
		{"SAFEGUARDING_OUTBOX_BACKOFF", "30s", "wait after a failed attempt, doubling each time (at most an hour)", durationIn(time.Second, time.Hour, func(c *Config, d time.Duration) { c.Sender.Backoff = d })},
		{"SAFEGUARDING_ESCALATION_SCHEDULE", notify.DefaultSchedule, "cron schedule of the escalation run (bank holidays are skipped)", func(c *Config, v string) error {
			if err := notify.ParseSchedule(v); err != nil {
				return fmt.Errorf("must be a cron schedule of five fields, optionally after CRON_TZ=Zone (%v)", err)
			}
			c.EscalationSchedule = v
			return nil
		}},
		{"SAFEGUARDING_NOTICE_INTERVAL", "20s", "how often request and response notices are looked for", durationIn(time.Second, 10*time.Minute, func(c *Config, d time.Duration) { c.NoticeInterval = d })},
		{"SAFEGUARDING_REQUEST_OVERDUE_DAYS", strconv.Itoa(notify.DefaultThresholds().RequestOverdueDays), "working days after request-by when an unrequested check goes to the managers", intIn(0, 60, func(c *Config, n int) { c.Thresholds.RequestOverdueDays = n })},
		{"SAFEGUARDING_RESPONSE_REMINDER_DAYS", strconv.Itoa(notify.DefaultThresholds().ResponseReminderDays), "working days before the due date when the agency is reminded", intIn(0, 60, func(c *Config, n int) { c.Thresholds.ResponseReminderDays = n })},
		{"SAFEGUARDING_RESPONSE_ESCALATION_DAYS", strconv.Itoa(notify.DefaultThresholds().ResponseEscalationDays), "working days after the due date when the agency's manager and the team's managers are told", intIn(0, 60, func(c *Config, n int) { c.Thresholds.ResponseEscalationDays = n })},
		{"SAFEGUARDING_RELEASE_IMMINENT_DAYS", strconv.Itoa(notify.DefaultThresholds().ReleaseImminentDays), "working days before release when any open check goes to the managers", intIn(0, 60, func(c *Config, n int) { c.Thresholds.ReleaseImminentDays = n })},
		{"SAFEGUARDING_TOKEN_SIGN_IN", "false", "true lets the sign-in page take a pasted API token (for trials only); false offers only single sign-on and emailed links", func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return errors.New("must be true or false")
			}
			c.TokenSignIn = b
			return nil
		}},
		{"SAFEGUARDING_TOKEN_LIFETIME_DAYS", "90", "days an API token works when its issuer does not say", intIn(1, int(checks.MaxTokenLifetime/(24*time.Hour)), func(c *Config, n int) { c.TokenLifetime = time.Duration(n) * 24 * time.Hour })},
		{"SAFEGUARDING_OIDC_ISSUERS", "", "path of a JSON file listing the OpenID Connect issuers for single sign-on (README: Signing in); keep it owner-only, it holds client secrets", func(c *Config, v string) error {
			c.OIDCIssuers = nil
			if v == "" {
				return nil
			}
			issuers, err := readOIDCIssuers(v)
			if err != nil {
				return err
			}
			c.OIDCIssuers = issuers
			return nil
		}},
		{"SAFEGUARDING_SHUTDOWN_TIMEOUT", "20s", "how long a shutdown waits for requests and runs in progress", durationIn(time.Second, 10*time.Minute, func(c *Config, d time.Duration) { c.ShutdownTimeout = d })},
	}
}

func intIn(lo, hi int, set func(*Config, int)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		set(c, n)
		return nil
	}
}

// requestRate reads a rate of requests: a number from 0, which is no limit, to 10000.
func requestRate(set func(*Config, float64)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 || n > 10000 {
			return errors.New("must be a number from 0 (no limit) to 10000")
		}
		set(c, n)
		return nil
	}
}

func durationIn(lo, hi time.Duration, set func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("must be a duration from %s to %s, e.g. 30s or 2m", lo, hi)
		}
		set(c, d)
		return nil
	}
}

// flagName is the flag that overrides an environment variable: SAFEGUARDING_DATA_DIR is
// --data-dir, MONGODB_URI is --mongodb-uri.
func flagName(env string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, "SAFEGUARDING_")), "_", "-")
}

// Flags holds the setting flags registered on a flag set.
type Flags struct {
	fs     *flag.FlagSet
	values map[string]*string
}

// Register adds a flag for every setting to fs.
func Register(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs, values: map[string]*string{}}
	for _, s := range settings() {
		f.values[s.env] = fs.String(flagName(s.env), "", fmt.Sprintf("%s (env %s, default %q)", s.usage, s.env, s.def))
	}
	return f
}

// Load resolves every setting after the flag set was parsed: a flag given on the command line
// wins over the environment variable, which wins over the default. All the wrong values are
// reported together.
func (f *Flags) Load(getenv func(string) string) (Config, error) {
	given := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })

	c := Config{Policy: checks.DefaultPolicy(), Sender: notify.DefaultSenderConfig(), SMTP: notify.SMTPConfig{Timeout: 30 * time.Second}}
	var problems []string
	// origin says where each value came from, so that a message names what the user set.
	origin := map[string]string{}
	for _, s := range settings() {
		name, value, source := s.env, s.def, s.env+" (default)"
		if given[flagName(name)] {
			value, source = *f.values[name], "--"+flagName(name)
		} else if v, ok := lookup(getenv, name); ok {
			value, source = v, name
		}
		origin[name] = fmt.Sprintf("%s=%q", source, value)
		if err := s.apply(&c, value); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", origin[name], err))
		}
	}
	// The rules between settings only mean something when each value is readable.
	if valid := len(problems) == 0; valid {
		p := c.Policy
		if p.UrgentResponseDays > p.ResponseDays {
			problems = append(problems, fmt.Sprintf("%s must not be more than %s",
				origin["SAFEGUARDING_URGENT_RESPONSE_DAYS"], origin["SAFEGUARDING_RESPONSE_DAYS"]))
		}
		if p.HardStopDays >= p.RequestLeadDays {
			problems = append(problems, fmt.Sprintf("%s must be less than %s",
				origin["SAFEGUARDING_HARD_STOP_DAYS"], origin["SAFEGUARDING_REQUEST_LEAD_DAYS"]))
		}
		if c.SMTP.TLS == notify.TLSNone && c.SMTP.Host != "" && !loopback(c.SMTP.Host) {
			problems = append(problems, fmt.Sprintf("%s is only allowed for a relay on loopback, not %s: use starttls or tls",
				origin["SAFEGUARDING_SMTP_TLS"], origin["SAFEGUARDING_SMTP_HOST"]))
		}
	}
	if len(problems) > 0 {
		return Config{}, fmt.Errorf("invalid configuration:\n  %s", strings.Join(problems, "\n  "))
	}
	return c, nil
}

// loopback reports whether host is this machine: the one place an unencrypted SMTP hop is
// acceptable.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// lookup reads an environment variable; an empty value counts as unset.
func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}

// Usage writes the table of settings: variable, flag, default and meaning.
func Usage(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT VARIABLE\tFLAG\tDEFAULT\tMEANING")
	for _, s := range settings() {
		def := s.def
		if def == "" {
			def = "(none)"
		}
		fmt.Fprintf(tw, "%s\t--%s\t%s\t%s\n", s.env, flagName(s.env), def, s.usage)
	}
	_ = tw.Flush()
}

// Markdown writes the table of settings as Markdown, for the README.
func Markdown(w io.Writer) {
	fmt.Fprintln(w, "| Environment variable | Flag | Default | Meaning |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, s := range settings() {
		def := "`" + s.def + "`"
		if s.def == "" {
			def = "(none)"
		}
		fmt.Fprintf(w, "| `%s` | `--%s` | %s | %s |\n", s.env, flagName(s.env), def, s.usage)
	}
}
