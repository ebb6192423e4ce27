// Package embedded runs the default database: FerretDB v1 on SQLite files under the data
// directory, inside this process, reachable only through a Unix socket: in that directory, or,
// when its path is too long for a socket's, in an owner-only directory of its own under the
// system's temporary directory. Never on TCP: the server does not authenticate, and any local
// user may connect to a port on 127.0.0.1.
//
// FerretDB v1 caches collection metadata per process, so two processes must never open the
// same files. Open therefore first looks for a server another process already runs on the
// directory (its address is advertised in a file in the directory) and starts its own only
// when it can take the directory's lock.
//
// The server's conditional updates are atomic only when they arrive on one connection (see
// Server.URI), and each process connects on its own: two services answering requests through
// one server could both win one transition. So the service (serve) must be the only one of
// its directory: OpenExclusive holds a second lock for as long as its server runs. The
// short-lived commands keep joining through Open.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
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
	// serveLockName is held by the process that serves the directory (OpenExclusive).
	serveLockName = "serve.lock"
	filesName     = "db"

	// socketDirPrefix begins the name of a directory made for the socket under the system's
	// temporary directory.
	socketDirPrefix = "safeguarding-db-"

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
	// socketDir is the directory made for the socket, removed on Close; empty when the
	// socket is in Dir.
	socketDir string
	// serveLock is held while this process serves Dir (OpenExclusive); nil otherwise.
	serveLock *os.File
}

// InUseError is OpenExclusive's refusal: another process serves the data directory.
type InUseError struct {
	Dir string
	PID int // 0 when it could not be read
}

func (e *InUseError) Error() string {
	return "another safeguarding serve" + pidText(e.PID) + " is using the data directory " + e.Dir
}

// pidText is " (pid N)", or nothing when the process id is not known.
func pidText(pid int) string {
	if pid == 0 {
		return ""
	}
	return fmt.Sprintf(" (pid %d)", pid)
}

// Open returns the embedded server of dir, joining one that another process runs there or
// starting one in this process. It waits up to the context's deadline (or ten seconds) for a
// server that another process is still starting.
func Open(ctx context.Context, dir string, logger *slog.Logger) (*Server, error) {
	abs, err := prepare(dir)
	if err != nil {
		return nil, err
	}
	deadline := deadlineOf(ctx)
	for {
		if uri, ok := advertised(ctx, abs); ok {
			return &Server{URI: uri, Dir: abs}, nil
		}
		lock, locked, err := tryLock(filepath.Join(abs, lockName))
		if err != nil {
			return nil, err
		}
		if locked {
			return start(ctx, abs, lock, logger)
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("another process holds the database in %s but does not answer on the socket it advertises in %s", abs, filepath.Join(abs, addrName))
		}
		if err := pause(ctx); err != nil {
			return nil, err
		}
	}
}

// OpenExclusive starts the embedded server of dir for the process that serves it, and holds
// the directory for that process until Close. It refuses with an *InUseError when another
// process holds it so. It never joins a server that a command runs, since that server stops
// when the command ends: it calls waiting (if not nil) once with the command's process id (0
// when unknown), waits up to the context's deadline (or ten seconds) for it to stop, and then
// starts its own. Commands join the server it runs through Open.
func OpenExclusive(ctx context.Context, dir string, logger *slog.Logger, waiting func(pid int)) (*Server, error) {
	abs, err := prepare(dir)
	if err != nil {
		return nil, err
	}
	serveLock, locked, err := tryLock(filepath.Join(abs, serveLockName))
	if err != nil {
		return nil, err
	}
	if !locked {
		return nil, &InUseError{Dir: abs, PID: holder(filepath.Join(abs, serveLockName))}
	}
	deadline, told := deadlineOf(ctx), false
	for {
		lock, locked, err := tryLock(filepath.Join(abs, lockName))
		if err != nil {
			_ = serveLock.Close()
			return nil, err
		}
		if locked {
			s, err := start(ctx, abs, lock, logger)
			if err != nil {
				_ = serveLock.Close()
				return nil, err
			}
			s.serveLock = serveLock
			return s, nil
		}
		pid := holder(filepath.Join(abs, lockName))
		if !told && waiting != nil {
			waiting(pid)
		}
		told = true
		if time.Now().After(deadline) {
			_ = serveLock.Close()
			return nil, fmt.Errorf("a command%s still runs the embedded database in %s: start again once it has finished", pidText(pid), abs)
		}
		if err := pause(ctx); err != nil {
			_ = serveLock.Close()
			return nil, err
		}
	}
}

// prepare makes dir and the directory of its database files, owner-only, and returns dir's
// absolute path.
func prepare(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data directory %q: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, filesName), 0o700); err != nil {
		return "", fmt.Errorf("create data directory: %w", err)
	}
	// The directory keeps others from the database's files (and from its socket, when it is
	// inside): keep it owner-only even when it existed before.
	if err := os.Chmod(abs, 0o700); err != nil {
		return "", fmt.Errorf("restrict data directory: %w", err)
	}
	return abs, nil
}

// deadlineOf is how long Open and OpenExclusive wait for another process: the context's
// deadline, or ten seconds.
func deadlineOf(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(10 * time.Second)
}

// pause waits a moment before another look at the directory.
func pause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(100 * time.Millisecond):
		return nil
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
	if s.socketDir != "" {
		_ = os.RemoveAll(s.socketDir)
	}
	err := s.lock.Close() // closing the file releases the lock
	if s.serveLock != nil {
		_ = s.serveLock.Close()
	}
	return err
}

// start runs the server of dir in this process. It is called with the directory's lock held,
// and releases it when it fails.
func start(ctx context.Context, dir string, lock *os.File, logger *slog.Logger) (*Server, error) {
	// We hold the lock: a socket still there was left by a process that was killed.
	removeStaleSocket(dir)
	if err := ownerOnly(dir); err != nil {
		_ = lock.Close()
		return nil, err
	}
	socket, socketDir, err := socketPath(dir)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: socket},
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Opaque: filepath.Join(dir, filesName) + "/"}).String(),
		Logger:    logger,
	})
	if err != nil {
		if socketDir != "" {
			_ = os.RemoveAll(socketDir)
		}
		_ = lock.Close()
		return nil, fmt.Errorf("start embedded database: %w", err)
	}

	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
	}()

	uri := "mongodb://" + url.PathEscape(socket) + "/?maxPoolSize=1"
	s := &Server{URI: uri, Dir: dir, Owned: true, cancel: cancel, done: done, lock: lock, socketDir: socketDir}
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

// ownerOnly makes every file under dir owner-only, now and from now on.
//
// SQLite creates a database with mode 0644 less the umask (and its -wal and -shm files with the
// database's mode), and FerretDB has no setting to ask for less. So the process that runs the
// server gets umask 077, for the rest of its life: FerretDB creates a database file whenever a
// new database is first written, and the umask belongs to the process, not to one server, so it
// is not put back on Close (another server of this process may still need it). Everything else
// this service writes under the data directory (emails, tokens) is meant to be owner-only too.
// Files made before, by an earlier version or under another umask, are restricted here.
func ownerOnly(dir string) error {
	syscall.Umask(syscall.Umask(0o077) | 0o077) // keeping any stricter bits already set
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil // a symbolic link's target is not ours to change; a stale socket is removed
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return os.Chmod(path, perm&^0o077)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("make the data directory's files owner-only: %w", err)
	}
	return nil
}

// socketPath chooses where the server listens: in dir when the path fits in a socket address,
// else in a new owner-only directory (os.MkdirTemp makes it 0700, and nobody else can replace
// it) under the system's temporary directory, returned as socketDir for Close to remove.
// Joiners find either through the address advertised in dir.
func socketPath(dir string) (socket, socketDir string, err error) {
	socket = filepath.Join(dir, socketName)
	if len(socket) <= maxSocketPath {
		return socket, "", nil
	}
	socketDir, err = os.MkdirTemp("", socketDirPrefix)
	if err != nil {
		return "", "", fmt.Errorf("make a directory for the database socket: %w", err)
	}
	if short := filepath.Join(socketDir, socketName); len(short) <= maxSocketPath {
		return short, socketDir, nil
	}
	_ = os.Remove(socketDir)
	return "", "", fmt.Errorf("the embedded database's socket needs a path of at most %d bytes, and both %s and %s are longer: "+
		"use a shorter data directory, or set TMPDIR to a shorter directory", maxSocketPath, socket,
		filepath.Join(socketDir, socketName))
}

// removeStaleSocket removes the socket that a killed owner of dir left, and the directory made
// for it. Called with the lock held, so nothing listens there.
func removeStaleSocket(dir string) {
	_ = os.Remove(filepath.Join(dir, socketName))
	b, err := os.ReadFile(filepath.Join(dir, addrName))
	if err != nil {
		return
	}
	// Only a directory this package made: the address file is the owner's, but a path named in
	// a file is not a thing to remove blindly.
	if socket, ok := socketOf(strings.TrimSpace(string(b))); ok && strings.HasPrefix(filepath.Base(filepath.Dir(socket)), socketDirPrefix) {
		_ = os.Remove(socket)
		_ = os.Remove(filepath.Dir(socket))
	}
}

// socketOf returns the socket path of a URI that start made.
func socketOf(uri string) (string, bool) {
	// url.Parse refuses the escaped socket path in the host part, so cut it out by hand.
	host, _, _ := strings.Cut(strings.TrimPrefix(uri, "mongodb://"), "/")
	path, err := url.PathUnescape(host)
	if err != nil || !filepath.IsAbs(path) {
		return "", false
	}
	return path, true
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

// reachable dials the server's socket: cheaper than a driver ping when nothing listens, which
// is the usual case after a crash. An address that is not a socket (the TCP port an earlier
// version fell back to) is never used.
func reachable(uri string) bool {
	socket, ok := socketOf(uri)
	if !ok {
		return false
	}
	conn, err := net.DialTimeout("unix", socket, time.Second)
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

// tryLock takes an exclusive advisory lock on path without waiting, and writes this process's
// id in the file for the messages of those who find it taken. The lock lasts as long as the
// returned file is open, and the kernel drops it when the process dies.
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
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, true, nil
}

// holder returns the process id written in a lock file, 0 when there is none (the holder may
// not have written it yet).
func holder(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}
