package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/probation/safeguarding/checks"
)

// A list is sorted by one field and then by _id, and pages by keyset: a cursor is the
// (field, _id) pair of the last item of a page, and the next page starts strictly after it.
// One cursor format serves every list; a time field's value is kept as RFC 3339.

type cursor struct {
	Key string `json:"k"`
	ID  string `json:"i"`
}

func encodeCursor(key, id string) string {
	b, _ := json.Marshal(cursor{key, id})
	return base64.RawURLEncoding.EncodeToString(b)
}

var errBadCursor = checks.Malformed("cursor", "is not a cursor this service returned")

func decodeCursor(s string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.ID == "" {
		return c, errBadCursor
	}
	return c, nil
}

// order is how a list is sorted: by field (a string, or a time when byTime), then by _id,
// ascending unless desc.
type order struct {
	field  string
	byTime bool
	desc   bool
}

func (o order) sort() bson.D {
	dir := 1
	if o.desc {
		dir = -1
	}
	return bson.D{{Key: o.field, Value: dir}, {Key: "_id", Value: dir}}
}

// after returns the filter of the documents after cursor s in this order.
func (o order) after(s string) (bson.M, error) {
	c, err := decodeCursor(s)
	if err != nil {
		return nil, err
	}
	var key any = c.Key
	if o.byTime {
		t, err := time.Parse(time.RFC3339Nano, c.Key)
		if err != nil {
			return nil, errBadCursor
		}
		key = t
	}
	op := "$gt"
	if o.desc {
		op = "$lt"
	}
	return bson.M{"$or": bson.A{
		bson.M{o.field: bson.M{op: key}},
		bson.M{o.field: key, "_id": bson.M{op: c.ID}},
	}}, nil
}

// cursorKey is the cursor value of a sort field's value.
func cursorKey(v any) string {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return v.(string)
}

// and combines filters; the embedded server accepts $and of any filters.
func and(filters ...bson.M) bson.M {
	var parts bson.A
	for _, f := range filters {
		if len(f) > 0 {
			parts = append(parts, f)
		}
	}
	switch len(parts) {
	case 0:
		return bson.M{}
	case 1:
		return parts[0].(bson.M)
	}
	return bson.M{"$and": parts}
}

// source is one query of a list: a collection and a filter. A list over several sources
// (one per team of a manager, or the waiting and the sent emails) runs each and merges them.
type source struct {
	coll   *mongo.Collection
	filter bson.M
}

// listing says how to read one kind of document into a page: its order, the value of its
// sort field, and its conversion.
type listing[D any, T any] struct {
	order order
	key   func(D) (sortKey any, id string)
	conv  func(D) T
}

// page reads one page of at most limit items after cursor, from every source.
//
// Each source is its own query, sorted and limited: a filter of one team (or one agency) is
// served by that field's index and returns at most limit+1 documents, where one query over
// several teams ($in) would have to sort every document of them all. The sorted results are
// merged here, which costs nothing next to a query.
func (l listing[D, T]) page(ctx context.Context, sources []source, limit int, cursor string) (checks.Page[T], error) {
	var after bson.M
	if cursor != "" {
		var err error
		if after, err = l.order.after(cursor); err != nil {
			return checks.Page[T]{}, err
		}
	}
	var docs []D
	for _, src := range sources {
		opts := options.Find().SetSort(l.order.sort()).SetLimit(int64(limit) + 1)
		cur, err := src.coll.Find(ctx, and(src.filter, after), opts)
		if err != nil {
			return checks.Page[T]{}, dbError(err)
		}
		var part []D
		if err := cur.All(ctx, &part); err != nil {
			return checks.Page[T]{}, dbError(err)
		}
		docs = append(docs, part...)
	}
	if len(sources) > 1 {
		slices.SortFunc(docs, func(a, b D) int {
			ka, ia := l.key(a)
			kb, ib := l.key(b)
			c := cmp.Or(strings.Compare(cursorKey(ka), cursorKey(kb)), strings.Compare(ia, ib))
			if l.order.byTime {
				c = cmp.Or(ka.(time.Time).Compare(kb.(time.Time)), strings.Compare(ia, ib))
			}
			if l.order.desc {
				return -c
			}
			return c
		})
	}
	page := checks.Page[T]{Items: make([]T, 0, min(len(docs), limit))}
	for i, d := range docs {
		if i == limit {
			k, id := l.key(docs[i-1])
			page.NextCursor = encodeCursor(cursorKey(k), id)
			break
		}
		page.Items = append(page.Items, l.conv(d))
	}
	return page, nil
}
