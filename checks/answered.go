package checks

import (
	"cmp"
	"context"
	"slices"
)

// AnsweredDays is how far back a liaison's list of what its agency answered reaches.
const AnsweredDays = RecentDays

// AnsweredChecks lists the checks in the caller's scope answered in the last AnsweredDays
// days (London dates, today included), the latest answer first, whatever they became since
// (completed, or withdrawn with the release). For a liaison, that is what its agency
// answered. A list shows no summary, so the summaries are left out and no read of them is
// audited: opening one check shows and audits it.
func (s *Service) AnsweredChecks(ctx context.Context, actor User) ([]Check, error) {
	q := CheckQuery{Scope: ScopeOf(actor), Today: s.Today(), Limit: 200,
		AnsweredFrom: s.Today().AddDays(-AnsweredDays).Start()}
	var out []Check
	for {
		page, err := s.store.FindChecks(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Items {
			c = c.visibleTo(actor)
			if c.Response == nil {
				continue
			}
			r := *c.Response
			r.Summary = ""
			c.Response = &r
			out = append(out, c)
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	slices.SortStableFunc(out, func(a, b Check) int {
		return cmp.Or(b.Response.RespondedAt.Compare(a.Response.RespondedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}
