package simulate

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/probation/safeguarding/notify"
)

// Received is one email as one recipient got it, and what its reader takes from it.
type Received struct {
	To    string
	At    time.Time
	Items []MailItem
}

// MailItem is one line of a digest: which rung, about which check (from its link).
type MailItem struct {
	Rule    notify.Rule
	CheckID string
}

// MailServer is a real SMTP server on loopback, in process: the service's sender delivers to
// it over TCP, and the simulated people read their mailboxes from it.
type MailServer struct {
	Host string
	Port int

	clock     interface{ Now() time.Time }
	headlines map[string]notify.Rule

	mu      sync.Mutex
	inbox   []Received
	total   int
	badMail int
	server  *smtp.Server
}

// StartMailServer listens on a free loopback port. Close stops it.
func StartMailServer(clock interface{ Now() time.Time }) (*MailServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for SMTP: %w", err)
	}
	m := &MailServer{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, clock: clock, headlines: map[string]notify.Rule{}}
	for _, r := range notify.Rules() {
		m.headlines[r.Headline()] = r
	}
	srv := smtp.NewServer(backend{m})
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxRecipients = 100
	m.server = srv
	go func() { _ = srv.Serve(ln) }()
	return m, nil
}

// Close stops the server.
func (m *MailServer) Close() error { return m.server.Close() }

// Take returns what arrived since the last Take, and empties the inboxes.
func (m *MailServer) Take() []Received {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.inbox
	m.inbox = nil
	return out
}

// Unreadable counts the emails whose text could not be read (a failure of the simulation).
func (m *MailServer) Unreadable() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.badMail
}

func (m *MailServer) deliver(to []string, raw []byte) {
	items, err := m.parse(raw)
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil || len(items) == 0 {
		m.badMail++
	}
	for _, addr := range to {
		m.inbox = append(m.inbox, Received{To: strings.ToLower(addr), At: m.clock.Now(), Items: items})
		m.total++
	}
}

// parse reads a digest's text part: each line's headline names the rung, its link the check.
func (m *MailServer) parse(raw []byte) ([]MailItem, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		return nil, err
	}
	text := plainText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), body)
	var items []MailItem
	var rule notify.Rule
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if r, ok := m.headlines[line]; ok {
			rule = r
			continue
		}
		if link, ok := strings.CutPrefix(line, "Open:"); ok && rule != "" {
			link = strings.TrimSpace(link)
			if i := strings.LastIndex(link, "/checks/"); i >= 0 {
				items = append(items, MailItem{Rule: rule, CheckID: link[i+len("/checks/"):]})
			}
			rule = ""
		}
	}
	return items, nil
}

// plainText returns the decoded text/plain part of a message.
func plainText(contentType, encoding string, body []byte) string {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err == nil && strings.HasPrefix(mediaType, "multipart/") {
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				return ""
			}
			b, _ := io.ReadAll(p)
			if t := plainText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), b); t != "" {
				return t
			}
		}
	}
	if err == nil && mediaType != "text/plain" {
		return ""
	}
	switch strings.ToLower(encoding) {
	case "quoted-printable":
		b, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		return string(b)
	case "base64":
		b, _ := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(body, []byte("\r\n"), nil))))
		return string(b)
	}
	return string(body)
}

type backend struct{ m *MailServer }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{m: b.m}, nil }

type session struct {
	m  *MailServer
	to []string
}

func (s *session) Reset()        { s.to = nil }
func (s *session) Logout() error { return nil }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(s.to) == 0 {
		return errors.New("no recipients")
	}
	s.m.deliver(s.to, raw)
	return nil
}
