package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

type patchAgencyBody struct {
	ContactEmail    *string `json:"contact_email"`
	EscalationEmail *string `json:"escalation_email"`
	Active          *bool   `json:"active"`
}

type createUserBody struct {
	Name   string   `json:"name"`
	Email  string   `json:"email"`
	Phone  string   `json:"phone"`
	Role   string   `json:"role"`
	Team   string   `json:"team"`
	Teams  []string `json:"teams"`
	Agency string   `json:"agency"`
}

type issueTokenBody struct {
	Label string `json:"label"`
	// ExpiresInDays is the token's lifetime; absent, the service's default.
	ExpiresInDays *int `json:"expires_in_days"`
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz answers 200 only while the database answers, within two seconds.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if s.opts.Ready != nil {
		if err := s.opts.Ready(ctx); err != nil {
			s.log.Warn("not ready", "error", err.Error())
			s.fail(c, &checks.Error{Code: checks.EUNAVAILABLE, Message: "the database does not answer", Err: err})
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// metrics serves the Prometheus metrics, to admins (a scraper uses an admin's token).
func (s *Server) metrics(c *gin.Context) {
	if s.opts.Metrics == nil {
		s.fail(c, &checks.Error{Code: checks.ENOTFOUND, Message: "metrics are not enabled"})
		return
	}
	s.opts.Metrics.ServeHTTP(c.Writer, c.Request)
}

func (s *Server) me(c *gin.Context) {
	c.JSON(http.StatusOK, user(actor(c)))
}

func (s *Server) listAgencies(c *gin.Context) {
	n, err := queryInt(c, "limit")
	if err != nil {
		s.fail(c, err)
		return
	}
	if c.Query("limit") == "" {
		n = 200 // the whole directory (218 agencies) in two pages
	}
	page, err := s.svc.Agencies(c.Request.Context(), checks.AgencyFilter{
		Kind: c.Query("kind"), Active: c.Query("active"), Limit: n, Cursor: c.Query("cursor"),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pageJSON(page, agency))
}

func (s *Server) getAgency(c *gin.Context) {
	a, err := s.svc.Agency(c.Request.Context(), c.Param("code"))
	if err != nil {
		s.fail(c, err)
		return
	}
	etag(c, a.Version)
	c.JSON(http.StatusOK, agency(a))
}

func (s *Server) patchAgency(c *gin.Context) {
	version, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var b patchAgencyBody
	if err := decode(c, &b, bodyRequired); err != nil {
		s.fail(c, err)
		return
	}
	a, err := s.svc.UpdateAgency(c.Request.Context(), actor(c), c.Param("code"), version, checks.AgencyPatch(b))
	if err != nil {
		s.fail(c, err)
		return
	}
	etag(c, a.Version)
	c.JSON(http.StatusOK, agency(a))
}

func (s *Server) createUser(c *gin.Context) {
	var b createUserBody
	if err := decode(c, &b, bodyRequired); err != nil {
		s.fail(c, err)
		return
	}
	u, secret, err := s.svc.CreateUser(c.Request.Context(), actor(c), checks.UserInput(b))
	if err != nil {
		s.fail(c, err)
		return
	}
	out := user(u)
	out.Token = secret
	c.Header("Location", "/api/v1/users/"+u.ID)
	c.JSON(http.StatusCreated, out)
}

func (s *Server) listUsers(c *gin.Context) {
	n, err := queryInt(c, "limit")
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.svc.Users(c.Request.Context(), actor(c), checks.UserQuery{
		Role: checks.Role(c.Query("role")), Team: c.Query("team"), Agency: c.Query("agency"),
		Limit: n, Cursor: c.Query("cursor"),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pageJSON(page, user))
}

func (s *Server) getUser(c *gin.Context) {
	u, err := s.svc.User(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, user(u))
}

func (s *Server) deactivateUser(c *gin.Context) { s.setActive(c, false) }
func (s *Server) activateUser(c *gin.Context)   { s.setActive(c, true) }

func (s *Server) setActive(c *gin.Context, active bool) {
	u, err := s.svc.SetUserActive(c.Request.Context(), actor(c), c.Param("id"), active)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, user(u))
}

func (s *Server) issueToken(c *gin.Context) {
	var b issueTokenBody
	if err := decode(c, &b, bodyOptional); err != nil {
		s.fail(c, err)
		return
	}
	var lifetime time.Duration
	if b.ExpiresInDays != nil {
		if *b.ExpiresInDays < 1 || *b.ExpiresInDays > int(checks.MaxTokenLifetime/(24*time.Hour)) {
			s.fail(c, bad("expires_in_days", "must be a whole number of days from 1 to 730"))
			return
		}
		lifetime = time.Duration(*b.ExpiresInDays) * 24 * time.Hour
	}
	t, secret, err := s.svc.IssueToken(c.Request.Context(), actor(c), c.Param("id"), b.Label, lifetime)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := token(t)
	out.Token = secret
	c.JSON(http.StatusCreated, out)
}

func (s *Server) listTokens(c *gin.Context) {
	tokens, err := s.svc.Tokens(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pageJSON(checks.Page[checks.Token]{Items: tokens}, token))
}

func (s *Server) revokeToken(c *gin.Context) {
	t, err := s.svc.RevokeToken(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, token(t))
}
