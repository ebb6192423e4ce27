package config

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/notify"
)

// everySetting is the list of settings the issue and the README promise, written out here so
// that dropping one from the code fails a test.
var everySetting = []struct{ env, flag string }{
	{"SAFEGUARDING_ADDR", "--addr"},
	{"SAFEGUARDING_DATA_DIR", "--data-dir"},
	{"MONGODB_URI", "--mongodb-uri"},
	{"MONGODB_DATABASE", "--mongodb-database"},
	{"SAFEGUARDING_BASE_URL", "--base-url"},
	{"SAFEGUARDING_CLOCK_START", "--clock-start"},
	{"SAFEGUARDING_LOG_FORMAT", "--log-format"},
	{"SAFEGUARDING_LOG_LEVEL", "--log-level"},
	{"SAFEGUARDING_REQUEST_LEAD_DAYS", "--request-lead-days"},
	{"SAFEGUARDING_RESPONSE_DAYS", "--response-days"},
	{"SAFEGUARDING_URGENT_RESPONSE_DAYS", "--urgent-response-days"},
	{"SAFEGUARDING_URGENT_WITHIN_DAYS", "--urgent-within-days"},
	{"SAFEGUARDING_REQUEST_CUTOFF", "--request-cutoff"},
	{"SAFEGUARDING_HARD_STOP_DAYS", "--hard-stop-days"},
	{"SAFEGUARDING_EXTRA_CLOSURES", "--extra-closures"},
	{"SAFEGUARDING_TRUSTED_PROXIES", "--trusted-proxies"},
	{"SAFEGUARDING_SHUTDOWN_TIMEOUT", "--shutdown-timeout"},
	{"SAFEGUARDING_REQUEST_TIMEOUT", "--request-timeout"},
	{"SAFEGUARDING_IMPORT_TIMEOUT", "--import-timeout"},
	{"SAFEGUARDING_RATE_LIMIT", "--rate-limit"},
	{"SAFEGUARDING_RATE_BURST", "--rate-burst"},
	{"SAFEGUARDING_MAX_IN_FLIGHT", "--max-in-flight"},
	{"SAFEGUARDING_MAX_IN_FLIGHT_PER_USER", "--max-in-flight-per-user"},
	{"SAFEGUARDING_ANONYMOUS_RATE", "--anonymous-rate"},
	{"SAFEGUARDING_ANONYMOUS_BURST", "--anonymous-burst"},
	{"SAFEGUARDING_SIGN_IN_RATE", "--sign-in-rate"},
	{"SAFEGUARDING_SIGN_IN_BURST", "--sign-in-burst"},
	{"SAFEGUARDING_TOKEN_SIGN_IN", "--token-sign-in"},
	{"SAFEGUARDING_TOKEN_LIFETIME_DAYS", "--token-lifetime-days"},
	{"SAFEGUARDING_OIDC_ISSUERS", "--oidc-issuers"},
	{"SAFEGUARDING_SMTP_HOST", "--smtp-host"},
	{"SAFEGUARDING_SMTP_PORT", "--smtp-port"},
	{"SAFEGUARDING_SMTP_USERNAME", "--smtp-username"},
	{"SAFEGUARDING_SMTP_PASSWORD", "--smtp-password"},
	{"SAFEGUARDING_SMTP_TLS", "--smtp-tls"},
	{"SAFEGUARDING_MAIL_FROM", "--mail-from"},
	{"SAFEGUARDING_MAIL_FROM_NAME", "--mail-from-name"},
	{"SAFEGUARDING_SUPPORT_EMAIL", "--support-email"},
	{"SAFEGUARDING_OUTBOX_INTERVAL", "--outbox-interval"},
	{"SAFEGUARDING_OUTBOX_MAX_ATTEMPTS", "--outbox-max-attempts"},
	{"SAFEGUARDING_OUTBOX_BACKOFF", "--outbox-backoff"},
	{"SAFEGUARDING_ESCALATION_SCHEDULE", "--escalation-schedule"},
	{"SAFEGUARDING_NOTICE_INTERVAL", "--notice-interval"},
	{"SAFEGUARDING_REQUEST_OVERDUE_DAYS", "--request-overdue-days"},
	{"SAFEGUARDING_RESPONSE_REMINDER_DAYS", "--response-reminder-days"},
	{"SAFEGUARDING_RESPONSE_ESCALATION_DAYS", "--response-escalation-days"},
	{"SAFEGUARDING_RELEASE_IMMINENT_DAYS", "--release-imminent-days"},
}

// load parses args on a fresh flag set with the settings registered and loads the
// configuration from env. A flag parse error fails the test: these tests are about Load.
func load(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := Register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %q: %v", args, err)
	}
	return f.Load(func(name string) string { return env[name] })
}

// mustLoad is load for a configuration that must be valid.
func mustLoad(t *testing.T, args []string, env map[string]string) Config {
	t.Helper()
	c, err := load(t, args, env)
	if err != nil {
		t.Fatalf("Load(args %q, env %v): unexpected error:\n%v", args, env, err)
	}
	return c
}

// assertMentions fails the test unless the error's text holds every one of want.
func assertMentions(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Load succeeded; want an error mentioning %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not mention %q:\n%v", w, err)
		}
	}
}

func TestLoadGivesTheDefaultsWhenNothingIsSet(t *testing.T) {
	got := mustLoad(t, nil, nil)
	want := Config{
		Addr:            "127.0.0.1:8080",
		DataDir:         "./data",
		MongoURI:        "",
		Database:        "safeguarding",
		BaseURL:         "http://localhost:8080",
		LogFormat:       "text",
		LogLevel:        slog.LevelInfo,
		Policy:          checks.DefaultPolicy(),
		ShutdownTimeout: 20 * time.Second,
		RequestTimeout:  30 * time.Second,
		ImportTimeout:   10 * time.Minute,
		RateLimit:       20,
		RateBurst:       60,
		// One user has a few requests in progress at once; an office behind one address
		// loads pages and signs in without being held back.
		MaxInFlight:        64,
		MaxInFlightPerUser: 4,
		AnonymousRate:      10,
		AnonymousBurst:     100,
		SignInRate:         10,
		SignInBurst:        20,
		SMTP: notify.SMTPConfig{Port: 587, TLS: notify.TLSStartTLS, From: "safeguarding@localhost",
			FromName: "Safeguarding checks", Timeout: 30 * time.Second},
		OutboxInterval:     10 * time.Second,
		Sender:             notify.DefaultSenderConfig(),
		EscalationSchedule: "CRON_TZ=Europe/London 0 7 * * 1-5",
		NoticeInterval:     20 * time.Second,
		Thresholds:         notify.DefaultThresholds(),
		// Token sign-in is off: only single sign-on and emailed links sign in to the pages.
		TokenSignIn:   false,
		TokenLifetime: 90 * 24 * time.Hour,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if !got.ClockStart.IsZero() {
		t.Errorf("ClockStart = %v, want the zero time (the real clock)", got.ClockStart)
	}
}

// A trial started with the defaults must not offer personal data on every interface: it is
// reached from this machine, or through a reverse proxy on it, until SAFEGUARDING_ADDR says
// otherwise.
func TestTheDefaultListenAddressIsOnLoopbackOnly(t *testing.T) {
	addr := mustLoad(t, nil, nil).Addr
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("default address %q: %v", addr, err)
	}
	if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
		t.Errorf("the default address %q listens beyond loopback", addr)
	}
}

func TestLoadTreatsAnEmptyVariableAsUnset(t *testing.T) {
	env := map[string]string{}
	for _, s := range everySetting {
		env[s.env] = ""
	}
	got := mustLoad(t, nil, env)
	if want := mustLoad(t, nil, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("with every variable empty:\n got %+v\nwant the defaults %+v", got, want)
	}
}

func TestLoadReadsEachEnvironmentVariable(t *testing.T) {
	tests := []struct {
		name  string
		env   string
		value string
		get   func(Config) any
		want  any
	}{
		{"the listen address is read", "SAFEGUARDING_ADDR", "127.0.0.1:9090", func(c Config) any { return c.Addr }, "127.0.0.1:9090"},
		{"the data directory is read", "SAFEGUARDING_DATA_DIR", "/var/lib/safeguarding", func(c Config) any { return c.DataDir }, "/var/lib/safeguarding"},
		{"a mongodb:// URI is read", "MONGODB_URI", "mongodb://db.example:27017/?replicaSet=rs0", func(c Config) any { return c.MongoURI }, "mongodb://db.example:27017/?replicaSet=rs0"},
		{"a mongodb+srv:// URI is read", "MONGODB_URI", "mongodb+srv://cluster.example", func(c Config) any { return c.MongoURI }, "mongodb+srv://cluster.example"},
		{"the database name is read", "MONGODB_DATABASE", "checks_test", func(c Config) any { return c.Database }, "checks_test"},
		{"the base URL is read without its trailing slash", "SAFEGUARDING_BASE_URL", "https://safeguarding.example.gov.uk/", func(c Config) any { return c.BaseURL }, "https://safeguarding.example.gov.uk"},
		{"the clock start is read", "SAFEGUARDING_CLOCK_START", "2030-01-07T09:00:00Z", func(c Config) any { return c.ClockStart }, time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)},
		{"the json log format is read", "SAFEGUARDING_LOG_FORMAT", "json", func(c Config) any { return c.LogFormat }, "json"},
		{"the debug log level is read", "SAFEGUARDING_LOG_LEVEL", "debug", func(c Config) any { return c.LogLevel }, slog.LevelDebug},
		{"the error log level is read", "SAFEGUARDING_LOG_LEVEL", "error", func(c Config) any { return c.LogLevel }, slog.LevelError},
		{"the request lead days are read", "SAFEGUARDING_REQUEST_LEAD_DAYS", "40", func(c Config) any { return c.Policy.RequestLeadDays }, 40},
		{"the response days are read", "SAFEGUARDING_RESPONSE_DAYS", "15", func(c Config) any { return c.Policy.ResponseDays }, 15},
		{"the urgent response days are read", "SAFEGUARDING_URGENT_RESPONSE_DAYS", "3", func(c Config) any { return c.Policy.UrgentResponseDays }, 3},
		{"the urgent window is read", "SAFEGUARDING_URGENT_WITHIN_DAYS", "21", func(c Config) any { return c.Policy.UrgentWithinDays }, 21},
		{"the request cutoff is read as a time of day", "SAFEGUARDING_REQUEST_CUTOFF", "16:30", func(c Config) any { return c.Policy.RequestCutoff }, 16*time.Hour + 30*time.Minute},
		{"the hard stop days are read", "SAFEGUARDING_HARD_STOP_DAYS", "0", func(c Config) any { return c.Policy.HardStopDays }, 0},
		{"the extra closures are read as dates", "SAFEGUARDING_EXTRA_CLOSURES", "2022-09-19, 2023-05-08", func(c Config) any { return c.ExtraClosures },
			[]checks.Date{checks.MustDate("2022-09-19"), checks.MustDate("2023-05-08")}},
		{"the trusted proxies are read as a list", "SAFEGUARDING_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16", func(c Config) any { return c.TrustedProxies }, []string{"10.0.0.1", "192.168.0.0/16"}},
		{"the shutdown timeout is read", "SAFEGUARDING_SHUTDOWN_TIMEOUT", "45s", func(c Config) any { return c.ShutdownTimeout }, 45 * time.Second},
		{"no bound on the requests in flight is read as 0", "SAFEGUARDING_MAX_IN_FLIGHT", "0", func(c Config) any { return c.MaxInFlight }, 0},
		{"token sign-in is turned on", "SAFEGUARDING_TOKEN_SIGN_IN", "true", func(c Config) any { return c.TokenSignIn }, true},
		{"the token lifetime is read in days", "SAFEGUARDING_TOKEN_LIFETIME_DAYS", "30", func(c Config) any { return c.TokenLifetime }, 30 * 24 * time.Hour},
		{"the support email is read", "SAFEGUARDING_SUPPORT_EMAIL", "help@probation.example.org", func(c Config) any { return c.SupportEmail }, "help@probation.example.org"},
		{"each user's requests in flight are read", "SAFEGUARDING_MAX_IN_FLIGHT_PER_USER", "4", func(c Config) any { return c.MaxInFlightPerUser }, 4},
		{"a fractional rate without signing in is read", "SAFEGUARDING_ANONYMOUS_RATE", "2.5", func(c Config) any { return c.AnonymousRate }, 2.5},
		{"the burst without signing in is read", "SAFEGUARDING_ANONYMOUS_BURST", "30", func(c Config) any { return c.AnonymousBurst }, 30},
		{"the failed sign-ins a minute are read", "SAFEGUARDING_SIGN_IN_RATE", "3", func(c Config) any { return c.SignInRate }, 3.0},
		{"the failed sign-ins at once are read", "SAFEGUARDING_SIGN_IN_BURST", "5", func(c Config) any { return c.SignInBurst }, 5},
		{"the sender's display name is read", "SAFEGUARDING_MAIL_FROM_NAME", "Probation safeguarding", func(c Config) any { return c.SMTP.FromName }, "Probation safeguarding"},
		{"the support address is read", "SAFEGUARDING_SUPPORT_EMAIL", "support@probation.example.org", func(c Config) any { return c.SupportEmail }, "support@probation.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, nil, map[string]string{tt.env: tt.value})
			if got := tt.get(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s=%q: got %v, want %v", tt.env, tt.value, got, tt.want)
			}
		})
	}
}

func TestLoadLetsAFlagWinOverTheEnvironmentVariable(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		get  func(Config) any
		want any
	}{
		{"--addr wins over SAFEGUARDING_ADDR", map[string]string{"SAFEGUARDING_ADDR": ":1111"}, []string{"--addr", ":2222"},
			func(c Config) any { return c.Addr }, ":2222"},
		{"--data-dir wins over SAFEGUARDING_DATA_DIR", map[string]string{"SAFEGUARDING_DATA_DIR": "/from/env"}, []string{"--data-dir=/from/flag"},
			func(c Config) any { return c.DataDir }, "/from/flag"},
		{"--mongodb-uri wins over MONGODB_URI", map[string]string{"MONGODB_URI": "mongodb://env:27017"}, []string{"--mongodb-uri", "mongodb://flag:27017"},
			func(c Config) any { return c.MongoURI }, "mongodb://flag:27017"},
		{"an empty --mongodb-uri wins over MONGODB_URI and selects the embedded database", map[string]string{"MONGODB_URI": "mongodb://env:27017"}, []string{"--mongodb-uri="},
			func(c Config) any { return c.MongoURI }, ""},
		{"--response-days wins over SAFEGUARDING_RESPONSE_DAYS", map[string]string{"SAFEGUARDING_RESPONSE_DAYS": "12"}, []string{"--response-days", "20"},
			func(c Config) any { return c.Policy.ResponseDays }, 20},
		{"--clock-start wins over SAFEGUARDING_CLOCK_START", map[string]string{"SAFEGUARDING_CLOCK_START": "2030-01-07T09:00:00Z"}, []string{"--clock-start", "2031-02-03T10:00:00Z"},
			func(c Config) any { return c.ClockStart }, time.Date(2031, 2, 3, 10, 0, 0, 0, time.UTC)},
		{"a valid flag rescues an invalid variable", map[string]string{"SAFEGUARDING_LOG_FORMAT": "xml"}, []string{"--log-format", "json"},
			func(c Config) any { return c.LogFormat }, "json"},
		{"the variable still applies where no flag is given", map[string]string{"SAFEGUARDING_ADDR": ":1111", "MONGODB_DATABASE": "fromenv"}, []string{"--addr", ":2222"},
			func(c Config) any { return c.Database }, "fromenv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.args, tt.env)
			if got := tt.get(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("args %q, env %v: got %v, want %v", tt.args, tt.env, got, tt.want)
			}
		})
	}
}

func TestLoadRejectsEveryInvalidValueNamingTheVariableAndTheAcceptedValues(t *testing.T) {
	tests := []struct {
		name     string
		env      string
		value    string
		accepted string // a fragment of the message that says what would do
	}{
		{"an address without a port is refused", "SAFEGUARDING_ADDR", "localhost", "host:port"},
		{"response days that are not a number are refused", "SAFEGUARDING_RESPONSE_DAYS", "abc", "whole number from 1 to 60"},
		{"zero response days are refused", "SAFEGUARDING_RESPONSE_DAYS", "0", "whole number from 1 to 60"},
		{"too many response days are refused", "SAFEGUARDING_RESPONSE_DAYS", "99", "whole number from 1 to 60"},
		{"negative request lead days are refused", "SAFEGUARDING_REQUEST_LEAD_DAYS", "-1", "whole number from 1 to 120"},
		{"fractional urgent response days are refused", "SAFEGUARDING_URGENT_RESPONSE_DAYS", "2.5", "whole number from 1 to 60"},
		{"an urgent window over a year is refused", "SAFEGUARDING_URGENT_WITHIN_DAYS", "366", "whole number from 0 to 365"},
		{"too many hard stop days are refused", "SAFEGUARDING_HARD_STOP_DAYS", "31", "whole number from 0 to 30"},
		{"a cutoff hour past 23 is refused", "SAFEGUARDING_REQUEST_CUTOFF", "25:00", "HH:MM"},
		{"a cutoff without minutes is refused", "SAFEGUARDING_REQUEST_CUTOFF", "15", "HH:MM"},
		{"a clock start in words is refused", "SAFEGUARDING_CLOCK_START", "yesterday", "RFC 3339"},
		{"a clock start without a zone is refused", "SAFEGUARDING_CLOCK_START", "2030-01-07T09:00:00", "RFC 3339"},
		{"an extra closure in month 13 is refused", "SAFEGUARDING_EXTRA_CLOSURES", "2022-13-01", "YYYY-MM-DD"},
		{"one bad extra closure among good ones is refused", "SAFEGUARDING_EXTRA_CLOSURES", "2022-09-19,19/09/2022", "19/09/2022"},
		{"an http URL as MongoDB URI is refused", "MONGODB_URI", "http://x", "mongodb:// or mongodb+srv://"},
		{"a database name with a dot is refused", "MONGODB_DATABASE", "safe.guarding", "1 to 63 characters"},
		{"a database name over 63 characters is refused", "MONGODB_DATABASE", strings.Repeat("d", 64), "1 to 63 characters"},
		{"an xml log format is refused", "SAFEGUARDING_LOG_FORMAT", "xml", "text or json"},
		{"an unknown log level is refused", "SAFEGUARDING_LOG_LEVEL", "loud", "debug, info, warn or error"},
		{"an ftp base URL is refused", "SAFEGUARDING_BASE_URL", "ftp://x", "http:// or https://"},
		{"a base URL without a host is refused", "SAFEGUARDING_BASE_URL", "https://", "http:// or https://"},
		{"a shutdown timeout without a unit is refused", "SAFEGUARDING_SHUTDOWN_TIMEOUT", "20", "duration from 1s to 10m0s"},
		{"a shutdown timeout over ten minutes is refused", "SAFEGUARDING_SHUTDOWN_TIMEOUT", "1h", "duration from 1s to 10m0s"},
		{"a negative bound on the requests in flight is refused", "SAFEGUARDING_MAX_IN_FLIGHT", "-1", "whole number from 0 to 100000"},
		{"a fractional share of the requests in flight is refused", "SAFEGUARDING_MAX_IN_FLIGHT_PER_USER", "1.5", "whole number from 0 to 100000"},
		{"a rate without signing in in words is refused", "SAFEGUARDING_ANONYMOUS_RATE", "lots", "number from 0 (no limit) to 10000"},
		{"a burst of no requests is refused", "SAFEGUARDING_ANONYMOUS_BURST", "0", "whole number from 1 to 100000"},
		{"a negative rate of failed sign-ins is refused", "SAFEGUARDING_SIGN_IN_RATE", "-3", "number from 0 (no limit) to 10000"},
		{"a burst of no failed sign-ins is refused", "SAFEGUARDING_SIGN_IN_BURST", "0", "whole number from 1 to 100000"},
		{"token sign-in as yes is refused", "SAFEGUARDING_TOKEN_SIGN_IN", "yes", "true or false"},
		{"a token lifetime of no days is refused", "SAFEGUARDING_TOKEN_LIFETIME_DAYS", "0", "whole number from 1 to 730"},
		{"a support email with a name is refused", "SAFEGUARDING_SUPPORT_EMAIL", "Help <help@example.org>", "email address alone"},
		{"an issuers file that is not there is refused", "SAFEGUARDING_OIDC_ISSUERS", "/nonexistent/issuers.json", "readable JSON file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, nil, map[string]string{tt.env: tt.value})
			assertMentions(t, err, tt.env, tt.value, tt.accepted)
		})
		t.Run(tt.name+" as a flag, naming the flag", func(t *testing.T) {
			name := "--" + flagName(tt.env)
			_, err := load(t, []string{name + "=" + tt.value}, nil)
			assertMentions(t, err, name, tt.value, tt.accepted)
			if err != nil && strings.Contains(err.Error(), tt.env+"=") {
				t.Errorf("the value came from %s, but the error blames the variable %s:\n%v", name, tt.env, err)
			}
		})
	}
}

func TestLoadRejectsTrustedProxiesThatAreNotAddresses(t *testing.T) {
	_, err := load(t, nil, map[string]string{"SAFEGUARDING_TRUSTED_PROXIES": "10.0.0.1,not-an-address"})
	assertMentions(t, err, "SAFEGUARDING_TRUSTED_PROXIES", "not-an-address")
}

func TestLoadReportsEveryBadValueAtOnce(t *testing.T) {
	env := map[string]string{
		"SAFEGUARDING_RESPONSE_DAYS":  "abc",
		"SAFEGUARDING_REQUEST_CUTOFF": "25:00",
		"SAFEGUARDING_CLOCK_START":    "yesterday",
		"MONGODB_URI":                 "http://x",
		"SAFEGUARDING_LOG_FORMAT":     "xml",
		"SAFEGUARDING_BASE_URL":       "ftp://x",
	}
	c, err := load(t, []string{"--extra-closures", "2022-13-01"}, env)
	assertMentions(t, err,
		"SAFEGUARDING_RESPONSE_DAYS", "SAFEGUARDING_REQUEST_CUTOFF", "SAFEGUARDING_CLOCK_START",
		"MONGODB_URI", "SAFEGUARDING_LOG_FORMAT", "SAFEGUARDING_BASE_URL", "--extra-closures")
	if err != nil {
		// One line per problem, after the heading.
		if lines := strings.Split(strings.TrimSpace(err.Error()), "\n"); len(lines) != 1+len(env)+1 {
			t.Errorf("want a heading and %d problem lines, got %d lines:\n%v", len(env)+1, len(lines), err)
		}
	}
	if !reflect.DeepEqual(c, Config{}) {
		t.Errorf("an invalid configuration came back with values: %+v", c)
	}
}

func TestLoadAppliesTheRulesBetweenSettings(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr []string // nil: the configuration is valid
	}{
		{"urgent response days above response days are refused",
			map[string]string{"SAFEGUARDING_RESPONSE_DAYS": "4", "SAFEGUARDING_URGENT_RESPONSE_DAYS": "5"}, nil,
			[]string{"SAFEGUARDING_URGENT_RESPONSE_DAYS", "SAFEGUARDING_RESPONSE_DAYS"}},
		{"urgent response days above the default response days are refused",
			map[string]string{"SAFEGUARDING_URGENT_RESPONSE_DAYS": "11"}, nil,
			[]string{"SAFEGUARDING_URGENT_RESPONSE_DAYS", "SAFEGUARDING_RESPONSE_DAYS"}},
		{"urgent response days equal to response days are accepted",
			map[string]string{"SAFEGUARDING_RESPONSE_DAYS": "5", "SAFEGUARDING_URGENT_RESPONSE_DAYS": "5"}, nil, nil},
		{"a response-days flag below the urgent days is refused",
			nil, []string{"--response-days", "3"},
			[]string{"SAFEGUARDING_URGENT_RESPONSE_DAYS", "--response-days"}},
		{"a response-days flag below the urgent days is refused naming the flag and both values",
			nil, []string{"--response-days", "3"},
			[]string{"--response-days", "3", "5"}},
		{"hard stop days equal to request lead days are refused",
			map[string]string{"SAFEGUARDING_HARD_STOP_DAYS": "10", "SAFEGUARDING_REQUEST_LEAD_DAYS": "10"}, nil,
			[]string{"SAFEGUARDING_HARD_STOP_DAYS", "SAFEGUARDING_REQUEST_LEAD_DAYS"}},
		{"hard stop days above request lead days are refused",
			map[string]string{"SAFEGUARDING_HARD_STOP_DAYS": "5", "SAFEGUARDING_REQUEST_LEAD_DAYS": "3"}, nil,
			[]string{"SAFEGUARDING_HARD_STOP_DAYS", "SAFEGUARDING_REQUEST_LEAD_DAYS"}},
		{"hard stop days one below request lead days are accepted",
			map[string]string{"SAFEGUARDING_HARD_STOP_DAYS": "9", "SAFEGUARDING_REQUEST_LEAD_DAYS": "10"}, nil, nil},
		{"both rules broken are both reported",
			map[string]string{"SAFEGUARDING_RESPONSE_DAYS": "2", "SAFEGUARDING_HARD_STOP_DAYS": "30"}, nil,
			[]string{"must not be more than", "must be less than"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, tt.args, tt.env)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if c.Policy.ResponseDays < c.Policy.UrgentResponseDays || c.Policy.HardStopDays >= c.Policy.RequestLeadDays {
					t.Errorf("accepted policy breaks a rule: %+v", c.Policy)
				}
				return
			}
			assertMentions(t, err, tt.wantErr...)
		})
	}
}

func TestUsageListsEveryVariableAndFlag(t *testing.T) {
	var b bytes.Buffer
	Usage(&b)
	out := b.String()
	if !strings.HasPrefix(out, "ENVIRONMENT VARIABLE") {
		t.Errorf("usage does not start with its heading:\n%s", out)
	}
	for _, s := range everySetting {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, s.env+" ") {
				line = l
			}
		}
		if line == "" {
			t.Errorf("usage has no line for %s:\n%s", s.env, out)
			continue
		}
		if !strings.Contains(line, " "+s.flag+" ") {
			t.Errorf("usage line of %s does not name %s: %q", s.env, s.flag, line)
		}
	}
	if got, want := strings.Count(strings.TrimSpace(out), "\n"), len(settings()); got != want {
		t.Errorf("usage has %d setting lines, want one per setting (%d)", got, want)
	}
	if len(settings()) != len(everySetting) {
		t.Errorf("the code has %d settings, this test knows %d: add the new ones to everySetting", len(settings()), len(everySetting))
	}
}

func TestUsageShowsEachDefault(t *testing.T) {
	var b bytes.Buffer
	Usage(&b)
	for _, l := range []string{"SAFEGUARDING_ADDR", "127.0.0.1:8080", "./data", "safeguarding", "15:00", "20s", "(none)"} {
		if !strings.Contains(b.String(), l) {
			t.Errorf("usage does not show %q:\n%s", l, b.String())
		}
	}
}

func TestRegisterAddsAFlagForEverySetting(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	Register(fs)
	for _, s := range everySetting {
		fl := fs.Lookup(strings.TrimPrefix(s.flag, "--"))
		if fl == nil {
			t.Errorf("no flag %s for %s", s.flag, s.env)
			continue
		}
		if !strings.Contains(fl.Usage, s.env) {
			t.Errorf("flag %s's help does not name %s: %q", s.flag, s.env, fl.Usage)
		}
	}
}

func TestMailSettingsAreChecked(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		mention []string // nil: valid
	}{
		{"plain SMTP to a remote relay is refused", map[string]string{"SAFEGUARDING_SMTP_HOST": "smtp.example.org", "SAFEGUARDING_SMTP_TLS": "none"},
			[]string{"SAFEGUARDING_SMTP_TLS", "loopback", "SAFEGUARDING_SMTP_HOST"}},
		{"plain SMTP to a relay on loopback is accepted", map[string]string{"SAFEGUARDING_SMTP_HOST": "127.0.0.1", "SAFEGUARDING_SMTP_TLS": "none"}, nil},
		{"plain SMTP to localhost is accepted", map[string]string{"SAFEGUARDING_SMTP_HOST": "localhost", "SAFEGUARDING_SMTP_TLS": "none"}, nil},
		{"an unknown TLS mode is refused", map[string]string{"SAFEGUARDING_SMTP_TLS": "ssl"}, []string{"SAFEGUARDING_SMTP_TLS", "starttls, tls or none"}},
		{"a host with a port is refused", map[string]string{"SAFEGUARDING_SMTP_HOST": "smtp.example.org:25"}, []string{"SAFEGUARDING_SMTP_HOST", "without port"}},
		{"a sender that is not an address is refused", map[string]string{"SAFEGUARDING_MAIL_FROM": "safeguarding"}, []string{"SAFEGUARDING_MAIL_FROM", "email address"}},
		{"a sender's name with a line break is refused", map[string]string{"SAFEGUARDING_MAIL_FROM_NAME": "Safeguarding\r\nBcc: x@example.org"}, []string{"SAFEGUARDING_MAIL_FROM_NAME", "one line"}},
		{"a support address that is not an address is refused", map[string]string{"SAFEGUARDING_SUPPORT_EMAIL": "the helpdesk"}, []string{"SAFEGUARDING_SUPPORT_EMAIL", "email address"}},
		{"a support address with a name is refused", map[string]string{"SAFEGUARDING_SUPPORT_EMAIL": "Help <help@example.org>"}, []string{"SAFEGUARDING_SUPPORT_EMAIL", "alone"}},
		{"a schedule that is not cron is refused", map[string]string{"SAFEGUARDING_ESCALATION_SCHEDULE": "every morning"}, []string{"SAFEGUARDING_ESCALATION_SCHEDULE", "cron"}},
		{"a schedule in another zone is accepted", map[string]string{"SAFEGUARDING_ESCALATION_SCHEDULE": "CRON_TZ=Europe/London 30 6 * * 1-5"}, nil},
		{"an outbox interval under a second is refused", map[string]string{"SAFEGUARDING_OUTBOX_INTERVAL": "10ms"}, []string{"SAFEGUARDING_OUTBOX_INTERVAL", "duration"}},
		{"a negative threshold is refused", map[string]string{"SAFEGUARDING_RELEASE_IMMINENT_DAYS": "-1"}, []string{"SAFEGUARDING_RELEASE_IMMINENT_DAYS", "0 to 60"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := load(t, nil, tt.env)
			if tt.mention == nil {
				if err != nil {
					t.Fatalf("valid settings refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %+v", c)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error does not mention %q:\n%v", m, err)
				}
			}
		})
	}
}
