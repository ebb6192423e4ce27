package api

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestConcurrentTransitionsOfOneCheckHaveExactlyOneWinner(t *testing.T) {
	e := newEnv(t)
	const n = 8
	tests := []struct {
		name    string
		ifMatch bool
		losers  []int // the statuses a loser may get
	}{
		{"concurrent requests without If-Match: one wins, the rest conflict", false, []int{409}},
		{"concurrent requests naming the same version: one wins, the rest fail or conflict", true, []int{409, 412}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := checkOf(t, e.freshRelease(t, i), "domestic_abuse")
			statuses := make([]int, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for k := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					req, err := http.NewRequest("POST", e.url+"/api/v1/checks/"+c.ID+"/request", strings.NewReader(`{}`))
					if err != nil {
						errs[k] = err
						return
					}
					req.Header.Set("Authorization", "Bearer "+e.com.Token)
					req.Header.Set("Content-Type", "application/json")
					if tc.ifMatch {
						req.Header.Set("If-Match", quoted(c.Version))
					}
					<-start
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						errs[k] = err
						return
					}
					res.Body.Close()
					statuses[k] = res.StatusCode
				}()
			}
			close(start)
			wg.Wait()
			winners := 0
			for k, st := range statuses {
				if errs[k] != nil {
					t.Fatalf("request %d: %v", k, errs[k])
				}
				switch {
				case st == 200:
					winners++
				case !containsInt(tc.losers, st):
					t.Errorf("a loser got %d, want one of %v", st, tc.losers)
				}
			}
			if winners != 1 {
				t.Errorf("%d of %d concurrent requests won (statuses %v), want exactly 1", winners, n, statuses)
			}
			after := e.getCheck(t, e.admin, c.ID)
			requests := 0
			for _, h := range after.History {
				if h.Action == "request" {
					requests++
				}
			}
			if after.Status != "requested" || after.Version != c.Version+1 || requests != 1 {
				t.Errorf("check is %s at version %d with %d request entries, want requested at %d with 1", after.Status, after.Version, requests, c.Version+1)
			}
		})
	}
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
