package checks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/probation/safeguarding/checks"
)

func TestTokensAreStoredOnlyAsTheirHash(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, secret, err := f.svc.CreateUser(ctx, f.admin, checks.UserInput{Name: "New COM", Email: "new@example.org", Role: "com", Team: "N07-T1"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "sgt_") || len(secret) < 40 {
		t.Errorf("secret %q does not look like a token", secret)
	}
	// No stored document holds the secret: the token's id is its SHA-256.
	var docs []map[string]any
	cur, err := f.store.Database().Collection("tokens").Find(ctx, map[string]any{"user_id": u.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0]["_id"] != checks.HashToken(secret) {
		t.Fatalf("stored tokens = %v, want one with _id the hash of the secret", docs)
	}
	for k, v := range docs[0] {
		if s, ok := v.(string); ok && strings.Contains(s, secret[4:]) {
			t.Errorf("field %s holds the secret", k)
		}
	}
	got, err := f.svc.Authenticate(ctx, secret)
	if err != nil || got.ID != u.ID {
		t.Errorf("Authenticate = %v, %v; want the user", got.ID, err)
	}
}

func TestAuthenticationRefusesUnknownRevokedAndDeactivated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u, secret, err := f.svc.CreateUser(ctx, f.admin, checks.UserInput{Name: "Leaver", Email: "leaver@example.org", Role: "com", Team: "N07-T1"})
	if err != nil {
		t.Fatal(err)
	}
	_, second, err := f.svc.IssueToken(ctx, f.admin, u.ID, "laptop", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, second); err != nil {
		t.Fatalf("second token: %v", err)
	}
	if _, err := f.svc.RevokeToken(ctx, f.admin, checks.HashToken(second)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		secret string
	}{
		{"an unknown token", "sgt_" + strings.Repeat("A", 43)},
		{"a token without the prefix", "Bearer abc"},
		{"an empty token", ""},
		{"a revoked token", second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Authenticate(ctx, tt.secret)
			wantCode(t, err, checks.EUNAUTHORIZED)
		})
	}
	if _, err := f.svc.Authenticate(ctx, secret); err != nil {
		t.Fatalf("first token after revoking the second: %v", err)
	}
	if _, err := f.svc.SetUserActive(ctx, f.admin, u.ID, false); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Authenticate(ctx, secret)
	wantCode(t, err, checks.EUNAUTHORIZED)
}

func TestOnlyAdminsManageUsersAndTokens(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, u := range []checks.User{f.com, f.manager, f.police} {
		_, _, err := f.svc.CreateUser(ctx, u, checks.UserInput{Name: "X", Email: "x@example.org", Role: "admin"})
		wantCode(t, err, checks.EFORBIDDEN)
		_, err = f.svc.Users(ctx, u, checks.UserQuery{})
		wantCode(t, err, checks.EFORBIDDEN)
		_, _, err = f.svc.IssueToken(ctx, u, u.ID, "", 0)
		wantCode(t, err, checks.EFORBIDDEN)
		_, err = f.svc.SetUserActive(ctx, u, f.com2.ID, false)
		wantCode(t, err, checks.EFORBIDDEN)
		_, err = f.svc.UpdateAgency(ctx, u, "E23000001", nil, checks.AgencyPatch{Active: new(bool)})
		wantCode(t, err, checks.EFORBIDDEN)
	}
	// A user may revoke its own token but not another's (which it cannot see).
	_, secret, err := f.svc.IssueToken(ctx, f.admin, f.com2.ID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.RevokeToken(ctx, f.com, checks.HashToken(secret))
	wantCode(t, err, checks.ENOTFOUND)
	if _, err := f.svc.RevokeToken(ctx, f.com2, checks.HashToken(secret)); err != nil {
		t.Errorf("revoking one's own token: %v", err)
	}
	_, err = f.svc.SetUserActive(ctx, f.admin, f.admin.ID, false)
	wantCode(t, err, checks.ECONFLICT)
}

func TestUserInputIsValidated(t *testing.T) {
	tests := []struct {
		name  string
		in    checks.UserInput
		field string
	}{
		{"a name is required", checks.UserInput{Email: "a@example.org", Role: "admin"}, "name"},
		{"an email must be an address", checks.UserInput{Name: "A", Email: "not an email", Role: "admin"}, "email"},
		{"the role must be known", checks.UserInput{Name: "A", Email: "a@example.org", Role: "boss"}, "role"},
		{"a COM needs a team", checks.UserInput{Name: "A", Email: "a@example.org", Role: "com"}, "team"},
		{"a COM has one team only", checks.UserInput{Name: "A", Email: "a@example.org", Role: "com", Teams: []string{"A1", "B1"}}, "team"},
		{"a manager needs a team", checks.UserInput{Name: "A", Email: "a@example.org", Role: "manager"}, "teams"},
		{"a team code must be well formed", checks.UserInput{Name: "A", Email: "a@example.org", Role: "manager", Teams: []string{"no spaces"}}, "teams"},
		{"a liaison needs an agency", checks.UserInput{Name: "A", Email: "a@example.org", Role: "liaison"}, "agency"},
		{"a liaison's agency must exist", checks.UserInput{Name: "A", Email: "a@example.org", Role: "liaison", Agency: "E23999999"}, "agency"},
		{"an admin has no team", checks.UserInput{Name: "A", Email: "a@example.org", Role: "admin", Team: "N07-T1"}, "teams"},
		{"a COM has no agency", checks.UserInput{Name: "A", Email: "a@example.org", Role: "com", Team: "N07-T1", Agency: "E23000001"}, "agency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, _, err := f.svc.CreateUser(context.Background(), f.admin, tt.in)
			e := wantCode(t, err, checks.EINVALID)
			if e.Fields[0].Field != tt.field {
				t.Errorf("fields %+v, want the first about %s", e.Fields, tt.field)
			}
		})
	}
	t.Run("an email is used once", func(t *testing.T) {
		f := newFixture(t)
		_, _, err := f.svc.CreateUser(context.Background(), f.admin, checks.UserInput{Name: "Again", Email: "COLM@example.org", Role: "admin"})
		wantCode(t, err, checks.ECONFLICT)
	})
}

func TestAdminsSetAgencyContactsAndDeactivateAgencies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	contact, escalation := "  Referrals@Met.Example.org ", "dci@met.example.org"
	a, err := f.svc.UpdateAgency(ctx, f.admin, "e23000001", nil, checks.AgencyPatch{ContactEmail: &contact, EscalationEmail: &escalation})
	if err != nil {
		t.Fatal(err)
	}
	if a.ContactEmail != "referrals@met.example.org" || a.EscalationEmail != escalation || a.Version != 2 || a.Name != "Metropolitan Police Service" {
		t.Errorf("agency = %+v", a)
	}
	bad := "nobody"
	_, err = f.svc.UpdateAgency(ctx, f.admin, "E23000001", nil, checks.AgencyPatch{ContactEmail: &bad})
	wantCode(t, err, checks.EINVALID)
	stale := int64(1)
	_, err = f.svc.UpdateAgency(ctx, f.admin, "E23000001", &stale, checks.AgencyPatch{ContactEmail: &contact})
	wantCode(t, err, checks.EPRECONDITION)

	inactive := false
	if _, err := f.svc.UpdateAgency(ctx, f.admin, "E23000002", nil, checks.AgencyPatch{Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.CreateRelease(ctx, f.com, func() checks.ReleaseInput { in := validRelease(); in.PoliceForce = "E23000002"; return in }())
	if e := wantCode(t, err, checks.EINVALID); !strings.Contains(e.Fields[0].Reason, "inactive") {
		t.Errorf("reason %q does not say the agency is inactive", e.Fields[0].Reason)
	}

	// Loading the directory again keeps what admins set.
	if err := f.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.Agency(ctx, "E23000001")
	if err != nil || again.ContactEmail != "referrals@met.example.org" {
		t.Errorf("after a restart the contact is %q (%v), want it kept", again.ContactEmail, err)
	}
}

func TestTheDirectoryShowsFriendlyNames(t *testing.T) {
	agencies, err := checks.Directory()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, a := range agencies {
		names[a.Code] = a.Name
	}
	for code, want := range map[string]string{
		"E06000023": "City of Bristol",
		"E06000019": "County of Herefordshire",
		"E06000058": "Bournemouth, Christchurch and Poole",
		"E23000030": "Hampshire and Isle of Wight Constabulary",
	} {
		if names[code] != want {
			t.Errorf("%s is named %q, want %q", code, names[code], want)
		}
	}
}
