package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestAValidTokenIdentifiesItsUser(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		as   caller
		role string
	}{
		{"an admin's token says admin", e.admin, "admin"},
		{"a COM's token says com and the team", e.com, "com"},
		{"a liaison's token says liaison and the agency", e.police, "liaison"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var me apiUser
			want(t, e.do(t, tc.as.Token, "GET", "/api/v1/me", nil), http.StatusOK, &me)
			if me.ID != tc.as.ID || me.Role != tc.role || me.Email != tc.as.Email || me.Token != "" {
				t.Errorf("GET /me = %+v, want id %s role %s email %s and no token", me, tc.as.ID, tc.role, tc.as.Email)
			}
		})
	}
	var me apiUser
	want(t, e.do(t, e.com.Token, "GET", "/api/v1/me", nil), http.StatusOK, &me)
	if me.Team != "N07-T1" {
		t.Errorf("COM's team = %q, want N07-T1", me.Team)
	}
	want(t, e.do(t, e.police.Token, "GET", "/api/v1/me", nil), http.StatusOK, &me)
	if me.Agency != "E23000001" {
		t.Errorf("liaison's agency = %q, want E23000001", me.Agency)
	}
}

func TestRequestsWithoutAValidTokenAreUnauthorized(t *testing.T) {
	e := newEnv(t)

	// A token revoked by an admin, by its id: the SHA-256 of the secret.
	revoked := e.user(t, userInput("rev@example.org", "com"))
	var tok apiToken
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/tokens/"+tokenID(revoked.Token)+"/revoke", nil), http.StatusOK, &tok)
	if tok.ID != tokenID(revoked.Token) || tok.UserID != revoked.ID || tok.RevokedAt == nil || tok.Token != "" {
		t.Errorf("revoke answered %+v, want the token, revoked, without its secret", tok)
	}

	// A user deactivated by an admin.
	gone := e.user(t, userInput("gone@example.org", "com"))
	var u apiUser
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+gone.ID+"/deactivate", nil), http.StatusOK, &u)
	if u.Active {
		t.Errorf("deactivate answered an active user: %+v", u)
	}

	for _, tc := range []struct {
		name          string
		authorization string
	}{
		{"a request without an Authorization header is refused", ""},
		{"a request with the Basic scheme is refused", "Basic " + e.com.Token},
		{"a request with the token and no scheme is refused", e.com.Token},
		{"a request with the Bearer scheme and no token is refused", "Bearer "},
		{"a request with an unknown token is refused", "Bearer sgt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
		{"a request with a token of another format is refused", "Bearer not-a-token"},
		{"a request with the token's id instead of its secret is refused", "Bearer " + tokenID(e.com.Token)},
		{"a request with a revoked token is refused", "Bearer " + revoked.Token},
		{"a request with the token of a deactivated user is refused", "Bearer " + gone.Token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, route := range []struct{ method, path string }{
				{"GET", "/api/v1/me"},
				{"GET", "/api/v1/releases"},
				{"POST", "/api/v1/releases"},
			} {
				var body any
				if route.method == "POST" {
					body = validRelease()
				}
				r := e.do(t, "", route.method, route.path, body, "Authorization", tc.authorization)
				wantProblem(t, r, http.StatusUnauthorized, "")
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s %s: WWW-Authenticate = %q, want a Bearer challenge", route.method, route.path, r.header.Get("WWW-Authenticate"))
				}
			}
		})
	}

	// Nothing was written by the refused POSTs.
	var list apiList[apiRelease]
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/releases", nil), http.StatusOK, &list)
	if len(list.Items) != 0 {
		t.Errorf("unauthorized requests created %d releases", len(list.Items))
	}
}

func TestAUserCanRevokeItsOwnTokenButNotAnotherUsers(t *testing.T) {
	e := newEnv(t)
	// Another user's token is out of scope: 404, and the token still works.
	wantProblem(t, e.do(t, e.com.Token, "POST", "/api/v1/tokens/"+tokenID(e.otherCOM.Token)+"/revoke", nil), http.StatusNotFound, "")
	want(t, e.do(t, e.otherCOM.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)

	want(t, e.do(t, e.com.Token, "POST", "/api/v1/tokens/"+tokenID(e.com.Token)+"/revoke", nil), http.StatusOK, nil)
	wantProblem(t, e.do(t, e.com.Token, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "")

	wantProblem(t, e.do(t, e.admin.Token, "POST", "/api/v1/tokens/not-a-token-id/revoke", nil), http.StatusBadRequest, "id")
	wantProblem(t, e.do(t, e.admin.Token, "POST", "/api/v1/tokens/"+strings.Repeat("0", 64)+"/revoke", nil), http.StatusNotFound, "")
}

func TestAReactivatedUsersTokensWorkAgain(t *testing.T) {
	e := newEnv(t)
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.com.ID+"/deactivate", nil), http.StatusOK, nil)
	wantProblem(t, e.do(t, e.com.Token, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "")
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.com.ID+"/activate", nil), http.StatusOK, nil)
	want(t, e.do(t, e.com.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)
}

var generatedRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{8,128}$`)

func TestEveryAnswerCarriesARequestIDThatTheProblemRepeats(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		sent   string
		echoed bool
	}{
		{"a sane X-Request-ID is echoed", "trace-42.abc:7", true},
		{"a missing X-Request-ID is generated", "", false},
		{"an X-Request-ID with spaces is replaced", "two words", false},
		{"an X-Request-ID with markup is replaced", "<script>", false},
		{"an X-Request-ID over 128 characters is replaced", strings.Repeat("a", 129), false},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// A problem (here 404) and a success both carry it.
			r := e.do(t, e.com.Token, "GET", "/api/v1/releases/"+strings.Repeat("a", 24), nil, "X-Request-ID", tc.sent)
			p := wantProblem(t, r, http.StatusNotFound, "")
			got := r.header.Get("X-Request-ID")
			if tc.echoed && got != tc.sent {
				t.Errorf("X-Request-ID = %q, want the one sent, %q", got, tc.sent)
			}
			if !tc.echoed {
				if got == tc.sent || !generatedRequestID.MatchString(got) {
					t.Errorf("X-Request-ID = %q, want a generated id (sent %q)", got, tc.sent)
				}
				if seen[got] {
					t.Errorf("generated X-Request-ID %q was given twice", got)
				}
				seen[got] = true
			}
			if p.RequestID != got {
				t.Errorf("problem request_id = %q, header %q", p.RequestID, got)
			}
			ok := e.do(t, e.com.Token, "GET", "/api/v1/me", nil, "X-Request-ID", tc.sent)
			want(t, ok, http.StatusOK, nil)
			if h := ok.header.Get("X-Request-ID"); h == "" || (tc.echoed && h != tc.sent) {
				t.Errorf("a success answered X-Request-ID %q (sent %q)", h, tc.sent)
			}
		})
	}
}

func TestProblemsNameTheFieldAndTheReason(t *testing.T) {
	e := newEnv(t)
	body := validRelease()
	body["crn"] = "123"
	body["noms_number"] = "nope"
	p := wantProblem(t, e.do(t, e.com.Token, "POST", "/api/v1/releases", body), http.StatusUnprocessableEntity, "crn")
	if !p.hasField("noms_number") {
		t.Errorf("a problem with two bad fields names only %+v, want both crn and noms_number", p.Errors)
	}
	if !strings.HasPrefix(p.Type, "/problems/") && !strings.HasPrefix(p.Type, "http") && p.Type != "about:blank" {
		t.Errorf("problem type %q is not a URI reference", p.Type)
	}
}

// tokenID is the id of a token: the SHA-256 of its secret, in hex.
func tokenID(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func TestAProblemsInstanceIsTheRequestPathAsSent(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, e.admin.Token, "GET", "/api/v1/checks/a%20b", nil)
	p := wantProblem(t, res, http.StatusBadRequest, "id")
	if p.Instance != "/api/v1/checks/a%20b" {
		t.Errorf("instance = %q, want the escaped path /api/v1/checks/a%%20b (a URI reference, RFC 9457)", p.Instance)
	}
}
