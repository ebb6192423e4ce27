package testenv

import (
	"net"
	"net/http/httptest"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"golang.org/x/text/language"
)

// IdPUser is a user of the test OpenID Connect provider.
type IdPUser struct {
	ID, Password        string
	FirstName, LastName string
	Email               string
	EmailVerified       bool
}

// IdPClient is the provider's one client: the service.
type IdPClient struct {
	ID, Secret, Redirect string
}

// StartIdP starts a real OpenID Connect provider over HTTP on loopback, stopped when the test
// ends: zitadel's op package with its example storage and login form (username, then
// password), holding users and one web client. It listens on 127.0.0.1 and names itself
// host: "127.0.0.1", or "localhost" for a browser test that needs the provider on another
// site than a service at 127.0.0.1. It returns the issuer URL.
func StartIdP(t testing.TB, host string, client IdPClient, users ...IdPUser) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	issuer := "http://" + net.JoinHostPort(host, port)
	byID := idpUsers{}
	for _, u := range users {
		byID[u.ID] = &storage.User{ID: u.ID, Username: u.ID, Password: u.Password, FirstName: u.FirstName, LastName: u.LastName,
			Email: u.Email, EmailVerified: u.EmailVerified, PreferredLanguage: language.English}
	}
	st := storage.NewStorageWithClients(byID, map[string]*storage.Client{
		client.ID: storage.WebClient(client.ID, client.Secret, client.Redirect),
	})
	srv := httptest.NewUnstartedServer(exampleop.SetupServer(issuer, st, nil, false))
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return issuer
}

// idpUsers are the provider's users, by id, as its example storage looks them up.
type idpUsers map[string]*storage.User

func (u idpUsers) GetUserByID(id string) *storage.User { return u[id] }
func (u idpUsers) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}
func (u idpUsers) ExampleClientID() string { return "service" }
