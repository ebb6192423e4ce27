package api

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/web"
)

// The pages: server-rendered HTML with GOV.UK Frontend, for the people who will not use curl.
// They call the same service as the API, with the same scope rules: out of scope is "Page
// not found". A browser signs in (single sign-on, an emailed link, or a pasted token when
// that is turned on: see signin.go) and gets a session cookie; every form carries the
// session's CSRF token.

const (
	sessionCookie = "sg_session"
	signInCookie  = "sg_signin"
	keySession    = "session"
)

// pageData is what every page template gets.
type pageData struct {
	Title string
	// Refresh, when set, reloads the page at once from this address (see signInPage).
	Refresh string
	// IdleSeconds is how long the session lasts unused, for the timeout warning; 0 without
	// a session.
	IdleSeconds int
	User        *checks.User
	Where       string
	CSRF        string
	Nav         []navItem
	Notice      string
	Errors      []formError
	Data        any
	// Back, when set, is where the page's back link goes (GOV.UK's back link, above the
	// content): the page the user most likely came from.
	Back string
	// Support is the address for access and help (SAFEGUARDING_SUPPORT_EMAIL); write sets it.
	Support string
}

type navItem struct {
	Href, Text string
	Current    bool
}

type formError struct {
	Field string // the id of the input it is about
	Text  string
}

// parsePages parses every page template with the layout, once.
func parsePages(funcs template.FuncMap) (map[string]*template.Template, error) {
	names, err := fs.Glob(web.Templates(), "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, name := range names {
		page := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if page == "layout" {
			continue
		}
		t, err := template.New(page).Funcs(funcs).ParseFS(web.Templates(), "templates/layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", name, err)
		}
		out[page] = t
	}
	return out, nil
}

// render answers a page. Its template may name agencies, so the directory's names are read
// first: when they cannot be, the page answers that failure.
func (s *Server) render(c *gin.Context, status int, page string, d pageData) {
	if err := s.loadAgencyNames(c.Request.Context()); err != nil {
		s.failPage(c, err)
		return
	}
	s.write(c, status, page, d)
}

// write answers a page with what the names already read: the error pages use it directly,
// so that answering a failure never needs the database. The page is rendered into a buffer
// first: a template that fails half-way must not send half a page as if it were whole. The
// failure is logged (with the request id, never the page's data) and answered as a fault.
func (s *Server) write(c *gin.Context, status int, page string, d pageData) {
	if u, ok := c.Get(keyUser); ok {
		user := u.(checks.User)
		d.User = &user
		d.Where = s.where(c, user)
		d.Nav = navFor(user, c.Request.URL.Path)
	}
	d.Support = s.opts.SupportEmail
	if v, ok := c.Get(keySession); ok {
		sess := v.(checks.Session)
		if d.CSRF == "" {
			d.CSRF = sess.CSRF
		}
		d.IdleSeconds = max(1, int(sess.Ends().Sub(s.svc.Clock().Now())/time.Second))
	}
	var buf bytes.Buffer
	err := s.pages[page].ExecuteTemplate(&buf, "layout", d)
	if err == nil && inFormOrder(d.Errors, buf.Bytes()) {
		// The error summary lists the mistakes in the order of the form (GOV.UK's pattern),
		// whatever order the service found them in: the page itself says where each field is.
		buf.Reset()
		err = s.pages[page].ExecuteTemplate(&buf, "layout", d)
	}
	if err != nil {
		err = fmt.Errorf("render the %s page: %w", page, err)
		if page == "message" {
			// The error page itself: nothing is left to render with.
			s.log.ErrorContext(c.Request.Context(), "page failed", "error", err.Error())
			c.String(http.StatusInternalServerError, "Sorry, there is a problem with the service. Reference "+requestID(c)+".")
			c.Abort()
			return
		}
		s.failPage(c, err)
		return
	}
	c.Header("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// where describes a user's teams or agency, for the header.
func (s *Server) where(c *gin.Context, u checks.User) string {
	switch u.Role {
	case checks.RoleLiaison:
		return s.agencyName(u.Agency)
	case checks.RoleCOM, checks.RoleManager:
		return "team " + strings.Join(u.Teams, ", ")
	}
	return ""
}

func navFor(u checks.User, path string) []navItem {
	var items []navItem
	switch u.Role {
	case checks.RoleLiaison:
		items = []navItem{{Href: "/queue", Text: "Requests"}, {Href: "/answered", Text: "Answered"}}
	case checks.RoleCOM:
		items = []navItem{{Href: "/releases", Text: "Releases"}, {Href: "/releases/new", Text: "Record a release"}}
	case checks.RoleManager:
		items = []navItem{{Href: "/dashboard", Text: "What is late"}, {Href: "/releases", Text: "Releases"}, {Href: "/releases/new", Text: "Record a release"}}
	case checks.RoleAdmin:
		items = []navItem{{Href: "/admin", Text: "Admin"}, {Href: "/admin/users", Text: "Users"}, {Href: "/admin/agencies", Text: "Agencies"},
			{Href: "/admin/outbox", Text: "Emails not sent"}, {Href: "/admin/audit", Text: "Audit trail"},
			{Href: "/dashboard", Text: "What is late"}, {Href: "/releases", Text: "Releases"}}
	}
	if u.Role != checks.RoleLiaison {
		items = append(items, navItem{Href: "/imports/new", Text: "Import releases"})
	}
	for i := range items {
		items[i].Current = path == items[i].Href
	}
	return items
}

// message answers a page with a heading and a few lines: not found, not allowed, a fault.
func (s *Server) message(c *gin.Context, status int, title string, lines ...string) {
	s.write(c, status, "message", pageData{Title: title, Data: struct{ Lines []string }{lines}})
	c.Abort()
}

// failPage answers an error of the service as a page. Out of scope is "Page not found",
// like a page that does not exist.
func (s *Server) failPage(c *gin.Context, err error) {
	class := checks.Classify(err)
	if s.abandon(c, err, class) {
		return
	}
	switch class.Code {
	case checks.EUNAUTHORIZED:
		c.Redirect(http.StatusSeeOther, "/sign-in")
		c.Abort()
		return
	case checks.EMALFORMED:
		// A malformed id in a link is a page that does not exist.
		class = checks.ClassOf(checks.ENOTFOUND)
	case checks.ECONFLICT, checks.EPRECONDITION:
		// Someone else got there first, or the page was out of date: say what, plainly.
		var e *checks.Error
		errors.As(err, &e)
		s.message(c, class.HTTPStatus, class.Heading, "It could not be done: "+plainMessage(e.Message)+".", class.Advice)
		return
	}
	if class.Temporary {
		c.Header("Retry-After", "5")
	}
	if class.Fault && !class.Temporary {
		s.log.ErrorContext(c.Request.Context(), "page failed", "error", err.Error())
		s.message(c, class.HTTPStatus, class.Heading, "It has been logged with reference "+requestID(c)+".", class.Advice)
		return
	}
	s.message(c, class.HTTPStatus, class.Heading, class.Advice)
}

// signedIn requires a session for a page: without one, a GET goes to the sign-in page, which
// comes back here once signed in. A request without a session cookie counts against its
// address's rate of requests made without signing in; a cookie refused, against its
// address's failed sign-ins.
func (s *Server) signedIn(c *gin.Context) {
	secret, _ := c.Cookie(s.cookieName(sessionCookie, "/"))
	switch {
	case secret == "":
		if s.overAnonymousRate(c) {
			return
		}
	case s.tooManyFailures(c):
		return
	default:
		u, sess, err := s.svc.SessionUser(c.Request.Context(), secret)
		if err == nil {
			c.Set(keyUser, u)
			c.Set(keySession, sess)
			c.Next()
			return
		}
		s.countFailure(c, err)
		if checks.ErrorCode(err) != checks.EUNAUTHORIZED {
			s.failPage(c, err)
			return
		}
	}
	if c.Request.Method != http.MethodGet {
		s.message(c, http.StatusForbidden, "You are not signed in", "Your session may have ended. Sign in and try again.")
		return
	}
	c.Redirect(http.StatusSeeOther, "/sign-in?next="+url.QueryEscape(c.Request.URL.RequestURI()))
	c.Abort()
}

// checkCSRF refuses a form without the session's CSRF token.
func (s *Server) checkCSRF(c *gin.Context) {
	sess := c.MustGet(keySession).(checks.Session)
	if !checks.ValidCSRF(sess.CSRF, c.PostForm("csrf_token")) {
		s.message(c, http.StatusForbidden, "The form could not be sent",
			"It did not carry this session's security token. Go back, reload the page and try again.")
		return
	}
	c.Next()
}

// safeNext keeps a redirect on this site: only a path, never "//" (another host), a
// backslash (which browsers read as a slash), a scheme, or a tab, CR or LF anywhere (which
// browsers drop, so that "/\t/evil.example" is "//evil.example"). Anything else is "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\t\r\n") || len(next) > 2000 {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	return next
}

// cookieName is a cookie's name as the browser holds it: on https, with the __Host- prefix
// for a cookie of the whole site (the browser then refuses it from anything but this host,
// over https, for path /) and __Secure- for one of a path.
func (s *Server) cookieName(name, path string) string {
	switch {
	case !s.opts.SecureCookies:
		return name
	case path == "/":
		return "__Host-" + name
	}
	return "__Secure-" + name
}

func (s *Server) cookie(c *gin.Context, name, value string, maxAge int, path string) {
	s.cookieSameSite(c, name, value, maxAge, path, http.SameSiteStrictMode)
}

func (s *Server) cookieSameSite(c *gin.Context, name, value string, maxAge int, path string, same http.SameSite) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: s.cookieName(name, path), Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: s.opts.SecureCookies, SameSite: same,
	})
}

// signInPage shows the sign-in form, or goes on to next for a browser already signed in.
//
// A browser following a link from a webmail page does not send the SameSite=Strict session
// cookie on that navigation, so a signed-in user would be asked to sign in again. The form
// therefore reloads itself once (hop=1): a navigation started by this site's own page, which
// does send the cookie.
func (s *Server) signInPage(c *gin.Context) {
	next := c.Query("next")
	if secret, _ := c.Cookie(s.cookieName(sessionCookie, "/")); secret != "" {
		_, _, err := s.svc.SessionUser(c.Request.Context(), secret)
		switch checks.ErrorCode(err) {
		case "":
			c.Redirect(http.StatusSeeOther, safeNext(next))
			return
		case checks.EUNAUTHORIZED:
		default:
			// The session could not be looked up: signing in again would fail the same way.
			s.failPage(c, err)
			return
		}
	}
	refresh := ""
	if c.Query("hop") == "" {
		refresh = "/sign-in?hop=1&next=" + url.QueryEscape(next)
	}
	s.showSignIn(c, http.StatusOK, next, refresh, nil)
}

// signInForm is what the sign-in page shows: each way of signing in that is configured, and
// whom to ask for access.
type signInForm struct {
	Next         string
	Email        string // as typed, when the page comes back with an error
	Issuers      []signInIssuer
	EmailLinks   bool
	TokenSignIn  bool
	SupportEmail string
}

type signInIssuer struct{ Href, Name string }

// showSignIn renders the sign-in form with a fresh CSRF token, kept in a cookie until the
// form comes back (there is no session yet to keep it in).
func (s *Server) showSignIn(c *gin.Context, status int, next, refresh string, errs []formError) {
	csrf := checks.NewCSRF()
	s.cookie(c, signInCookie, csrf, 3600, "/sign-in")
	form := signInForm{Next: next, Email: c.PostForm("email"), EmailLinks: s.opts.SignInLinks != nil,
		TokenSignIn: s.opts.TokenSignIn, SupportEmail: s.opts.SupportEmail}
	for _, is := range s.oidc.list {
		href := "/sign-in/oidc/" + is.cfg.ID
		if next != "" {
			href += "?next=" + url.QueryEscape(next)
		}
		form.Issuers = append(form.Issuers, signInIssuer{Href: href, Name: is.cfg.Name})
	}
	s.render(c, status, "sign-in", pageData{Title: "Sign in", CSRF: csrf, Errors: errs, Refresh: refresh, Data: form})
}

// signInCSRF refuses a sign-in form without the token its page put in the sign-in cookie.
func (s *Server) signInCSRF(c *gin.Context) bool {
	want, _ := c.Cookie(s.cookieName(signInCookie, "/sign-in"))
	if !checks.ValidCSRF(want, c.PostForm("csrf_token")) {
		s.message(c, http.StatusForbidden, "The form could not be sent",
			"It did not carry its security token. Go back, reload the page and try again.")
		return false
	}
	return true
}

// signIn signs in with a pasted token, when that is turned on (Options.TokenSignIn): a
// page that does not exist otherwise.
func (s *Server) signIn(c *gin.Context) {
	if !s.opts.TokenSignIn {
		s.failPage(c, checks.ErrNotFound)
		return
	}
	if !s.signInCSRF(c) || s.tooManyFailures(c) {
		return
	}
	next := c.PostForm("next")
	_, sess, secret, err := s.svc.SignIn(c.Request.Context(), strings.TrimSpace(c.PostForm("token")))
	s.countFailure(c, err)
	if checks.ErrorCode(err) == checks.EUNAUTHORIZED {
		s.showSignIn(c, http.StatusUnauthorized, next, "", []formError{{"token", "Enter a valid token: it may be mistyped, revoked, expired, or for a deactivated user"}})
		return
	}
	if err != nil {
		s.failPage(c, err)
		return
	}
	s.startSession(c, sess, secret, next)
}

// startSession gives the browser its session cookie and sends it on to next.
func (s *Server) startSession(c *gin.Context, sess checks.Session, secret, next string) {
	s.cookie(c, signInCookie, "", -1, "/sign-in")
	s.cookie(c, sessionCookie, secret, max(1, int(sess.ExpiresAt.Sub(s.svc.Clock().Now())/time.Second)), "/")
	c.Redirect(http.StatusSeeOther, safeNext(next))
}

func (s *Server) signOut(c *gin.Context) {
	if err := s.svc.SignOut(c.Request.Context(), actor(c), c.MustGet(keySession).(checks.Session)); err != nil {
		s.failPage(c, err)
		return
	}
	s.cookie(c, sessionCookie, "", -1, "/")
	c.Redirect(http.StatusSeeOther, "/sign-in")
}

// home sends each role to its own first page.
func (s *Server) home(c *gin.Context) {
	switch actor(c).Role {
	case checks.RoleLiaison:
		c.Redirect(http.StatusSeeOther, "/queue")
	case checks.RoleAdmin:
		c.Redirect(http.StatusSeeOther, "/admin")
	case checks.RoleManager:
		c.Redirect(http.StatusSeeOther, "/dashboard")
	default:
		c.Redirect(http.StatusSeeOther, "/releases")
	}
}

// notices are the success messages a redirect after a form asks for.
func notice(c *gin.Context) string {
	return map[string]string{
		"answered":     "Your answer was sent to probation",
		"requested":    "The check was requested: its agency is told by email",
		"completed":    "The check is completed",
		"not-required": "The check is marked as not required",
		// A request the directory gives no mailbox for is not said to be emailed.
		"requested-not-emailed": "The check was requested, but its agency could not be emailed: phone the agency, and ask an admin to add its contact mailbox",
		"stood-down":            "The request is stood down: its agency is told it is withdrawn",
		"time-agreed":           "More time is agreed: the answer is now due on the date the agency proposed",
		"time-refused":          "More time is refused: the answer is due on the same date",
		"time-asked":            "Your request for more time was sent to probation",
		"recorded":              "The release is recorded, with both of its checks",
		"address-changed":       "The address and the people are changed",
		"note-added":            "Your note was added: probation sees it on the release's page",

		// A release changed or cancelled through check your answers, and both checks requested.
		"release-changed":            "The release is changed",
		"release-cancelled":          "The release is cancelled: its open checks are withdrawn",
		"both-requested":             "Both checks were requested: each agency is told by email",
		"both-requested-not-emailed": "Both checks were requested, but an agency could not be emailed: the check says which. Phone the agency, and ask an admin to add its contact mailbox",
	}[c.Query("notice")]
}

// assets serves GOV.UK Frontend's files and ours, which change only with the binary.
func (s *Server) assets(c *gin.Context) {
	p := strings.TrimPrefix(c.Param("filepath"), "/")
	files := web.GOVUK()
	if rest, ok := strings.CutPrefix(p, "app/"); ok {
		files, p = web.App(), rest
	}
	if p == "" || strings.Contains(p, "..") {
		c.Status(http.StatusNotFound)
		return
	}
	if _, err := fs.Stat(files, p); errors.Is(err, fs.ErrNotExist) {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=3600")
	c.FileFromFS(p, http.FS(files))
}
