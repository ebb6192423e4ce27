package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strings"
	"time"
)

// apiClient calls the service's API.
type apiClient struct {
	base string
	http *http.Client
}

func newAPIClient(base string, clients int) *apiClient {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// One kept-alive connection per client, as a browser or an integration would keep.
	t.MaxIdleConns = clients + 4
	t.MaxIdleConnsPerHost = clients + 4
	return &apiClient{base: base, http: &http.Client{Transport: t, Timeout: 60 * time.Second}}
}

// apiError is an answer other than the one expected.
type apiError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("%s %s: status %d: %s", e.Method, e.Path, e.Status, e.Body)
	if e.Status == http.StatusTooManyRequests {
		msg += " (the per-user limits: start serve with SAFEGUARDING_RATE_LIMIT=0 SAFEGUARDING_MAX_IN_FLIGHT_PER_USER=0 for a load test)"
	}
	return msg
}

// do sends one request and reads the whole answer. It returns the time from sending the
// request to having read the answer, and the answer's body.
func (c *apiClient) do(ctx context.Context, method, path, token string, body []byte, want int) (time.Duration, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	raw, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	resp.Body.Close()
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: read the answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		text := string(raw)
		if len(text) > 300 {
			text = text[:300] + "…"
		}
		return 0, nil, &apiError{method, path, resp.StatusCode, text}
	}
	return took, raw, nil
}

// healthy checks that the service answers before anything else is done.
func (c *apiClient) healthy(ctx context.Context) error {
	if _, _, err := c.do(ctx, http.MethodGet, "/healthz", "", nil, http.StatusOK); err != nil {
		return fmt.Errorf("the service at %s does not answer (start it first: SAFEGUARDING_RATE_LIMIT=0 SAFEGUARDING_MAX_IN_FLIGHT_PER_USER=0 safeguarding serve): %w", c.base, err)
	}
	return nil
}

// me is the part of GET /api/v1/me that loadgen needs.
type me struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	Team   string `json:"team"`
	Agency string `json:"agency"`
}

func (c *apiClient) me(ctx context.Context, token string) (me, error) {
	var m me
	_, raw, err := c.do(ctx, http.MethodGet, "/api/v1/me", token, nil, http.StatusOK)
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(raw, &m)
}

// users are the people of the load: COMs who record releases, request checks and complete
// them (one or several, each in its team: the clients take them in turn), and a police
// liaison who answers them.
type users struct {
	coms        []*com
	liaison     string // bearer token
	policeForce string // the liaison's agency
}

// com is one COM of the load, and the checks it may read.
type com struct {
	token    string
	team     string
	id, name string
	pool     *pool // the checks of its team a "get check" may read
}

// setUpUsers takes the tokens given, or creates a COM and a liaison with the service
// binary's "users add", and checks both with GET /api/v1/me.
func setUpUsers(ctx context.Context, o settings, api *apiClient, progress func(string, ...any)) (users, error) {
	u := users{liaison: o.liaisonToken}
	var tokens []string
	for _, t := range strings.Split(o.comToken, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) == 0 || u.liaison == "" {
		stamp := fmt.Sprintf("%d", time.Now().UnixNano())
		if len(tokens) == 0 {
			progress("creating a COM in team %s with %s users add", o.team, o.binary)
			t, err := usersAdd(ctx, o, "--role", "com", "--team", o.team,
				"--name", "Load Test COM", "--email", "loadgen-com-"+stamp+"@probation.example.org")
			if err != nil {
				return u, err
			}
			tokens = []string{t}
		}
		var err error
		if u.liaison == "" {
			progress("creating a liaison of agency %s with %s users add", o.policeForce, o.binary)
			if u.liaison, err = usersAdd(ctx, o, "--role", "liaison", "--agency", o.policeForce,
				"--name", "Load Test Liaison", "--email", "loadgen-police-"+stamp+"@police.example.org"); err != nil {
				return u, err
			}
		}
	}
	for i, t := range tokens {
		m, err := api.me(ctx, t)
		if err != nil {
			return u, fmt.Errorf("the token of COM %d: %w", i+1, err)
		}
		if m.Role != "com" || m.Team == "" {
			return u, fmt.Errorf("the token of COM %d belongs to a %s, not a COM with a team", i+1, m.Role)
		}
		u.coms = append(u.coms, &com{token: t, team: m.Team, id: m.ID, name: m.Name, pool: &pool{}})
	}
	liaison, err := api.me(ctx, u.liaison)
	if err != nil {
		return u, fmt.Errorf("the liaison's token: %w", err)
	}
	if liaison.Role != "liaison" || liaison.Agency == "" {
		return u, fmt.Errorf("the liaison's token belongs to a %s, not a liaison of an agency", liaison.Role)
	}
	u.policeForce = liaison.Agency
	return u, nil
}

// usersAdd runs the service binary's "users add" on the service's database and returns
// the token it prints.
func usersAdd(ctx context.Context, o settings, args ...string) (string, error) {
	args = append([]string{"users", "add", "--mongodb-database", o.database}, args...)
	if o.mongoURI != "" {
		args = append(args, "--mongodb-uri", o.mongoURI)
	} else {
		args = append(args, "--data-dir", o.dataDir)
	}
	cmd := exec.CommandContext(ctx, o.binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s users add: %w\n%s", o.binary, err, strings.TrimSpace(stderr.String()))
	}
	token := strings.TrimSpace(stdout.String())
	if token == "" || strings.ContainsAny(token, " \n") {
		return "", fmt.Errorf("%s users add printed %q, not a token", o.binary, stdout.String())
	}
	return token, nil
}

// fillPools lists the checks each COM sees, for the first reads of one check, and creates a
// release for a COM that sees none.
func (g *generator) fillPools(ctx context.Context) error {
	for _, c := range g.users.coms {
		if err := g.fillPool(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func (g *generator) fillPool(ctx context.Context, c *com) error {
	_, raw, err := g.api.do(ctx, http.MethodGet, "/api/v1/checks?limit=200", c.token, nil, http.StatusOK)
	if err != nil {
		return fmt.Errorf("list the checks of the COM of %s: %w", c.team, err)
	}
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return fmt.Errorf("list the COM's checks: %w", err)
	}
	for _, it := range page.Items {
		c.pool.add(it.ID)
	}
	if c.pool.len() == 0 {
		w := &worker{rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0)), com: c}
		l := newLifecycle()
		if _, err := g.serviceOp(ctx, w, opCreateRelease, &l); err != nil {
			return fmt.Errorf("create a first release: %w", err)
		}
	}
	return nil
}

// serviceOp does one operation through the API and returns how long the request took.
func (g *generator) serviceOp(ctx context.Context, w *worker, o op, l *lifecycle) (time.Duration, error) {
	com, liaison := w.com.token, g.users.liaison
	switch o {
	case opGetCheck:
		took, _, err := g.api.do(ctx, http.MethodGet, "/api/v1/checks/"+w.com.pool.pick(w.rng), com, nil, http.StatusOK)
		return took, err
	case opListChecks:
		took, _, err := g.api.do(ctx, http.MethodGet, "/api/v1/checks", com, nil, http.StatusOK)
		return took, err
	case opCreateRelease:
		body, _ := json.Marshal(withAddress(newRelease(w.rng, g.users.policeForce, g.o.localAuth)))
		took, raw, err := g.api.do(ctx, http.MethodPost, "/api/v1/releases", com, body, http.StatusCreated)
		if err != nil {
			return 0, err
		}
		var r struct {
			ID     string `json:"id"`
			Checks []struct {
				ID   string `json:"id"`
				Type string `json:"type"`
			} `json:"checks"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return 0, fmt.Errorf("the new release: %w", err)
		}
		l.releaseID, l.checkID = r.ID, ""
		g.created.add(r.ID)
		for _, c := range r.Checks {
			w.com.pool.add(c.ID)
			if c.Type == "domestic_abuse" {
				l.checkID = c.ID
			}
		}
		if l.checkID == "" {
			return 0, errors.New("the new release has no domestic abuse check")
		}
		return took, nil
	case opRequestCheck:
		took, _, err := g.api.do(ctx, http.MethodPost, "/api/v1/checks/"+l.checkID+"/request", com, nil, http.StatusOK)
		return took, err
	case opRespondToCheck:
		body, _ := json.Marshal(map[string]string{"outcome": "information_held", "summary": responseSummary})
		took, _, err := g.api.do(ctx, http.MethodPost, "/api/v1/checks/"+l.checkID+"/response", liaison, body, http.StatusOK)
		return took, err
	case opCompleteCheck:
		body, _ := json.Marshal(map[string]string{"note": completionNote})
		took, _, err := g.api.do(ctx, http.MethodPost, "/api/v1/checks/"+l.checkID+"/complete", com, body, http.StatusOK)
		return took, err
	}
	return 0, fmt.Errorf("unknown operation %v", o)
}

// What the liaison answers and the COM records: lengths typical of real ones.
const (
	responseSummary = "Two call-outs to the release address in 2024 (verbal argument, no arrest). " +
		"No current bail conditions or protective orders. Previous partner known to police; " +
		"contact the MASH for the full record if a new relationship is declared."
	completionNote = "Licence condition added: disclose new relationships to the COM. " +
		"Home visit booked for the week of release."
)

var (
	givenNames = []string{"Jordan", "Sam", "Alex", "Chris", "Jamie", "Robin", "Taylor", "Morgan", "Casey", "Drew"}
	familyName = []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Wright"}
	prisons    = []string{"LEI", "PVI", "BWI", "WWI", "HDI", "BMI", "NMI", "WDI"}
)

// newRelease is a made-up release 6 to 26 weeks ahead: far enough that its checks are
// neither late nor urgent.
func newRelease(r *rand.Rand, policeForce, localAuthority string) map[string]string {
	letter := func() byte { return byte('A' + r.IntN(26)) }
	today := time.Now()
	return map[string]string{
		"crn":             fmt.Sprintf("%c%06d", letter(), r.IntN(1_000_000)),
		"noms_number":     fmt.Sprintf("%c%04d%c%c", letter(), r.IntN(10_000), letter(), letter()),
		"full_name":       givenNames[r.IntN(len(givenNames))] + " " + familyName[r.IntN(len(familyName))],
		"date_of_birth":   today.AddDate(-20-r.IntN(45), 0, -r.IntN(365)).Format(time.DateOnly),
		"release_date":    today.AddDate(0, 0, 42+r.IntN(140)).Format(time.DateOnly),
		"prison_code":     prisons[r.IntN(len(prisons))],
		"police_force":    policeForce,
		"local_authority": localAuthority,
	}
}

// withAddress is a new release's body with the release address the API requires (the
// releases written directly to the database have none, as releases recorded before
// addresses were asked for).
func withAddress(in map[string]string) map[string]any {
	out := map[string]any{"address": map[string]string{"line_1": "1 Example Street", "town": "London", "postcode": "EC1A 1BB"}}
	for k, v := range in {
		out[k] = v
	}
	return out
}
