package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeIssuers(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "issuers.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTheIssuersFileIsReadWithItsDomainsInLowerCase(t *testing.T) {
	path := writeIssuers(t, `[{"id":"met","name":"Metropolitan Police","issuer":"https://login.microsoftonline.com/tenant/v2.0",
		"client_id":"abc","client_secret":"s3cret","domains":["Met.Police.example.org"]}]`)
	got := mustLoad(t, nil, map[string]string{"SAFEGUARDING_OIDC_ISSUERS": path})
	want := []OIDCIssuer{{ID: "met", Name: "Metropolitan Police", Issuer: "https://login.microsoftonline.com/tenant/v2.0",
		ClientID: "abc", ClientSecret: "s3cret", Domains: []string{"met.police.example.org"}}}
	if !reflect.DeepEqual(got.OIDCIssuers, want) {
		t.Errorf("issuers = %+v, want %+v", got.OIDCIssuers, want)
	}
}

func TestAWrongIssuersFileIsRefusedWithoutShowingItsSecrets(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"a file that is not JSON", `not json s3cret`, "array of issuers"},
		{"an unknown field", `[{"id":"a","secret":"s3cret"}]`, "array of issuers"},
		{"an issuer over http off loopback", `[{"id":"a","name":"A","issuer":"http://idp.example.org","client_id":"c","client_secret":"s3cret","domains":["a.example.org"]}]`, "issuer 1: issuer must be an https:// URL"},
		{"no domains", `[{"id":"a","name":"A","issuer":"https://idp.example.org","client_id":"c","client_secret":"s3cret"}]`, "issuer 1: domains must list"},
		{"a domain given as an address", `[{"id":"a","name":"A","issuer":"https://idp.example.org","client_id":"c","client_secret":"s3cret","domains":["x@a.example.org"]}]`, "domains[0] must be a domain"},
		{"no client secret", `[{"id":"a","name":"A","issuer":"https://idp.example.org","client_id":"c","domains":["a.example.org"]}]`, "client_secret is required"},
		{"an id given twice", `[{"id":"a","name":"A","issuer":"https://idp.example.org","client_id":"c","client_secret":"s3cret","domains":["a.example.org"]},{"id":"a","name":"B","issuer":"https://idp2.example.org","client_id":"c","client_secret":"s3cret","domains":["b.example.org"]}]`, "issuer 2: id a is given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, nil, map[string]string{"SAFEGUARDING_OIDC_ISSUERS": writeIssuers(t, tt.body)})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows the client secret: %v", err)
			}
		})
	}
}
