package store

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/probation/safeguarding/checks"
)

// crnBatch bounds the CRNs of one query: an $in of a whole 50,000-row file would be one
// very large command.
const crnBatch = 1000

// ActiveReleasesOfCRNs lists the active releases in scope of any of the CRNs whose release
// date is from or later, in batches of CRNs, one query per team of the scope.
func (s *Store) ActiveReleasesOfCRNs(ctx context.Context, scope checks.Scope, crns []string, from checks.Date) ([]checks.Release, error) {
	var out []checks.Release
	for start := 0; start < len(crns); start += crnBatch {
		batch := crns[start:min(start+crnBatch, len(crns))]
		f := bson.M{"crn": bson.M{"$in": batch}, "status": string(checks.ReleaseActive), "release_date": bson.M{"$gte": from.String()}}
		var filters []bson.M
		switch {
		case scope.All():
			filters = []bson.M{f}
		default:
			for _, team := range scope.Teams() {
				filters = append(filters, and(f, bson.M{"team": team}))
			}
		}
		for _, filter := range filters {
			rs, err := findAll(ctx, s.releases, filter, nil, releaseDoc.toRelease)
			if err != nil {
				return nil, err
			}
			out = append(out, rs...)
		}
	}
	return out, nil
}

// pendingImportDoc is a file uploaded in the pages, waiting for its confirmation. A file of
// at most 10 MiB fits in one document (16 MiB).
type pendingImportDoc struct {
	ID        string    `bson:"_id"`
	UserID    string    `bson:"user_id"`
	Content   []byte    `bson:"content"`
	SHA256    string    `bson:"sha256"`
	CreatedAt time.Time `bson:"created_at"`
	ExpiresAt time.Time `bson:"expires_at"`
}

func (d pendingImportDoc) toPendingImport() checks.PendingImport {
	return checks.PendingImport{ID: d.ID, UserID: d.UserID, Content: d.Content, SHA256: d.SHA256,
		CreatedAt: d.CreatedAt.UTC(), ExpiresAt: d.ExpiresAt.UTC()}
}

func (s *Store) pendingImports() *mongo.Collection { return s.db.Collection("pending_imports") }

// InsertPendingImport keeps an uploaded file, and first removes the files whose time ran
// out: so that the collection holds at most the last hour's uploads.
func (s *Store) InsertPendingImport(ctx context.Context, p checks.PendingImport) error {
	if err := s.DeleteExpiredPendingImports(ctx, p.CreatedAt); err != nil {
		return err
	}
	_, err := s.pendingImports().InsertOne(ctx, pendingImportDoc{ID: p.ID, UserID: p.UserID, Content: p.Content,
		SHA256: p.SHA256, CreatedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt})
	return dbError(err)
}

// PendingImport reads an uploaded file.
func (s *Store) PendingImport(ctx context.Context, id string) (checks.PendingImport, error) {
	return findOne(ctx, s.pendingImports(), bson.M{"_id": id}, pendingImportDoc.toPendingImport)
}

// DeletePendingImport removes an uploaded file.
func (s *Store) DeletePendingImport(ctx context.Context, id string) error {
	_, err := s.pendingImports().DeleteOne(ctx, bson.M{"_id": id})
	return dbError(err)
}

// DeleteExpiredPendingImports removes the uploaded files that expired by now.
func (s *Store) DeleteExpiredPendingImports(ctx context.Context, now time.Time) error {
	_, err := s.pendingImports().DeleteMany(ctx, bson.M{"expires_at": bson.M{"$lte": now}})
	return dbError(err)
}
