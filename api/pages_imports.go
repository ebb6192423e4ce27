package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/imports"
)

// The pages importing a release schedule: upload a file (/imports/new), check what it would
// do (/imports/{id}: the file is kept server-side, for the one user, for an hour), confirm.
// The confirmation plans the file again against the releases as they are then, and applies
// that: what was checked an hour ago may have changed since.

// importShown bounds the rows each table of an import's pages lists: a file of 50,000 rows
// is counted whole, and its first rows shown.
const importShown = 500

// importView is what the pages of an import show.
type importView struct {
	ID     string
	Report imports.Report
	// The rows of each outcome, at most importShown of each, and how many more there are.
	Add, Change, Unchanged, Rejected  []imports.Row
	MoreAdd, MoreChange, MoreRejected int
	Missing                           []imports.Missing
	MoreMissing                       int
	ToApply                           int
	Short                             string // the file's hash, shortened for people
}

func newImportView(id string, rep imports.Report) importView {
	v := importView{ID: id, Report: rep, ToApply: rep.Count(imports.OutcomeAdd) + rep.Count(imports.OutcomeChange), Short: rep.SHA256[:12]}
	clip := func(rows []imports.Row) ([]imports.Row, int) {
		if len(rows) > importShown {
			return rows[:importShown], len(rows) - importShown
		}
		return rows, 0
	}
	v.Add, v.MoreAdd = clip(rep.Of(imports.OutcomeAdd))
	v.Change, v.MoreChange = clip(rep.Of(imports.OutcomeChange))
	v.Rejected, v.MoreRejected = clip(rep.Of(imports.OutcomeRejected))
	v.Missing = rep.Missing
	if len(v.Missing) > importShown {
		v.Missing, v.MoreMissing = v.Missing[:importShown], len(v.Missing)-importShown
	}
	return v
}

// probationOnly answers "Page not found" to a liaison: the import pages are probation's.
func (s *Server) probationOnly(c *gin.Context) bool {
	if actor(c).Role == checks.RoleLiaison {
		s.failPage(c, checks.ErrNotFound)
		return false
	}
	return true
}

func (s *Server) importPage(c *gin.Context) {
	if s.probationOnly(c) {
		s.render(c, http.StatusOK, "import-new", pageData{Title: "Import a release schedule"})
	}
}

func (s *Server) importUploadError(c *gin.Context, status int, text string) {
	s.render(c, status, "import-new", pageData{Title: "Import a release schedule", Errors: []formError{{Field: "file", Text: text}}})
}

// uploadLimit answers an upload larger than a file may be with the upload page, before the
// form is read (a body cut short would lose its CSRF token too).
func (s *Server) uploadLimit(c *gin.Context) {
	if c.Request.ContentLength > imports.MaxBytes+uploadOverhead {
		s.importUploadError(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("The selected file must be smaller than 10 MiB and have at most %d rows", imports.MaxRows))
		c.Abort()
		return
	}
	c.Next()
}

// importUpload reads the uploaded file, checks it (a dry run), keeps it, and shows what it
// would do.
func (s *Server) importUpload(c *gin.Context) {
	if !s.probationOnly(c) {
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		s.importUploadError(c, http.StatusUnprocessableEntity, "Select a CSV file")
		return
	}
	f, err := fh.Open()
	if err != nil {
		s.failPage(c, err)
		return
	}
	defer f.Close()
	content, err := io.ReadAll(io.LimitReader(f, imports.MaxBytes+1))
	if err != nil {
		s.failPage(c, err)
		return
	}
	ctx, u := c.Request.Context(), actor(c)
	if _, err := s.imports.Import(ctx, u, content, imports.Options{DryRun: true}); err != nil {
		s.importRefused(c, err)
		return
	}
	p, err := s.svc.KeepPendingImport(ctx, u, content)
	if err != nil {
		s.failPage(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/imports/"+p.ID)
}

// importRefused answers a file refused whole with the upload page and the reason.
func (s *Server) importRefused(c *gin.Context, err error) {
	var e *checks.Error
	if errors.As(err, &e) && len(e.Fields) == 1 && e.Fields[0].Field == "file" {
		status := http.StatusUnprocessableEntity
		if errors.Is(err, imports.ErrTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		s.importUploadError(c, status, "The selected file cannot be imported: "+e.Fields[0].Reason)
		return
	}
	s.failPage(c, err)
}

// importCheckPage shows what a kept file would do now: "check your answers".
func (s *Server) importCheckPage(c *gin.Context) {
	if !s.probationOnly(c) {
		return
	}
	ctx, u := c.Request.Context(), actor(c)
	p, err := s.svc.PendingImport(ctx, u, c.Param("id"))
	if err != nil {
		s.failPage(c, err)
		return
	}
	rep, err := s.imports.Import(ctx, u, p.Content, imports.Options{DryRun: true})
	if err != nil {
		s.importRefused(c, err)
		return
	}
	s.render(c, http.StatusOK, "import-check", pageData{Title: "Check the import before you confirm it", Data: newImportView(p.ID, rep)})
}

// importConfirm applies a kept file, once, and shows what it did.
func (s *Server) importConfirm(c *gin.Context) {
	if !s.probationOnly(c) {
		return
	}
	ctx, u := c.Request.Context(), actor(c)
	p, err := s.svc.TakePendingImport(ctx, u, c.Param("id"))
	if err != nil {
		s.failPage(c, err)
		return
	}
	rep, err := s.imports.Import(ctx, u, p.Content, imports.Options{AllOrNothing: c.PostForm("all_or_nothing") == "true"})
	if err != nil {
		s.importRefused(c, err)
		return
	}
	title := "Import complete"
	if rep.Refused() {
		title = "Nothing was imported"
	}
	s.render(c, http.StatusOK, "import-done", pageData{Title: title, Data: newImportView(p.ID, rep)})
}
