package store

import (
	"context"

	"github.com/probation/safeguarding/checks"
)

// InsertReleases writes many releases at once, for benchmark data: as they stand once their
// checks are in line with them (not pending a sync, no audit entries waiting), which is how
// nearly every release of a database in use stands. Releases already there (same id) are
// left as they are. Write the checks with InsertChecks and the audit trail with InsertAudit.
//
// A batch must hold at most 25,000 releases: FerretDB v2 refuses larger write batches.
func (s *Store) InsertReleases(ctx context.Context, rs []checks.Release) error {
	docs := make([]releaseDoc, len(rs))
	for i, r := range rs {
		docs[i] = toReleaseDoc(r)
		docs[i].SyncPending = false
	}
	return insertMany(ctx, s.releases, docs)
}
