package embedded_test

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/internal/embedded"
)

// timeout bounds a start or a write: generous, since it is only reached when something is wrong.
const timeout = time.Minute

// open starts or joins the embedded server of dir, closed when the test ends (a second Close
// is harmless).
func open(t *testing.T, dir string) *embedded.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	srv, err := embedded.Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open the embedded database of %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// shortDir is a data directory whose socket fits in it.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// longDir is a data directory whose socket path would be longer than a Unix socket's may be.
func longDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), strings.Repeat("a-data-directory-deep-down/", 5))
}

// socketOf returns the Unix socket a URI names, failing the test when it names anything else
// (a TCP port, which any local user could reach).
func socketOf(t *testing.T, uri string) string {
	t.Helper()
	host, _, _ := strings.Cut(strings.TrimPrefix(uri, "mongodb://"), "/")
	path, err := url.PathUnescape(host)
	if err != nil || !filepath.IsAbs(path) {
		t.Fatalf("the database's URI %q names no Unix socket", uri)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("the database's URI %q names %s, which is not a socket (stat %v, %v)", uri, path, fi, err)
	}
	return path
}

// write inserts a document into a collection of each of two databases, so that SQLite creates
// and writes its files.
func write(t *testing.T, uri string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	for _, db := range []string{"safeguarding", "another"} {
		if _, err := client.Database(db).Collection("things").InsertOne(ctx, bson.M{"at": time.Now()}); err != nil {
			t.Fatalf("insert into %s: %v", db, err)
		}
	}
}

func TestTheDatabaseIsReachableOnlyThroughAUnixSocketInAnOwnerOnlyDirectory(t *testing.T) {
	tests := []struct {
		name string
		dir  func(*testing.T) string
	}{
		{"a data directory with a short path", shortDir},
		{"a data directory too long to hold the socket", longDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir(t)
			srv := open(t, dir)
			socket := socketOf(t, srv.URI)
			socketDir := filepath.Dir(socket)
			if fi, err := os.Stat(socketDir); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("the socket's directory %s must be owner-only: stat %v, %v", socketDir, fi, err)
			}
			if b, err := os.ReadFile(filepath.Join(dir, "mongodb.addr")); err != nil || string(b) != srv.URI {
				t.Errorf("mongodb.addr holds %q (%v), want the server's URI %q", b, err, srv.URI)
			}

			// Another Open finds the server through the advertised file and writes through it.
			joiner := open(t, dir)
			if joiner.Owned || joiner.URI != srv.URI {
				t.Errorf("the second Open got %q (owned %v), want to join %q", joiner.URI, joiner.Owned, srv.URI)
			}
			write(t, joiner.URI)

			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(socket); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the socket %s is left after Close (stat: %v)", socket, err)
			}
			if socketDir != filepath.Clean(dir) {
				if _, err := os.Stat(socketDir); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("the socket's own directory %s is left after Close (stat: %v)", socketDir, err)
				}
			}
		})
	}
}

func TestADataDirectoryWithNoShortEnoughSocketPathIsRefused(t *testing.T) {
	// The temporary directory, where a socket goes when the data directory is too long, is
	// too long as well.
	tmp := longDir(t)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	dir := longDir(t)

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	srv, err := embedded.Open(ctx, dir, slog.New(slog.DiscardHandler))
	if err == nil {
		_ = srv.Close()
		t.Fatalf("Open started a server on %q, want a refusal", srv.URI)
	}
	for _, want := range []string{filepath.Join(dir, "mongodb.sock"), tmp, "100 bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not name %q: %v", want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "mongodb.addr")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused start advertised an address (stat: %v)", err)
	}
}

func TestEveryFileUnderTheDataDirectoryIsOwnerOnly(t *testing.T) {
	tests := []struct {
		name string
		// before prepares the data directory as an earlier version of the service left it.
		before func(t *testing.T, dir string)
	}{
		{"files the database creates", func(*testing.T, string) {}},
		{"files an earlier version left readable to others", func(t *testing.T, dir string) {
			srv := open(t, dir)
			write(t, srv.URI)
			if err := srv.Close(); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(dir, "mail"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "mail", "old.eml"), []byte("Subject: old\r\n\r\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				mode := fs.FileMode(0o644)
				if d.IsDir() {
					mode = 0o755
				}
				return os.Chmod(path, mode)
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := shortDir(t)
			tt.before(t, dir)
			srv := open(t, dir)
			write(t, srv.URI)

			// Looked at while the server runs: SQLite's -wal and -shm files exist only then.
			var seen []string
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				fi, err := d.Info()
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				seen = append(seen, rel+" "+fi.Mode().String())
				if fi.Mode().Perm()&0o077 != 0 {
					t.Errorf("%s has mode %s: others may read it", rel, fi.Mode())
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var sqlite, wal int
			for _, s := range seen {
				name, _, _ := strings.Cut(s, " ")
				if strings.HasSuffix(name, ".sqlite") {
					sqlite++
				}
				if strings.HasSuffix(name, ".sqlite-wal") {
					wal++
				}
			}
			if sqlite < 2 || wal < 1 {
				t.Errorf("the data directory holds %d SQLite databases and %d write-ahead logs, want both databases and a log: %s",
					sqlite, wal, strconv.Quote(strings.Join(seen, ", ")))
			}
			t.Logf("files: %s", strings.Join(seen, ", "))
		})
	}
}
