package api

import (
	"net/http"
	"strings"
	"testing"
)

func TestAnAdminCreatesUsersWhoseTokenWorksAtOnce(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		body map[string]any
	}{
		{"a COM is created with its team", map[string]any{"name": "New Com", "email": "new.com@example.org", "role": "com", "team": "N07-T3"}},
		{"a manager is created with its teams", map[string]any{"name": "New Manager", "email": "new.manager@example.org", "role": "manager", "teams": []string{"N07-T3", "N08-T2"}}},
		{"a liaison is created with its agency", map[string]any{"name": "New Liaison", "email": "new.liaison@example.org", "role": "liaison", "agency": "E23000002"}},
		{"an admin is created", map[string]any{"name": "New Admin", "email": "new.admin@example.org", "role": "admin"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(t, e.admin.Token, "POST", "/api/v1/users", tc.body)
			var u apiUser
			want(t, res, http.StatusCreated, &u)
			if u.ID == "" || u.Token == "" || u.Role != tc.body["role"] || u.Email != tc.body["email"] || !u.Active {
				t.Fatalf("created %+v, want an active %s with an id and a token", u, tc.body["role"])
			}
			if loc := res.header.Get("Location"); loc != "/api/v1/users/"+u.ID {
				t.Errorf("Location = %q, want /api/v1/users/%s", loc, u.ID)
			}
			var me apiUser
			want(t, e.do(t, u.Token, "GET", "/api/v1/me", nil), http.StatusOK, &me)
			if me.ID != u.ID || me.Role != u.Role || me.Token != "" {
				t.Errorf("GET /me with the new token = %+v, want user %s without a token", me, u.ID)
			}
			var got apiUser
			want(t, e.do(t, e.admin.Token, "GET", "/api/v1/users/"+u.ID, nil), http.StatusOK, &got)
			if got.ID != u.ID || got.Token != "" {
				t.Errorf("GET /users/{id} = %+v, want the user without a token", got)
			}
		})
	}

	t.Run("the list of users holds every user, without tokens", func(t *testing.T) {
		users := listAll[apiUser](t, e, e.admin, "/api/v1/users")
		if len(users) != 9+len(tests) {
			t.Errorf("GET /users lists %d users, want %d", len(users), 9+len(tests))
		}
		for _, u := range users {
			if u.Token != "" {
				t.Errorf("GET /users shows a token for %s", u.Email)
			}
		}
		liaisons := listAll[apiUser](t, e, e.admin, "/api/v1/users?role=liaison")
		if len(liaisons) != 5 {
			t.Errorf("GET /users?role=liaison lists %d, want 5", len(liaisons))
		}
	})
}

func TestAnAdminIssuesAndListsTokens(t *testing.T) {
	e := newEnv(t)
	res := e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.com.ID+"/tokens", map[string]any{"label": "laptop"})
	var tok apiToken
	want(t, res, http.StatusCreated, &tok)
	if tok.Token == "" || tok.ID != tokenID(tok.Token) || tok.UserID != e.com.ID || tok.Label != "laptop" || tok.RevokedAt != nil {
		t.Fatalf("issued %+v, want a token of the COM labelled laptop whose id is the SHA-256 of its secret", tok)
	}
	var me apiUser
	want(t, e.do(t, tok.Token, "GET", "/api/v1/me", nil), http.StatusOK, &me)
	if me.ID != e.com.ID {
		t.Errorf("the new token is %s's, want the COM's", me.ID)
	}
	want(t, e.do(t, e.com.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)

	// Issuing without a body is allowed.
	var unlabelled apiToken
	want(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.com.ID+"/tokens", nil), http.StatusCreated, &unlabelled)

	var list apiList[apiToken]
	want(t, e.do(t, e.admin.Token, "GET", "/api/v1/users/"+e.com.ID+"/tokens", nil), http.StatusOK, &list)
	got := map[string]bool{}
	for _, it := range list.Items {
		if it.Token != "" {
			t.Errorf("the token list shows a secret: %+v", it)
		}
		got[it.ID] = true
	}
	for _, secret := range []string{e.com.Token, tok.Token, unlabelled.Token} {
		if !got[tokenID(secret)] {
			t.Errorf("the token list %v lacks %s", got, tokenID(secret))
		}
	}
	if len(list.Items) != 3 {
		t.Errorf("the COM has %d tokens, want 3", len(list.Items))
	}

	t.Run("a revoked token is listed as revoked and no longer works", func(t *testing.T) {
		want(t, e.do(t, e.admin.Token, "POST", "/api/v1/tokens/"+tok.ID+"/revoke", nil), http.StatusOK, nil)
		wantProblem(t, e.do(t, tok.Token, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "")
		want(t, e.do(t, e.com.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)
		var list apiList[apiToken]
		want(t, e.do(t, e.admin.Token, "GET", "/api/v1/users/"+e.com.ID+"/tokens", nil), http.StatusOK, &list)
		for _, it := range list.Items {
			if (it.ID == tok.ID) != (it.RevokedAt != nil) {
				t.Errorf("token %s revoked_at = %v", it.ID, it.RevokedAt)
			}
		}
	})
	t.Run("a deactivated user gets no new token", func(t *testing.T) {
		want(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.otherCOM.ID+"/deactivate", nil), http.StatusOK, nil)
		wantProblem(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.otherCOM.ID+"/tokens", nil), http.StatusConflict, "")
	})
	t.Run("an admin cannot deactivate itself", func(t *testing.T) {
		wantProblem(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+e.admin.ID+"/deactivate", nil), http.StatusConflict, "")
		want(t, e.do(t, e.admin.Token, "GET", "/api/v1/me", nil), http.StatusOK, nil)
	})
	t.Run("tokens of an unknown user are not found", func(t *testing.T) {
		wantProblem(t, e.do(t, e.admin.Token, "GET", "/api/v1/users/"+strings.Repeat("b", 24)+"/tokens", nil), http.StatusNotFound, "")
		wantProblem(t, e.do(t, e.admin.Token, "POST", "/api/v1/users/"+strings.Repeat("b", 24)+"/tokens", nil), http.StatusNotFound, "")
	})
}

func TestOnlyAdminsManageUsersAndAgencies(t *testing.T) {
	e := newEnv(t)
	newUser := map[string]any{"name": "Sneaky", "email": "sneaky@example.org", "role": "admin"}
	routes := []struct {
		what         string
		method, path string
		body         any
	}{
		{"create a user", "POST", "/api/v1/users", newUser},
		{"list users", "GET", "/api/v1/users", nil},
		{"issue a token", "POST", "/api/v1/users/" + e.com.ID + "/tokens", nil},
		{"list a user's tokens", "GET", "/api/v1/users/" + e.com.ID + "/tokens", nil},
		{"deactivate a user", "POST", "/api/v1/users/" + e.otherCOM.ID + "/deactivate", nil},
		{"activate a user", "POST", "/api/v1/users/" + e.otherCOM.ID + "/activate", nil},
		{"change an agency", "PATCH", "/api/v1/agencies/E23000001", map[string]any{"contact_email": "evil@example.org"}},
	}
	for _, who := range []struct {
		name string
		as   caller
	}{{"a COM", e.com}, {"a manager", e.manager}, {"a liaison", e.police}} {
		for _, r := range routes {
			t.Run(who.name+" may not "+r.what, func(t *testing.T) {
				wantProblem(t, e.do(t, who.as.Token, r.method, r.path, r.body), http.StatusForbidden, "")
			})
		}
	}
	t.Run("nothing was changed", func(t *testing.T) {
		users := listAll[apiUser](t, e, e.admin, "/api/v1/users")
		if len(users) != 9 {
			t.Errorf("%d users, want the 9 of the fixture", len(users))
		}
		for _, u := range users {
			if !u.Active {
				t.Errorf("%s was deactivated", u.Email)
			}
		}
		var a apiAgency
		want(t, e.do(t, e.admin.Token, "GET", "/api/v1/agencies/E23000001", nil), http.StatusOK, &a)
		if a.ContactEmail != "" || a.Version != 1 {
			t.Errorf("agency changed: %+v", a)
		}
		var list apiList[apiToken]
		want(t, e.do(t, e.admin.Token, "GET", "/api/v1/users/"+e.com.ID+"/tokens", nil), http.StatusOK, &list)
		if len(list.Items) != 1 {
			t.Errorf("the COM has %d tokens, want 1", len(list.Items))
		}
	})
	t.Run("a user may read itself but not another user", func(t *testing.T) {
		want(t, e.do(t, e.com.Token, "GET", "/api/v1/users/"+e.com.ID, nil), http.StatusOK, nil)
		wantProblem(t, e.do(t, e.com.Token, "GET", "/api/v1/users/"+e.otherCOM.ID, nil), http.StatusNotFound, "")
	})
}

func TestCreatingAUserRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"a second user with the same email conflicts", map[string]any{"name": "Twin", "email": e.com.Email, "role": "com", "team": "N07-T1"}, 409, "email"},
		{"a second user with the same email in capitals conflicts", map[string]any{"name": "Twin", "email": strings.ToUpper(e.com.Email), "role": "com", "team": "N07-T1"}, 409, "email"},
		{"an unknown role is invalid", map[string]any{"name": "X", "email": "x1@example.org", "role": "superuser"}, 422, "role"},
		{"a COM without a team is invalid", map[string]any{"name": "X", "email": "x2@example.org", "role": "com"}, 422, "team"},
		{"a liaison of an unknown agency is invalid", map[string]any{"name": "X", "email": "x3@example.org", "role": "liaison", "agency": "E23999999"}, 422, "agency"},
		{"a bad email is invalid", map[string]any{"name": "X", "email": "not an email", "role": "admin"}, 422, "email"},
		{"an unknown field is refused", map[string]any{"name": "X", "email": "x4@example.org", "role": "admin", "password": "hunter2"}, 400, "password"},
		{"teams given as a string are refused", map[string]any{"name": "X", "email": "x5@example.org", "role": "manager", "teams": "N07-T1"}, 400, "teams"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, e.admin.Token, "POST", "/api/v1/users", tc.body), tc.status, tc.field)
		})
	}
	if users := listAll[apiUser](t, e, e.admin, "/api/v1/users"); len(users) != 9 {
		t.Errorf("%d users after refused creations, want 9", len(users))
	}
}

func TestAnAdminChangesAnAgencyUnderIfMatch(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/agencies/E23000001"
	res := e.do(t, e.admin.Token, "GET", path, nil)
	var a apiAgency
	want(t, res, http.StatusOK, &a)
	if a.Code != "E23000001" || a.Kind != "police" || !a.Active || res.header.Get("ETag") != quoted(a.Version) {
		t.Fatalf("GET agency = %+v with ETag %q", a, res.header.Get("ETag"))
	}

	patch := map[string]any{"contact_email": "da.checks@met.example.org", "escalation_email": "da.manager@met.example.org", "active": false}
	wantProblem(t, e.do(t, e.admin.Token, "PATCH", path, patch, "If-Match", quoted(a.Version+1)), http.StatusPreconditionFailed, "")
	wantProblem(t, e.do(t, e.admin.Token, "PATCH", path, patch, "If-Match", "v1"), http.StatusBadRequest, "If-Match")

	res = e.do(t, e.admin.Token, "PATCH", path, patch, "If-Match", res.header.Get("ETag"))
	var got apiAgency
	want(t, res, http.StatusOK, &got)
	if got.ContactEmail != patch["contact_email"] || got.EscalationEmail != patch["escalation_email"] || got.Active || got.Version != a.Version+1 {
		t.Errorf("patched agency = %+v, want the two emails, inactive, version %d", got, a.Version+1)
	}
	if res.header.Get("ETag") != quoted(got.Version) {
		t.Errorf("ETag after the patch = %q, want %q", res.header.Get("ETag"), quoted(got.Version))
	}
	wantProblem(t, e.do(t, e.admin.Token, "PATCH", path, map[string]any{"active": true}, "If-Match", quoted(a.Version)), http.StatusPreconditionFailed, "")

	t.Run("an inactive police force cannot be chosen for a release", func(t *testing.T) {
		wantProblem(t, e.do(t, e.com.Token, "POST", "/api/v1/releases", validRelease()), http.StatusUnprocessableEntity, "police_force")
	})
	t.Run("a patch without If-Match applies to the current version", func(t *testing.T) {
		var back apiAgency
		want(t, e.do(t, e.admin.Token, "PATCH", path, map[string]any{"active": true}), http.StatusOK, &back)
		if !back.Active || back.ContactEmail != patch["contact_email"] {
			t.Errorf("agency = %+v, want active with its contact email kept", back)
		}
	})

	for _, tc := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"a contact email that is not an address is invalid", map[string]any{"contact_email": "met police"}, 422, "contact_email"},
		{"an escalation email with a display name is invalid", map[string]any{"escalation_email": "Boss <boss@example.org>"}, 422, "escalation_email"},
		{"a patch with nothing in it is invalid", map[string]any{}, 422, ""},
		{"active given as a string is refused", map[string]any{"active": "yes"}, 400, "active"},
		{"an unknown agency field is refused", map[string]any{"name": "Renamed"}, 400, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantProblem(t, e.do(t, e.admin.Token, "PATCH", path, tc.body), tc.status, tc.field)
		})
	}
	t.Run("an unknown agency is not found", func(t *testing.T) {
		wantProblem(t, e.do(t, e.admin.Token, "PATCH", "/api/v1/agencies/E23999999", map[string]any{"active": true}), http.StatusNotFound, "")
	})
}

func TestTheAgencyDirectoryListsEachKind(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		kind string
		n    int
	}{
		{"the directory lists the 43 territorial police forces", "police", 43},
		{"the directory lists the children's services authorities", "childrens_services", 175},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var list apiList[apiAgency]
			want(t, e.do(t, e.police.Token, "GET", "/api/v1/agencies?kind="+tc.kind, nil), http.StatusOK, &list)
			if len(list.Items) != tc.n || list.NextCursor != "" {
				t.Errorf("%d %s agencies with next_cursor %q, want %d in one page", len(list.Items), tc.kind, list.NextCursor, tc.n)
			}
			seen := map[string]bool{}
			for _, a := range list.Items {
				if a.Kind != tc.kind || a.Code == "" || a.Name == "" || seen[a.Code] {
					t.Errorf("agency %+v in the %s list", a, tc.kind)
				}
				seen[a.Code] = true
			}
		})
	}
	t.Run("the whole directory pages through every agency once", func(t *testing.T) {
		all := listAll[apiAgency](t, e, e.com, "/api/v1/agencies?limit=50")
		seen := map[string]bool{}
		for _, a := range all {
			if seen[a.Code] {
				t.Errorf("agency %s listed twice", a.Code)
			}
			seen[a.Code] = true
		}
		if len(seen) != 43+175 {
			t.Errorf("%d agencies, want %d", len(seen), 43+175)
		}
	})
}
