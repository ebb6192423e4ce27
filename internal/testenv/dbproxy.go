package testenv

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// DBProxy stands between a client and a real database server and passes the MongoDB wire
// protocol through unchanged, except for the commands a test holds: such a command reaches
// the database only once the test releases it. A test uses it to have work stand, for as
// long as it likes, at a known point (a query sent, its answer not yet come), which is what
// a slow or hung database looks like to the service.
type DBProxy struct {
	ln      net.Listener
	network string
	addr    string // the database's socket or address

	mu    sync.Mutex
	holds []*Hold
}

// Hold is a command a DBProxy holds: every one that matches, from the hold on until
// Release.
type Hold struct {
	db, command, coll string
	// pass is how many matching commands still go through before the hold holds (see
	// HoldAfter).
	pass int

	once     sync.Once
	held     chan struct{}
	release  chan struct{}
	released sync.Once
}

// Held is closed once a command of the hold has arrived and is being held.
func (h *Hold) Held() <-chan struct{} { return h.held }

// Release lets the held commands, and those that come later, through. It may be called more
// than once.
func (h *Hold) Release() { h.released.Do(func() { close(h.release) }) }

// StartDBProxy starts a proxy to the server of uri (the package's server when uri is empty)
// on a free loopback port, stopped when the test ends.
func StartDBProxy(t testing.TB, uri string) *DBProxy {
	t.Helper()
	if uri == "" {
		uri = URI()
	}
	rest := uri[strings.Index(uri, "://")+3:]
	host, _, _ := strings.Cut(rest, "/")
	if _, after, ok := strings.Cut(host, "@"); ok {
		host = after // credentials go through in the handshake, untouched
	}
	p := &DBProxy{network: "tcp", addr: host}
	if strings.HasSuffix(host, ".sock") {
		path, err := url.PathUnescape(host)
		if err != nil {
			t.Fatal(err)
		}
		p.network, p.addr = "unix", path
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: db proxy listen: %v", err)
	}
	p.ln = ln
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, h := range p.holds {
			h.Release()
		}
	})
	go p.serve()
	return p
}

// URI is the connection string of a client through the proxy: one connection, as the
// embedded server wants, unless pooled (a real engine).
func (p *DBProxy) URI(pooled bool) string {
	if pooled {
		return "mongodb://" + p.ln.Addr().String() + "/?directConnection=true"
	}
	return "mongodb://" + p.ln.Addr().String() + "/?maxPoolSize=1&directConnection=true"
}

// Hold holds, from now on, every command named command (e.g. "find", "insert") on the
// collection coll of the database db, until the hold is released (at the latest when the
// test ends).
func (p *DBProxy) Hold(db, command, coll string) *Hold {
	h := &Hold{db: db, command: command, coll: coll, held: make(chan struct{}), release: make(chan struct{})}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.holds = append(p.holds, h)
	return h
}

// HoldAfter is Hold, but lets the first n matching commands through: a test holds the
// second of two like commands (e.g. the second of two checks updated by one request).
func (p *DBProxy) HoldAfter(db, command, coll string, n int) *Hold {
	h := p.Hold(db, command, coll)
	p.mu.Lock()
	defer p.mu.Unlock()
	h.pass = n
	return h
}

// holdFor returns the hold msg falls under, or nil.
func (p *DBProxy) holdFor(msg []byte) *Hold {
	command, coll, db := OpMsgCommand(msg)
	if command == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.holds {
		select {
		case <-h.release:
			continue // released: it holds nothing any more
		default:
		}
		if h.db == db && h.command == command && h.coll == coll {
			if h.pass > 0 {
				h.pass--
				continue
			}
			return h
		}
	}
	return nil
}

func (p *DBProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(client)
	}
}

func (p *DBProxy) pipe(client net.Conn) {
	defer client.Close()
	server, err := net.Dial(p.network, p.addr)
	if err != nil {
		return // the database is stopped: the driver sees the connection close
	}
	defer server.Close()
	go func() { _, _ = io.Copy(client, server); client.Close() }()
	for {
		msg, err := ReadMessage(client)
		if err != nil {
			return
		}
		if h := p.holdFor(msg); h != nil {
			h.once.Do(func() { close(h.held) })
			<-h.release
		}
		if _, err := server.Write(msg); err != nil {
			return
		}
	}
}

// ReadMessage reads one message of the MongoDB wire protocol from r, whole: its 16-byte
// header (the first four bytes its length, little-endian) and its body.
func ReadMessage(r io.Reader) ([]byte, error) {
	header := make([]byte, 16)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, err
	}
	size := int(binary.LittleEndian.Uint32(header))
	if size < 16 || size > 48<<20 {
		return nil, fmt.Errorf("a wire message of %d bytes", size)
	}
	msg := make([]byte, size)
	copy(msg, header)
	if _, err := io.ReadFull(r, msg[16:]); err != nil {
		return nil, err
	}
	return msg, nil
}

// OpMsgCommand reads the command name, its collection and $db from an OP_MSG (op code
// 2013): the first element of its body section (kind 0) names the command and, for the
// commands on a collection, the collection. Empty for any other message.
func OpMsgCommand(msg []byte) (command, coll, db string) {
	if len(msg) < 21 || binary.LittleEndian.Uint32(msg[12:16]) != 2013 {
		return "", "", ""
	}
	rest := msg[20:] // after the header and the flag bits
	for len(rest) > 5 {
		kind := rest[0]
		rest = rest[1:]
		size := int(binary.LittleEndian.Uint32(rest))
		if size < 5 || size > len(rest) {
			return "", "", ""
		}
		if kind == 0 {
			doc := bson.Raw(rest[:size])
			elems, err := doc.Elements()
			if err != nil || len(elems) == 0 {
				return "", "", ""
			}
			command = elems[0].Key()
			coll, _ = elems[0].Value().StringValueOK()
			db, _ = doc.Lookup("$db").StringValueOK()
			return command, coll, db
		}
		rest = rest[size:] // a document sequence (kind 1): its size counts itself
	}
	return "", "", ""
}
