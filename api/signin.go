package api

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"

	"github.com/probation/safeguarding/checks"
)

// Signing in to the pages, three ways:
//
//   - single sign-on with OpenID Connect (the authorization code flow, with PKCE, state and
//     nonce): a verified email of one of the issuer's domains signs in the active user with
//     that email; there is no self-registration;
//   - an emailed link, for people whose organisation has no single sign-on: single use, kept
//     only as its hash, valid 15 minutes, and only in the browser that asked for it;
//   - a pasted API token, when Options.TokenSignIn is set (trials only).
//
// Sessions are SameSite=Strict cookies. Two steps arrive by a cross-site top-level
// navigation (the provider's redirect back, a link clicked in webmail), so the cookie each of
// them needs (the login round trip's, the browser's link binding) is Lax, short-lived and
// limited to its path.

const (
	// oidcCookie holds the state, nonce and PKCE verifier of a login round trip.
	oidcCookie = "sg_oidc"
	// linkCookie binds the emailed links a browser asked for to that browser.
	linkCookie = "sg_link"
	// oidcRoundTrip is how long a login at the provider may take.
	oidcRoundTrip = 10 * time.Minute
)

// OIDCIssuer is an OpenID Connect provider staff may sign in with.
type OIDCIssuer struct {
	// ID names it in the service's addresses: /sign-in/oidc/ID, /sign-in/oidc/ID/callback.
	ID string
	// Name is what its button says: "Sign in with Name".
	Name         string
	Issuer       string
	ClientID     string
	ClientSecret string
	// Domains are the email domains it may sign in (lower case).
	Domains []string
	// EmailVerifiedClaim is the boolean claim that says the email is verified:
	// email_verified when empty. Microsoft Entra ID gives none by that name, but can give
	// xms_edov (the email's domain owner verified it).
	EmailVerifiedClaim string
}

// oidcIssuers are the configured issuers. Each one's discovery document is read at its first
// use, not at start: a provider that is down must not stop the service starting.
type oidcIssuers struct {
	list []*oidcIssuer
}

type oidcIssuer struct {
	cfg      OIDCIssuer
	redirect string
	// client talks to the provider: its own, bounded in time, whatever the process's
	// default client is.
	client *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCIssuers(cfgs []OIDCIssuer, baseURL string) (*oidcIssuers, error) {
	out := &oidcIssuers{}
	if len(cfgs) > 0 && baseURL == "" {
		return nil, errors.New("single sign-on needs the service's base URL, for its redirect address")
	}
	for _, c := range cfgs {
		out.list = append(out.list, &oidcIssuer{cfg: c, redirect: strings.TrimSuffix(baseURL, "/") + "/sign-in/oidc/" + c.ID + "/callback",
			client: &http.Client{Timeout: 10 * time.Second}})
	}
	return out, nil
}

func (o *oidcIssuers) find(id string) *oidcIssuer {
	for _, is := range o.list {
		if is.cfg.ID == id {
			return is
		}
	}
	return nil
}

// config returns the issuer's OAuth 2 configuration and its provider, reading its discovery
// document the first time (and again after a failure).
func (is *oidcIssuer) config(ctx context.Context) (*oauth2.Config, *oidc.Provider, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	if is.provider == nil {
		// The provider keeps the context for fetching its signing keys later: it must outlive
		// this request.
		p, err := oidc.NewProvider(oidc.ClientContext(context.WithoutCancel(ctx), is.client), is.cfg.Issuer)
		if err != nil {
			return nil, nil, &checks.Error{Code: checks.EUNAVAILABLE, Message: "the single sign-on provider does not answer; try again shortly",
				Err: fmt.Errorf("discover %s: %w", is.cfg.ID, err)}
		}
		is.provider = p
	}
	return &oauth2.Config{ClientID: is.cfg.ClientID, ClientSecret: is.cfg.ClientSecret, Endpoint: is.provider.Endpoint(),
		RedirectURL: is.redirect, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}, is.provider, nil
}

// loginState is what the login cookie carries through the round trip to the provider.
type loginState struct {
	Issuer   string `json:"i"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// oidcStart sends the browser to the provider, with a fresh state, nonce and PKCE verifier
// kept in the login cookie.
func (s *Server) oidcStart(c *gin.Context) {
	is := s.oidc.find(c.Param("issuer"))
	if is == nil {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	conf, _, err := is.config(c.Request.Context())
	if err != nil {
		s.failPage(c, err)
		return
	}
	st := loginState{Issuer: is.cfg.ID, State: randomString(), Nonce: randomString(), Verifier: oauth2.GenerateVerifier(), Next: safeNext(c.Query("next"))}
	data, _ := json.Marshal(st)
	s.cookieSameSite(c, oidcCookie, base64.RawURLEncoding.EncodeToString(data), int(oidcRoundTrip/time.Second), "/sign-in/oidc", http.SameSiteLaxMode)
	c.Redirect(http.StatusSeeOther, conf.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)))
}

// oidcCallback finishes the round trip: the state must be the login cookie's, the code is
// exchanged with the PKCE verifier, the ID token is verified (issuer, audience, expiry,
// signature) and must carry the nonce, and its email (or, when it carries none, the user
// info's for the same subject) must be verified and of one of the issuer's domains.
func (s *Server) oidcCallback(c *gin.Context) {
	is := s.oidc.find(c.Param("issuer"))
	if is == nil {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	ctx := c.Request.Context()
	raw, _ := c.Cookie(s.cookieName(oidcCookie, "/sign-in/oidc"))
	// The login cookie is for one round trip, whatever comes of it.
	s.cookieSameSite(c, oidcCookie, "", -1, "/sign-in/oidc", http.SameSiteLaxMode)
	var st loginState
	data, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || json.Unmarshal(data, &st) != nil || st.Issuer != is.cfg.ID || st.State == "" ||
		subtle.ConstantTimeCompare([]byte(st.State), []byte(c.Query("state"))) != 1 {
		s.message(c, http.StatusBadRequest, "Sign-in could not be completed",
			"The answer from your organisation's sign-in did not match the sign-in this browser started, or it took longer than 10 minutes.",
			"Go back to the sign-in page and try again.")
		return
	}
	if e := c.Query("error"); e != "" {
		// The provider's own words are not shown: they are the provider's, in its language.
		s.log.InfoContext(ctx, "single sign-on refused by the provider", "issuer", is.cfg.ID, "error", clipText(e, 64))
		s.message(c, http.StatusUnauthorized, "Sign-in could not be completed",
			"Your organisation's sign-in did not sign you in.", "Go back to the sign-in page and try again.")
		return
	}
	conf, provider, err := is.config(ctx)
	if err != nil {
		s.failPage(c, err)
		return
	}
	address, err := s.verifiedEmail(ctx, is, conf, provider, st, c.Query("code"))
	if err != nil {
		s.log.InfoContext(ctx, "single sign-on refused", "issuer", is.cfg.ID, "reason", err.Error())
		s.message(c, http.StatusUnauthorized, "Sign-in could not be completed",
			"Your organisation's sign-in did not give this service a verified email address it accepts.",
			s.contactLine())
		return
	}
	_, sess, secret, err := s.svc.SignInVerified(ctx, address)
	if checks.ErrorCode(err) == checks.EUNAUTHORIZED {
		s.message(c, http.StatusForbidden, "You do not have access to this service",
			"Your organisation's sign-in worked, but no active account here has your email address.", s.contactLine())
		return
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.startSession(c, sess, secret, st.Next)
}

// verifiedEmail exchanges the code and returns the verified email the provider vouches for.
// Its errors are for the log: they name what failed, never a token or an address.
func (s *Server) verifiedEmail(ctx context.Context, is *oidcIssuer, conf *oauth2.Config, provider *oidc.Provider, st loginState, code string) (string, error) {
	if code == "" {
		return "", errors.New("no code")
	}
	ctx = oidc.ClientContext(ctx, is.client)
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return "", fmt.Errorf("the code was refused: %s", clipText(re.ErrorCode, 64))
		}
		return "", errors.New("the code could not be exchanged")
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return "", errors.New("no ID token")
	}
	// The token's times are the provider's, in real time: the service's clock (which a demo
	// may move) is not theirs.
	idt, err := provider.Verifier(&oidc.Config{ClientID: is.cfg.ClientID}).Verify(ctx, rawID)
	if err != nil {
		return "", fmt.Errorf("the ID token is not valid: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return "", errors.New("the ID token's nonce is not this sign-in's")
	}
	verifiedBy := cmp.Or(is.cfg.EmailVerifiedClaim, "email_verified")
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return "", errors.New("the ID token's claims are unreadable")
	}
	if e, _ := claims["email"].(string); e == "" {
		info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return "", errors.New("the user info could not be read")
		}
		if info.Subject != idt.Subject {
			return "", errors.New("the user info is for another subject")
		}
		claims = nil
		if err := info.Claims(&claims); err != nil {
			return "", errors.New("the user info's claims are unreadable")
		}
	}
	email, _ := claims["email"].(string)
	if !verifiedClaim(claims[verifiedBy]) {
		return "", fmt.Errorf("the email is not verified (%s)", verifiedBy)
	}
	address := strings.ToLower(strings.TrimSpace(email))
	at := strings.LastIndexByte(address, '@')
	if at < 1 || !slices.Contains(is.cfg.Domains, address[at+1:]) {
		return "", errors.New("the email is not of the issuer's domains")
	}
	return address, nil
}

// verifiedClaim reads a claim saying an email is verified: true, or the string "true" (as
// some providers send it).
func verifiedClaim(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return b == "true"
	}
	return false
}

// contactLine tells someone without access whom to ask.
func (s *Server) contactLine() string {
	if s.opts.SupportEmail != "" {
		return "If you need access, email " + s.opts.SupportEmail + "."
	}
	return "If you need access, ask your administrator."
}

func clipText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if len(s) > n {
		return s[:n]
	}
	return s
}

// emailLink sends a sign-in link to the address typed, if it is an active user's, bound to
// this browser. The answer is the same whether or not it is: "check your email".
func (s *Server) emailLink(c *gin.Context) {
	if s.opts.SignInLinks == nil {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	if !s.signInCSRF(c) {
		return
	}
	next := c.PostForm("next")
	typed := strings.TrimSpace(c.PostForm("email"))
	if a, err := mail.ParseAddress(typed); err != nil || a.Address != typed || len(typed) > 254 {
		text := "Enter your email address in the correct format, like name@example.org"
		if typed == "" {
			text = "Enter your email address"
		}
		s.showSignIn(c, http.StatusBadRequest, next, "", []formError{{"email", text}})
		return
	}
	address := strings.ToLower(typed)
	now := time.Now()
	if ok, wait := s.linksByAddress.allow(clientAddress(c), now); !ok {
		s.refuse(c, codeRateLimited, wait, "")
		return
	}
	if ok, wait := s.linksByEmail.allow(address, now); !ok {
		s.refuse(c, codeRateLimited, wait, "")
		return
	}
	browser, _ := c.Cookie(s.cookieName(linkCookie, "/sign-in/link"))
	if len(browser) < 20 || len(browser) > 100 {
		browser = checks.NewBrowserSecret()
	}
	s.cookieSameSite(c, linkCookie, browser, int(checks.SignInLinkLength/time.Second), "/sign-in/link", http.SameSiteLaxMode)
	ctx := c.Request.Context()
	u, secret, found, err := s.svc.RequestSignInLink(ctx, address, browser, safeNext(next))
	if err == nil && found {
		link := strings.TrimSuffix(s.opts.BaseURL, "/") + "/sign-in/link/" + secret
		err = s.opts.SignInLinks.Send(ctx, u.Email, link, s.svc.Clock().Now().Add(checks.SignInLinkLength))
	}
	if err != nil {
		// Logged, and answered as any other request: a different answer would tell who has an
		// account. The person asks again.
		s.log.ErrorContext(ctx, "sign-in link not sent", "error", err.Error())
	}
	s.render(c, http.StatusOK, "check-email", pageData{Title: "Check your email", Data: struct {
		Email, Contact string
		Minutes        int
	}{address, s.contactLine(), int(checks.SignInLinkLength / time.Minute)}})
}

// useLink signs in with an emailed link, in the browser that asked for it.
func (s *Server) useLink(c *gin.Context) {
	if s.opts.SignInLinks == nil {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	if s.tooManyFailures(c) {
		return
	}
	browser, _ := c.Cookie(s.cookieName(linkCookie, "/sign-in/link"))
	_, sess, secret, next, err := s.svc.UseSignInLink(c.Request.Context(), c.Param("secret"), browser)
	s.countFailure(c, err)
	if checks.ErrorCode(err) == checks.EUNAUTHORIZED {
		s.message(c, http.StatusUnauthorized, "The link has expired or cannot be used here",
			"A sign-in link works once, for 15 minutes, and only in the browser where you asked for it.",
			"Go to the sign-in page and ask for a new link in this browser.")
		return
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.startSession(c, sess, secret, next)
}

// keepAlive is the timeout warning's "Stay signed in": being signed in has already recorded
// the use (signedIn), so it only says how long the session now lasts unused.
func (s *Server) keepAlive(c *gin.Context) {
	sess := c.MustGet(keySession).(checks.Session)
	c.Header("Session-Idle-Seconds", fmt.Sprint(max(1, int(sess.Ends().Sub(s.svc.Clock().Now())/time.Second))))
	c.Status(http.StatusNoContent)
}

// sessionEnded is where the timeout warning goes when the time is up, or without
// JavaScript, a page left open for SessionIdle.
func (s *Server) sessionEnded(c *gin.Context) {
	s.write(c, http.StatusOK, "message", pageData{Title: "You have been signed out", Data: struct{ Lines []string }{[]string{
		fmt.Sprintf("We signed you out because you did not use the service for %d minutes. We do this to keep people's information safe.", int(checks.SessionIdle/time.Minute)),
		"Sign in again to carry on.",
	}}})
}
