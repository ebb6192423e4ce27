package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	// The driver FerretDB v1 itself uses for these files.
	_ "modernc.org/sqlite"
)

// IndexIDs gives every collection of database an index that FerretDB v1's lookups by id use.
//
// FerretDB v1.24 hands a filter of exactly {_id} to SQLite as
// WHERE _ferretdb_sjson->'$._id' = ?, but indexes _id on _ferretdb_sjson->"_id": a different
// expression to SQLite, which uses an index on an expression only for that same expression.
// So every read or write by id scanned its table in SQL (about 8 µs a document: 85 ms to read
// one check among 10,000), and the service slowed down as its data grew. An index on the
// expression the lookup uses makes it a search.
//
// The index is SQLite's own, beside FerretDB's: FerretDB's metadata does not list it (so
// listIndexes does not show it) and dropping a collection drops it with the table. It is
// idempotent, and indexes only the collections that exist, so call it after the collections
// are made (EnsureIndexes) and again when more may have been. Only the process that runs the
// server calls it (Owned): the files are its.
func (s *Server) IndexIDs(ctx context.Context, database string) error {
	if !s.Owned {
		return nil
	}
	path := filepath.Join(s.Dir, filesName, database+".sqlite")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil // nothing written yet
	}
	// busy_timeout: FerretDB's own connections may hold the file's write lock a moment.
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Opaque: path, RawQuery: "mode=rw&_pragma=busy_timeout(10000)"}).String())
	if err != nil {
		return fmt.Errorf("open the embedded database's files: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		return fmt.Errorf("list the embedded database's collections: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			_ = rows.Close()
			return fmt.Errorf("list the embedded database's collections: %w", err)
		}
		tables = append(tables, t)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("list the embedded database's collections: %w", err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (_ferretdb_sjson->'$._id')`, quote("safeguarding_"+t+"_id"), quote(t))
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index the ids of %s: %w", t, err)
		}
	}
	return nil
}

// quote makes name an SQL identifier.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
