package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
)

// Request bodies. Dates are strings here so that a bad one is reported by the domain with
// its field name, like every other rule.

type createReleaseBody struct {
	CRN            string `json:"crn"`
	NOMSNumber     string `json:"noms_number"`
	FullName       string `json:"full_name"`
	DateOfBirth    string `json:"date_of_birth"`
	ReleaseDate    string `json:"release_date"`
	PrisonCode     string `json:"prison_code"`
	Team           string `json:"team"`
	COMID          string `json:"com_id"`
	PoliceForce    string `json:"police_force"`
	LocalAuthority string `json:"local_authority"`

	Address *addressBody `json:"address"`
	People  []personBody `json:"people"`
}

type patchReleaseBody struct {
	ReleaseDate    *string `json:"release_date"`
	PrisonCode     *string `json:"prison_code"`
	Team           *string `json:"team"`
	COMID          *string `json:"com_id"`
	PoliceForce    *string `json:"police_force"`
	LocalAuthority *string `json:"local_authority"`

	Address *addressBody  `json:"address"`
	People  *[]personBody `json:"people"`
}

type reasonBody struct {
	Reason string `json:"reason"`
}

type noteBody struct {
	Note string `json:"note"`
}

type responseBody struct {
	Outcome string `json:"outcome"`
	Summary string `json:"summary"`
}

func (s *Server) createRelease(c *gin.Context) {
	var b createReleaseBody
	if err := decode(c, &b, false); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.svc.CreateRelease(c.Request.Context(), actor(c), b.input())
	if err != nil {
		s.fail(c, err)
		return
	}
	etag(c, r.Version)
	c.Header("Location", "/api/v1/releases/"+r.ID)
	c.JSON(http.StatusCreated, s.view().release(r))
}

func (s *Server) getRelease(c *gin.Context) {
	r, err := s.svc.Release(c.Request.Context(), actor(c), c.Param("id"))
	if err != nil {
		s.fail(c, err)
		return
	}
	etag(c, r.Version)
	c.JSON(http.StatusOK, s.view().release(r))
}

func (s *Server) listReleases(c *gin.Context) {
	n, err := queryInt(c, "limit")
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.svc.Releases(c.Request.Context(), actor(c), checks.ReleaseFilter{
		Team: c.Query("team"), COMID: c.Query("com"), ReleaseFrom: c.Query("release_from"),
		ReleaseTo: c.Query("release_to"), Status: c.Query("status"), Limit: n, Cursor: c.Query("cursor"),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, pageJSON(page, s.view().listedRelease))
}

func (s *Server) patchRelease(c *gin.Context) {
	version, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var b patchReleaseBody
	if err := decode(c, &b, false); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.svc.UpdateRelease(c.Request.Context(), actor(c), c.Param("id"), version, b.patch())
	if err != nil {
		s.fail(c, err)
		return
	}
	etag(c, r.Version)
	c.JSON(http.StatusOK, s.view().release(r))
}

func (s *Server) cancelRelease(c *gin.Context) {
	version, err := ifMatch(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var b reasonBody
	if err := decode(c, &b, true); err != nil {
		s.fail(c, err)
		return
	}
	r, err := s.svc.CancelRelease(c.Request.Context(), actor(c), c.Param("id"), version, b.Reason)
	if err != nil {
		s.fail(c, err)
		return
	}
	etag(c, r.Version)
	c.JSON(http.StatusOK, s.view().release(r))
}

func (s *Server) listChecks(c *gin.Context) {
	n, err := queryInt(c, "limit")
	if err != nil {
		s.fail(c, err)
		return
	}
	page, err := s.svc.Checks(c.Request.Context(), actor(c), checks.CheckFilter{
		Status: c.Query("status"), Type: c.Query("type"), Agency: c.Query("agency"),
		Overdue: c.Query("overdue"), Undeliverable: c.Query("undeliverable"), ReleaseFrom: c.Query("release_from"), ReleaseBefore: c.Query("release_before"), Limit: n, Cursor: c.Query("cursor"),
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	if actor(c).Role == checks.RoleLiaison {
		c.JSON(http.StatusOK, pageJSON(page, s.view().listedForAgency))
		return
	}
	c.JSON(http.StatusOK, pageJSON(page, s.view().check))
}

func (s *Server) getCheck(c *gin.Context) {
	ch, err := s.svc.Check(c.Request.Context(), actor(c), c.Param("id"))
	s.answerCheck(c, ch, err)
}

func (s *Server) answerCheck(c *gin.Context, ch checks.Check, err error) {
	if err != nil {
		s.fail(c, err)
		return
	}
	etag(c, ch.Version)
	if actor(c).Role == checks.RoleLiaison {
		// A liaison sees only what the agency needs (checks.AgencyView), never a Check.
		v, err := s.svc.ForAgency(c.Request.Context(), actor(c), ch)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, s.view().agencyCheck(v))
		return
	}
	c.JSON(http.StatusOK, s.view().check(ch))
}

// checkAction runs a transition that takes a body of type B.
func checkAction[B any](s *Server, optional bool, do func(c *gin.Context, id string, version *int64, b B) (checks.Check, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		version, err := ifMatch(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		var b B
		if err := decode(c, &b, optional); err != nil {
			s.fail(c, err)
			return
		}
		ch, err := do(c, c.Param("id"), version, b)
		s.answerCheck(c, ch, err)
	}
}

// The transitions, each registered through checkAction.

func (s *Server) requestCheck(c *gin.Context, id string, v *int64, b noteBody) (checks.Check, error) {
	return s.svc.RequestCheck(c.Request.Context(), actor(c), id, v, b.Note)
}

func (s *Server) respondToCheck(c *gin.Context, id string, v *int64, b responseBody) (checks.Check, error) {
	return s.svc.RespondToCheck(c.Request.Context(), actor(c), id, v, checks.ResponseInput(b))
}

func (s *Server) completeCheck(c *gin.Context, id string, v *int64, b noteBody) (checks.Check, error) {
	return s.svc.CompleteCheck(c.Request.Context(), actor(c), id, v, b.Note)
}

func (s *Server) markNotRequired(c *gin.Context, id string, v *int64, b reasonBody) (checks.Check, error) {
	return s.svc.MarkNotRequired(c.Request.Context(), actor(c), id, v, b.Reason)
}

func (s *Server) addNote(c *gin.Context, id string, v *int64, b noteBody) (checks.Check, error) {
	return s.svc.AddNote(c.Request.Context(), actor(c), id, v, b.Note)
}
