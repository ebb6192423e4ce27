// Package embedded runs the default database: FerretDB v1 on SQLite files under the data
// directory, inside this process, reachable only through a Unix socket in that directory.
//
// FerretDB v1 caches collection metadata per process, so two processes must never open the
// same files. Open therefore first looks for a server another process already runs on the
// directory (its address is advertised in a file next to the socket) and starts its own only
// when it can take the directory's lock.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

const (
	socketName = "mongodb.sock"
	addrName   = "mongodb.addr"
	lockName   = "mongodb.lock"
	filesName  = "db"

	// maxSocketPath keeps the socket path under the limit of sockaddr_un on Linux (108 bytes)
	// and macOS (104 bytes).
	maxSocketPath = 100
)

// Server is a handle on the embedded database of one data directory.
type Server struct {
	// URI is a MongoDB connection string for the server, with maxPoolSize=1: FerretDB v1
	// applies updates as read-modify-write, so conditional updates are only atomic when they
	// arrive on one connection.
	URI string
	// Dir is the absolute data directory.
	Dir string
	// Owned reports whether this process runs the server (false when it joined a server that
	// another process on the same directory runs).
	Owned bool

	cancel context.CancelFunc
	done   chan struct{}
	lock   *os.File
}

// Open returns the embedded server of dir, joining one that another process runs there or
// starting one in this process. It waits up to the context's deadline (or ten seconds) for a
// server that another process is still starting.
func Open(ctx context.Context, dir string, logger *slog.Logger) (*Server, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, filesName), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// The socket inside is the only protection of the data: keep the directory owner-only
	// even when it existed before.
	if err := os.Chmod(abs, 0o700); err != nil {
		return nil, fmt.Errorf("restrict data directory: %w", err)
	}

	deadline := time.Now().Add(10 * time.Second)
	if d, ok := ctx.Deadline(); ok {
		deadline = d
	}
	for {
		if uri, ok := advertised(ctx, abs); ok {
			return &Server{URI: uri, Dir: abs}, nil
		}
		lock, locked, err := tryLock(filepath.Join(abs, lockName))
		if err != nil {
			return nil, err
		}
		if locked {
			s, err := start(ctx, abs, lock, logger)
			if err != nil {
				_ = lock.Close()
				return nil, err
			}
			return s, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another process holds the database in %s but does not answer on %s", abs, filepath.Join(abs, socketName))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Close stops the server if this process runs it and waits until its files are closed.
func (s *Server) Close() error {
	if !s.Owned {
		return nil
	}
	s.cancel()
	<-s.done
	_ = os.Remove(filepath.Join(s.Dir, addrName))
	_ = os.Remove(filepath.Join(s.Dir, socketName))
	return s.lock.Close() // closing the file releases the lock
}

func start(ctx context.Context, dir string, lock *os.File, logger *slog.Logger) (*Server, error) {
	socket := filepath.Join(dir, socketName)
	_ = os.Remove(socket) // left by a process that was killed; we hold the lock, so it is stale
	listener := ferretdb.ListenerConfig{Unix: socket}
	if len(socket) > maxSocketPath {
		listener = ferretdb.ListenerConfig{TCP: "127.0.0.1:0"}
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  listener,
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Opaque: filepath.Join(dir, filesName) + "/"}).String(),
		Logger:    logger,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded database: %w", err)
	}

	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
	}()

	var uri string
	if listener.Unix != "" {
		uri = "mongodb://" + url.PathEscape(socket) + "/?maxPoolSize=1"
	} else {
		uri = strings.TrimSuffix(f.MongoDBURI(), "/") + "/?maxPoolSize=1"
	}
	s := &Server{URI: uri, Dir: dir, Owned: true, cancel: cancel, done: done, lock: lock}
	if err := waitReady(ctx, uri); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, addrName), []byte(uri), 0o600); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("advertise embedded database: %w", err)
	}
	return s, nil
}

// advertised returns the URI of a server that another process runs on dir, if it answers.
func advertised(ctx context.Context, dir string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dir, addrName))
	if err != nil {
		return "", false
	}
	uri := strings.TrimSpace(string(b))
	if !reachable(uri) {
		return "", false
	}
	pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := ping(pingCtx, uri); err != nil {
		return "", false
	}
	return uri, true
}

// reachable dials the server's socket or port: cheaper than a driver ping when nothing listens,
// which is the usual case after a crash.
func reachable(uri string) bool {
	// url.Parse refuses the escaped socket path in the host part, so cut it out by hand.
	host, _, _ := strings.Cut(strings.TrimPrefix(uri, "mongodb://"), "/")
	network, addr := "tcp", host
	if strings.HasSuffix(host, ".sock") {
		network = "unix"
		var err error
		if addr, err = url.PathUnescape(host); err != nil {
			return false
		}
	}
	conn, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

func waitReady(ctx context.Context, uri string) error {
	var last error
	for range 100 {
		pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		last = ping(pingCtx, uri)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("embedded database did not answer: %w", last)
}

func ping(ctx context.Context, uri string) error {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(2 * time.Second))
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	return client.Ping(ctx, nil)
}

// tryLock takes an exclusive advisory lock on path without waiting. The lock lasts as long as
// the returned file is open, and the kernel drops it when the process dies.
func tryLock(path string) (*os.File, bool, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock data directory: %w", err)
	}
	return f, true, nil
}
