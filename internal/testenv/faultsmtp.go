package testenv

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// FaultSMTPOptions say how a FaultSMTP server misbehaves. Every fault is counted, never
// timed: the nth command of a kind is refused, the nth message is held.
type FaultSMTPOptions struct {
	// RefuseMailEvery, RefuseRcptEvery, RefuseDataEvery and RefuseRsetEvery answer every nth
	// MAIL FROM, RCPT TO, end of DATA or RSET with 451 (try again later); 0 refuses none.
	// A refused DATA is refused after its body is read, as a real server does when it
	// cannot queue the message; the message is not kept.
	RefuseMailEvery int
	RefuseRcptEvery int
	RefuseDataEvery int
	RefuseRsetEvery int
	// HoldAfter, when above 0, makes the server hold the message that follows the first
	// HoldAfter accepted ones: once its whole body has arrived, the answer to it waits
	// until Release. Held() is closed once a message is held. The held message is kept
	// when released, even if its sender is gone by then: the mail server has it, and the
	// sender never heard so.
	HoldAfter int
}

// FaultSMTP is a real SMTP server (github.com/emersion/go-smtp) on loopback that refuses
// commands and holds messages as its options say, and keeps what it accepts.
type FaultSMTP struct {
	Host string
	Port int

	opts     FaultSMTPOptions
	mu       sync.Mutex
	messages []Message
	seen     map[string]int // commands seen, by verb
	refused  map[string]int // commands refused, by verb
	held     chan struct{}
	holding  bool
	release  chan struct{}
	released bool
	server   *smtp.Server
}

// StartFaultSMTP starts a misbehaving server on a free loopback port, stopped when the test
// ends.
func StartFaultSMTP(t testing.TB, opts FaultSMTPOptions) *FaultSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: smtp listen: %v", err)
	}
	s := &FaultSMTP{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, opts: opts,
		seen: map[string]int{}, refused: map[string]int{}, held: make(chan struct{}), release: make(chan struct{}),
	}
	srv := smtp.NewServer(faultBackend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.AllowInsecureAuth = true
	s.server = srv
	go func() { _ = srv.Serve(rsetListener{ln, s}) }()
	t.Cleanup(func() {
		s.Release()
		_ = srv.Close()
	})
	return s
}

// Messages returns the messages accepted so far, in order.
func (s *FaultSMTP) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Seen returns how many commands of a verb (MAIL, RCPT, DATA, RSET) the server received.
func (s *FaultSMTP) Seen(verb string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[verb]
}

// Refused returns how many commands of a verb the server refused.
func (s *FaultSMTP) Refused(verb string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused[verb]
}

// Held is closed once the server holds a message (see HoldAfter).
func (s *FaultSMTP) Held() <-chan struct{} { return s.held }

// Release lets a held message go on. It may be called more than once.
func (s *FaultSMTP) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.released {
		s.released = true
		close(s.release)
	}
}

// count records a command of verb and reports whether it is to be refused.
func (s *FaultSMTP) count(verb string, every int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen[verb]++
	if every > 0 && s.seen[verb]%every == 0 {
		s.refused[verb]++
		return true
	}
	return false
}

func refusal(verb string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: verb + " refused by the test: try again later"}
}

type faultBackend struct{ s *FaultSMTP }

func (b faultBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &faultSession{s: b.s}, nil
}

type faultSession struct {
	s    *FaultSMTP
	from string
	to   []string
}

func (x *faultSession) Reset()        { x.from, x.to = "", nil }
func (x *faultSession) Logout() error { return nil }

func (x *faultSession) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.count("MAIL", x.s.opts.RefuseMailEvery) {
		return refusal("MAIL FROM")
	}
	x.from = from
	return nil
}

func (x *faultSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if x.s.count("RCPT", x.s.opts.RefuseRcptEvery) {
		return refusal("RCPT TO")
	}
	x.to = append(x.to, to)
	return nil
}

func (x *faultSession) Data(r io.Reader) error {
	s := x.s
	raw, err := io.ReadAll(r)
	if err != nil {
		return err // the sender went away before the end of the body: nothing is kept
	}
	s.mu.Lock()
	hold := s.opts.HoldAfter > 0 && !s.holding && len(s.messages) == s.opts.HoldAfter
	if hold {
		s.holding = true
		close(s.held)
	}
	s.mu.Unlock()
	if hold {
		<-s.release
	}
	if s.count("DATA", s.opts.RefuseDataEvery) {
		return refusal("DATA")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return errors.New("unreadable message")
	}
	body, _ := io.ReadAll(msg.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, Message{From: x.from, To: x.to, Header: msg.Header, Body: string(body), Raw: raw})
	return nil
}

// go-smtp gives a session no say over RSET, so RSET is refused below it: rsetListener wraps
// each connection so that every nth RSET outside a message body is answered 451 without
// reaching go-smtp. Clients do not pipeline here (go-mail waits for each answer), so the
// answer cannot interleave with one of go-smtp's.
type rsetListener struct {
	net.Listener
	s *FaultSMTP
}

func (l rsetListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &rsetConn{Conn: c, s: l.s}, nil
}

type rsetConn struct {
	net.Conn
	s       *FaultSMTP
	partial []byte // an incomplete line read from the client
	ready   []byte // lines go-smtp may read
	inBody  bool
}

func (c *rsetConn) Read(p []byte) (int, error) {
	buf := make([]byte, 4096)
	for len(c.ready) == 0 {
		n, err := c.Conn.Read(buf)
		c.partial = append(c.partial, buf[:n]...)
		for {
			i := bytes.IndexByte(c.partial, '\n')
			if i < 0 {
				break
			}
			line := c.partial[:i+1]
			c.partial = c.partial[i+1:]
			if c.swallow(line) {
				continue
			}
			c.ready = append(c.ready, line...)
		}
		if err != nil {
			if len(c.ready) == 0 {
				// What is left of an unfinished line goes with the error.
				c.ready, c.partial = c.partial, nil
				if len(c.ready) == 0 {
					return 0, err
				}
			}
			break
		}
	}
	n := copy(p, c.ready)
	c.ready = c.ready[n:]
	return n, nil
}

// swallow reports whether the client's line is an RSET to refuse, and answers it.
func (c *rsetConn) swallow(line []byte) bool {
	cmd := strings.ToUpper(strings.TrimRight(string(line), "\r\n"))
	switch {
	case c.inBody:
		if cmd == "." {
			c.inBody = false
		}
		return false
	case cmd == "DATA":
		c.inBody = true // go-mail sends DATA only once a recipient is accepted
		return false
	case cmd != "RSET":
		return false
	}
	if !c.s.count("RSET", c.s.opts.RefuseRsetEvery) {
		return false
	}
	_, _ = c.Conn.Write([]byte("451 4.3.0 RSET refused by the test: try again later\r\n"))
	return true
}
