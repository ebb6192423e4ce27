package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/imports"
)

// The import of a release schedule through the API: POST /api/v1/imports with the CSV file
// as a text/csv body. The pages' upload is in pages_imports.go; both call package imports.

// uploadOverhead is what a multipart upload adds to the file: the boundaries, the headers
// and the CSRF token.
const uploadOverhead = 64 << 10

// isImport reports whether the request sends a release schedule: its body may be a file of
// imports.MaxBytes.
func isImport(c *gin.Context) bool {
	p := c.Request.URL.Path
	return c.Request.Method == http.MethodPost && (p == "/api/v1/imports" || p == "/imports/new")
}

// importing reports whether the request checks or applies a release schedule (the upload,
// the page that checks the kept file, its confirmation, the API's import): it may take
// minutes, and SAFEGUARDING_IMPORT_TIMEOUT bounds it instead of the request timeout.
func importing(c *gin.Context) bool {
	return isImport(c) || strings.HasPrefix(c.Request.URL.Path, "/imports/")
}

// bodyLimit is the largest body a request may send: a release schedule for an import, a
// form or a JSON object otherwise. One byte more than the file's limit reaches the engine,
// so that it refuses the file with its own message.
func bodyLimit(c *gin.Context) int64 {
	if isImport(c) {
		return imports.MaxBytes + uploadOverhead
	}
	return maxBody
}

// importJSON is the report of an import.
type importJSON struct {
	DryRun         bool              `json:"dry_run"`
	AllOrNothing   bool              `json:"all_or_nothing"`
	Applied        bool              `json:"applied"`
	ImportID       string            `json:"import_id,omitempty"`
	SHA256         string            `json:"sha256"`
	Bytes          int               `json:"bytes"`
	UnknownColumns []string          `json:"unknown_columns"`
	Counts         importCountsJSON  `json:"counts"`
	Rows           []importRowJSON   `json:"rows"`
	Missing        []importMissingJS `json:"missing"`
}

type importCountsJSON struct {
	Rows      int `json:"rows"`
	Add       int `json:"add"`
	Change    int `json:"change"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
	Missing   int `json:"missing"`
}

type importRowJSON struct {
	Row         int            `json:"row"`
	Outcome     string         `json:"outcome"`
	CRN         string         `json:"crn"`
	NOMSNumber  string         `json:"noms_number"`
	ReleaseDate checks.Date    `json:"release_date"`
	Team        string         `json:"team,omitempty"`
	ReleaseID   string         `json:"release_id,omitempty"`
	Fields      []string       `json:"fields,omitempty"`
	Errors      []fieldProblem `json:"errors,omitempty"`
}

type importMissingJS struct {
	ReleaseID   string      `json:"release_id"`
	CRN         string      `json:"crn"`
	ReleaseDate checks.Date `json:"release_date"`
	Team        string      `json:"team"`
}

func importReport(r imports.Report) importJSON {
	out := importJSON{
		DryRun: r.DryRun, AllOrNothing: r.AllOrNothing, Applied: r.Applied, ImportID: r.ImportID,
		SHA256: r.SHA256, Bytes: r.Bytes, UnknownColumns: append([]string{}, r.UnknownColumns...),
		Counts: importCountsJSON{Rows: len(r.Rows), Add: r.Count(imports.OutcomeAdd), Change: r.Count(imports.OutcomeChange),
			Unchanged: r.Count(imports.OutcomeUnchanged), Rejected: r.Count(imports.OutcomeRejected), Missing: len(r.Missing)},
		Rows: make([]importRowJSON, 0, len(r.Rows)), Missing: make([]importMissingJS, 0, len(r.Missing)),
	}
	for _, row := range r.Rows {
		j := importRowJSON{Row: row.Row, Outcome: string(row.Outcome), CRN: row.CRN, NOMSNumber: row.NOMSNumber,
			ReleaseDate: row.ReleaseDate, Team: row.Team, ReleaseID: row.ReleaseID, Fields: row.Fields}
		for _, e := range row.Errors {
			j.Errors = append(j.Errors, fieldProblem{e.Field, e.Reason})
		}
		out.Rows = append(out.Rows, j)
	}
	for _, m := range r.Missing {
		out.Missing = append(out.Missing, importMissingJS{m.ReleaseID, m.CRN, m.ReleaseDate, m.Team})
	}
	return out
}

// importBool reads a true/false query parameter; absent is false.
func importBool(c *gin.Context, name string) (bool, error) {
	v, ok := c.GetQuery(name)
	if !ok || v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil || (v != "true" && v != "false") {
		return false, bad(name, "must be true or false")
	}
	return b, nil
}

// importSchedule imports a release schedule sent as text/csv.
func (s *Server) importSchedule(c *gin.Context) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "text/csv" {
		s.answer(c, codeUnsupportedMedia, "send the release schedule as the body, with Content-Type: text/csv", nil, "")
		return
	}
	var opts imports.Options
	if opts.DryRun, err = importBool(c, "dry_run"); err == nil {
		opts.AllOrNothing, err = importBool(c, "all_or_nothing")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	// One byte over the limit is enough for the engine to refuse the file with its message.
	content, err := io.ReadAll(io.LimitReader(c.Request.Body, imports.MaxBytes+1))
	if err != nil {
		s.fail(c, err)
		return
	}
	rep, err := s.imports.Import(c.Request.Context(), actor(c), content, opts)
	if errors.Is(err, imports.ErrTooLarge) {
		var e *checks.Error
		errors.As(err, &e)
		s.answer(c, codeTooLarge, e.Message, []fieldProblem{{e.Fields[0].Field, e.Fields[0].Reason}}, "")
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if rep.Refused() {
		// Nothing was imported: a problem, with every rejected row's reasons as its fields.
		var fields []fieldProblem
		for _, row := range rep.Of(imports.OutcomeRejected) {
			for _, e := range row.Errors {
				fields = append(fields, fieldProblem{fmt.Sprintf("rows[%d].%s", row.Row, e.Field), e.Reason})
			}
		}
		s.answer(c, checks.EINVALID, fmt.Sprintf("nothing was imported: %d of %d rows are rejected, and all_or_nothing is true (import %s)",
			rep.Count(imports.OutcomeRejected), len(rep.Rows), rep.ImportID), fields, "")
		return
	}
	c.JSON(http.StatusOK, importReport(rep))
}
