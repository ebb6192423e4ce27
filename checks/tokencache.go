package checks

import (
	"sync"
	"time"
)

// tokenCache remembers, for a short time, which user a token hash belongs to: two reads by id
// per request were most of the cost of reading a check. It works in real time, not the
// service's clock: it is about how stale an answer may be.
type tokenCache struct {
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]tokenEntry
}

type tokenEntry struct {
	user  User
	token Token
	at    time.Time
}

func newTokenCache(ttl time.Duration) *tokenCache {
	return &tokenCache{ttl: ttl, entries: map[string]tokenEntry{}}
}

func (c *tokenCache) get(hash string) (User, Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || time.Since(e.at) > c.ttl {
		delete(c.entries, hash)
		return User{}, Token{}, false
	}
	return e.user, e.token, true
}

func (c *tokenCache) put(hash string, u User, t Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) > 10000 {
		c.entries = map[string]tokenEntry{} // a crude bound: entries live two seconds anyway
	}
	c.entries[hash] = tokenEntry{u, t, time.Now()}
}

func (c *tokenCache) forget(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, hash)
}

func (c *tokenCache) forgetUser(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for hash, e := range c.entries {
		if e.user.ID == id {
			delete(c.entries, hash)
		}
	}
}
