package embedded_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// plan returns how SQLite answers FerretDB v1's lookup by id in the table of a collection.
func plan(t *testing.T, files, collection string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+files+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var table string
	if err := db.QueryRow(`SELECT table_name FROM _ferretdb_collections WHERE name = ?`, collection).Scan(&table); err != nil {
		t.Fatalf("the table of %s: %v", collection, err)
	}
	rows, err := db.Query(fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table), `"c1"`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "; ")
}

func TestAfterIndexIDsALookupByIDSearchesAnIndexAndTheCollectionStillWorks(t *testing.T) {
	dir := shortDir(t)
	srv := open(t, dir)
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(srv.URI))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = client.Disconnect(ctx) }()
	coll := client.Database("safeguarding").Collection("checks")
	for i := range 50 {
		if _, err := coll.InsertOne(ctx, bson.M{"_id": fmt.Sprintf("c%d", i), "version": int64(1)}); err != nil {
			t.Fatal(err)
		}
	}
	files := filepath.Join(dir, "db", "safeguarding.sqlite")
	if p := plan(t, files, "checks"); !strings.HasPrefix(p, "SCAN") {
		t.Fatalf("before IndexIDs the lookup is %q; this test expects FerretDB v1's scan", p)
	}

	for range 2 { // the second call finds the index there
		if err := srv.IndexIDs(ctx, "safeguarding"); err != nil {
			t.Fatal(err)
		}
	}
	if p := plan(t, files, "checks"); !strings.Contains(p, "USING INDEX") {
		t.Errorf("after IndexIDs the lookup is %q, want a search of an index", p)
	}

	var got struct {
		Version int64 `bson:"version"`
	}
	if _, err := coll.UpdateOne(ctx, bson.M{"_id": "c7"}, bson.M{"$inc": bson.M{"version": 1}}); err != nil {
		t.Fatal(err)
	}
	if err := coll.FindOne(ctx, bson.M{"_id": "c7"}).Decode(&got); err != nil || got.Version != 2 {
		t.Errorf("read by id after an update = %+v, %v; want version 2", got, err)
	}
	if _, err := coll.DeleteOne(ctx, bson.M{"_id": "c8"}); err != nil {
		t.Fatal(err)
	}
	if n, err := coll.CountDocuments(ctx, bson.M{}); err != nil || n != 49 {
		t.Errorf("count after a delete = %d, %v; want 49", n, err)
	}
	specs, err := coll.Indexes().ListSpecifications(ctx)
	if err != nil || len(specs) != 1 || specs[0].Name != "_id_" {
		t.Errorf("listIndexes = %v, %v; want FerretDB's _id_ only (the SQLite index is not the collection's)", specs, err)
	}
	if err := coll.Drop(ctx); err != nil {
		t.Fatalf("drop the collection with its SQLite index: %v", err)
	}
	if _, err := coll.InsertOne(ctx, bson.M{"_id": "c1"}); err != nil {
		t.Fatalf("recreate the collection: %v", err)
	}
}

func TestIndexIDsOnADatabaseNotYetWrittenDoesNothing(t *testing.T) {
	srv := open(t, shortDir(t))
	if err := srv.IndexIDs(context.Background(), "nothing_here"); err != nil {
		t.Errorf("IndexIDs of a database with no files = %v, want nil", err)
	}
}
