package notify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Mailer delivers emails. Send returns one error per email, nil for each one delivered. An
// error is retried later unless Permanent says otherwise.
type Mailer interface {
	Send(ctx context.Context, emails []Email) []error
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
// least once) is recognisably the same message.
func message(from string, e Email) (*mail.Msg, error) {
	m := mail.NewMsg()
	if err := m.From(from); err != nil {
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
func (s *SMTPMailer) Send(ctx context.Context, emails []Email) []error {
	if s.cfg.OneConnectionPerEmail {
		errs := make([]error, len(emails))
		for i := range emails {
			errs[i] = s.send(ctx, emails[i:i+1])[0]
		}
		return errs
	}
	return s.send(ctx, emails)
}

func (s *SMTPMailer) send(ctx context.Context, emails []Email) []error {
	errs := make([]error, len(emails))
	var msgs []*mail.Msg
	var index []int
	for i, e := range emails {
		m, err := message(s.cfg.From, e)
		if err != nil {
			errs[i] = err
			continue
		}
		msgs = append(msgs, m)
		index = append(index, i)
	}
	if len(msgs) == 0 {
		return errs
	}
	c, err := s.client()
	if err != nil {
		for _, i := range index {
			errs[i] = permanentError{err}
		}
		return errs
	}
	err = c.DialAndSendWithContext(ctx, msgs...)
	for j, m := range msgs {
		i := index[j]
		switch {
		case m.HasSendError() && m.SendErrorIsTemp():
			errs[i] = m.SendError()
		case m.HasSendError():
			errs[i] = permanentError{m.SendError()}
		case err != nil && !m.IsDelivered():
			// The connection failed before this message was tried: try again later.
			errs[i] = err
		}
	}
	return errs
}

// FileMailer writes each email as an .eml file in a directory, for a new user without a mail
// server: open the files with any mail program to see what would be sent.
type FileMailer struct {
	Dir  string
	From string
}

// Send writes the emails; a file already there for the same key is overwritten, so a second
// delivery of one email leaves one file.
func (f FileMailer) Send(_ context.Context, emails []Email) []error {
	errs := make([]error, len(emails))
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i, e := range emails {
		m, err := message(f.From, e)
		if err != nil {
			errs[i] = err
			continue
		}
		name := fmt.Sprintf("%s-%s.eml", e.CreatedAt.UTC().Format("20060102T150405Z"), e.Key[:16])
		errs[i] = writeFile(filepath.Join(f.Dir, name), m)
	}
	return errs
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
