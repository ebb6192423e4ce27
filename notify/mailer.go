package notify

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Mailer delivers emails, in order, and calls done for each as soon as its fate is known (a
// nil error: delivered), so that the sender records it before the next goes: a crash then
// repeats at most the one email in flight. An error is retried later unless Permanent says
// otherwise.
type Mailer interface {
	Send(ctx context.Context, emails []Email, done func(i int, err error))
}

// permanentError is a failure that retrying cannot fix, such as a recipient the server
// refuses with a 5xx answer.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent reports whether err should not be retried.
func Permanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// message builds the MIME message of an email: plain text with an HTML alternative, and a
// Message-ID derived from the idempotency key, so that a message sent twice (delivery is at
// least once) is recognisably the same message. name, when set, is the sender's display
// name ("Safeguarding checks"), which a mailbox shows instead of the bare address.
func message(from, name string, e Email) (*mail.Msg, error) {
	m := mail.NewMsg()
	err := m.From(from)
	if err == nil && name != "" {
		// The configured name over the address alone (a From given as "Name <address>"
		// takes the configured name instead).
		var addr *netmail.Address
		if addr, err = netmail.ParseAddress(from); err == nil {
			err = m.FromFormat(name, addr.Address)
		}
	}
	if err != nil {
		return nil, permanentError{fmt.Errorf("sender %q: %w", from, err)}
	}
	if err := m.To(e.To); err != nil {
		return nil, permanentError{fmt.Errorf("recipient %q: %w", e.To, err)}
	}
	m.Subject(e.Subject)
	m.SetMessageIDWithValue(e.Key + "@" + domainOf(from))
	m.SetDateWithValue(e.CreatedAt)
	m.SetBulk() // an automated message: no out-of-office replies, please
	m.SetBodyString(mail.TypeTextPlain, e.Text)
	m.AddAlternativeString(mail.TypeTextHTML, e.HTML)
	return m, nil
}

func domainOf(address string) string {
	if _, domain, ok := strings.Cut(address, "@"); ok && domain != "" {
		return strings.TrimSuffix(domain, ">")
	}
	return "safeguarding.invalid"
}

// TLS says how the SMTP connection is protected.
type TLS string

// The TLS modes.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS and refuses to go on without it.
	TLSStartTLS TLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (usually port 465).
	TLSImplicit TLS = "tls"
	// TLSNone sends in clear: only for a relay on the loopback interface.
	TLSNone TLS = "none"
)

// SMTPConfig configures the SMTP mailer.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      TLS
	From     string
	// FromName is the sender's display name; empty, the address alone.
	FromName string
	Timeout  time.Duration
	// OneConnectionPerEmail dials for every email instead of once per batch. It exists to
	// measure what connection reuse saves; nothing else should set it.
	OneConnectionPerEmail bool
}

// SMTPMailer sends through an SMTP relay with github.com/wneessen/go-mail, one connection
// per batch.
type SMTPMailer struct {
	cfg SMTPConfig
}

// NewSMTPMailer returns a mailer for the relay in cfg.
func NewSMTPMailer(cfg SMTPConfig) *SMTPMailer { return &SMTPMailer{cfg: cfg} }

func (s *SMTPMailer) client() (*mail.Client, error) {
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTimeout(s.cfg.Timeout)}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	return mail.NewClient(s.cfg.Host, opts...)
}

// Send delivers the emails over one connection (or one each, when so configured).
func (s *SMTPMailer) Send(ctx context.Context, emails []Email, done func(int, error)) {
	if s.cfg.OneConnectionPerEmail {
		for i := range emails {
			s.send(ctx, emails[i:i+1], func(_ int, err error) { done(i, err) })
		}
		return
	}
	s.send(ctx, emails, done)
}

func (s *SMTPMailer) send(ctx context.Context, emails []Email, done func(int, error)) {
	c, err := s.client()
	if err != nil {
		for i := range emails {
			done(i, permanentError{err})
		}
		return
	}
	if err := c.DialWithContext(ctx); err != nil {
		// The relay is down or refuses us: every email waits for a later attempt.
		for i := range emails {
			done(i, fmt.Errorf("connect to the SMTP relay: %w", err))
		}
		return
	}
	defer c.Close()
	for i, e := range emails {
		m, err := message(s.cfg.From, s.cfg.FromName, e)
		if err != nil {
			done(i, err)
			continue
		}
		err = c.Send(m)
		switch {
		case m.IsDelivered():
			// Accepted by the relay. An error after that (the RSET go-mail sends after each
			// message, a connection closed at once) must not make a delivered email dead.
			done(i, nil)
		case m.HasSendError() && m.SendErrorIsTemp():
			done(i, m.SendError())
		case m.HasSendError():
			done(i, permanentError{m.SendError()})
		case err != nil:
			done(i, err)
		default:
			done(i, nil)
		}
	}
}

// FileMailer writes each email as an .eml file in a directory, for a new user without a mail
// server: open the files with any mail program to see what would be sent.
type FileMailer struct {
	Dir  string
	From string
	// FromName is the sender's display name, as SMTPConfig's.
	FromName string
}

// Send writes the emails; a file already there for the same key is overwritten, so a second
// delivery of one email leaves one file.
func (f FileMailer) Send(_ context.Context, emails []Email, done func(int, error)) {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		for i := range emails {
			done(i, err)
		}
		return
	}
	for i, e := range emails {
		m, err := message(f.From, f.FromName, e)
		if err != nil {
			done(i, err)
			continue
		}
		name := fmt.Sprintf("%s-%s.eml", e.CreatedAt.UTC().Format("20060102T150405Z"), e.Key[:16])
		done(i, writeFile(filepath.Join(f.Dir, name), m))
	}
}

// writeFile writes the message to a temporary file and renames it, so that a crash never
// leaves half an email behind.
func writeFile(path string, m *mail.Msg) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".eml-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := m.WriteTo(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
