package testenv

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is an email the test SMTP server received.
type Message struct {
	From   string
	To     []string
	Header mail.Header
	Body   string // the whole body, every MIME part
	Raw    []byte
}

// Text returns the decoded text of every part of the message (plain and HTML), so that a
// test can look for words whatever the transfer encoding.
func (m Message) Text() string {
	return decodePart(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), []byte(m.Body))
}

func decodePart(contentType, encoding string, body []byte) string {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err == nil && strings.HasPrefix(mediaType, "multipart/") {
		var out strings.Builder
		r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err != nil {
				break
			}
			b, _ := io.ReadAll(p)
			out.WriteString(decodePart(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), b))
			out.WriteString("\n")
		}
		return out.String()
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

// Subject returns the message's subject, decoded.
func (m Message) Subject() string {
	s, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		return m.Header.Get("Subject")
	}
	return s
}

// MessageID returns the message's Message-ID.
func (m Message) MessageID() string { return m.Header.Get("Message-Id") }

// SMTPServer is a real SMTP server on loopback, in process, that keeps what it receives. A
// test can make it refuse mail (temporarily or for good), stop it and start it again on the
// same port.
type SMTPServer struct {
	Host string
	Port int

	mu       sync.Mutex
	messages []Message
	refuse   *smtp.SMTPError // answer to MAIL FROM while set
	refuseN  int             // refuse only this many more (0: until cleared)
	sessions int
	server   *smtp.Server
}

// StartSMTP starts a server on a free loopback port, stopped when the test ends.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: smtp listen: %v", err)
	}
	s := &SMTPServer{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port}
	s.serve(ln)
	t.Cleanup(s.Stop)
	return s
}

func (s *SMTPServer) serve(ln net.Listener) {
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.AllowInsecureAuth = true
	s.mu.Lock()
	s.server = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

// Stop closes the server: connections are refused until Start.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv := s.server
	s.server = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Start listens again on the same port after Stop.
func (s *SMTPServer) Start(t testing.TB) {
	t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger for a moment after Close
		if ln, err = net.Listen("tcp", net.JoinHostPort(s.Host, strconv.Itoa(s.Port))); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("testenv: smtp restart: %v", err)
	}
	s.serve(ln)
}

// Refuse makes the server answer MAIL FROM with code (4xx: try later; 5xx: never) for the
// next n messages, or until Accept when n is 0.
func (s *SMTPServer) Refuse(code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	class := code / 100
	s.refuse = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, 0, 0}, Message: "refused by the test"}
	s.refuseN = n
}

// Accept stops refusing.
func (s *SMTPServer) Accept() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = nil
}

// Messages returns what the server received so far.
func (s *SMTPServer) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Sessions returns how many SMTP connections the server accepted.
func (s *SMTPServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Reset forgets the messages received so far.
func (s *SMTPServer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = nil
}

// To returns the messages received for one address.
func (s *SMTPServer) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type backend struct{ s *SMTPServer }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.s.sessions++
	b.s.mu.Unlock()
	return &session{s: b.s}, nil
}

type session struct {
	s    *SMTPServer
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.refuse != nil {
		err := x.s.refuse
		if x.s.refuseN > 0 {
			x.s.refuseN--
			if x.s.refuseN == 0 {
				x.s.refuse = nil
			}
		}
		return err
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return errors.New("unreadable message")
	}
	body, _ := io.ReadAll(msg.Body)
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	x.s.messages = append(x.s.messages, Message{From: x.from, To: x.to, Header: msg.Header, Body: string(body), Raw: raw})
	return nil
}
