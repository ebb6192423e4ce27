package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/probation/safeguarding/checks"
	"github.com/probation/safeguarding/imports"
)

// importCommand loads a release schedule from a CSV file, as the user named by --as: the
// audit names that person, and the scope of that person applies (a COM's or a manager's
// teams; an admin's, any).
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommand("import", "import --as EMAIL [--dry-run] [--all-or-nothing] FILE", stderr)
	as := c.fs.String("as", "", "the email of the COM, manager or admin the import acts as (required)")
	dryRun := c.fs.Bool("dry-run", false, "print what the import would do, and change nothing")
	allOrNothing := c.fs.Bool("all-or-nothing", false, "import nothing when any row is rejected")
	// The file may come before the flags, as in "import FILE --dry-run": flag stops at the
	// first argument that is not a flag, so the rest is parsed again.
	var files []string
	for {
		if err := c.parse(args); err != nil {
			return ignoreHelp(err)
		}
		if c.fs.NArg() == 0 {
			break
		}
		files = append(files, c.fs.Arg(0))
		args = c.fs.Args()[1:]
	}
	if len(files) != 1 {
		return usageError("import takes one file")
	}
	if *as == "" {
		return usageError("import needs --as EMAIL: the user the import acts as, named in the audit")
	}
	content, err := readLimited(files[0])
	if err != nil {
		return err
	}
	a, err := c.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer a.Close()
	actor, err := a.svc.ImporterByEmail(ctx, *as)
	if err != nil {
		return err
	}
	rep, err := imports.New(a.svc).Import(ctx, actor, content, imports.Options{DryRun: *dryRun, AllOrNothing: *allOrNothing})
	if err != nil {
		return describeFile(err)
	}
	printReport(stdout, rep)
	rejected := rep.Count(imports.OutcomeRejected)
	switch {
	case rep.Refused():
		return checks.Errorf(checks.EINVALID, "nothing imported: %d of %d rows rejected, and --all-or-nothing", rejected, len(rep.Rows))
	case rejected > 0 && !rep.DryRun:
		return checks.Errorf(checks.EINVALID, "%d of %d rows rejected; the others were imported", rejected, len(rep.Rows))
	}
	return nil
}

// readLimited reads a file of at most imports.MaxBytes (one byte more, so that the engine
// refuses it with its message).
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, imports.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the file: %w", err)
	}
	return b, nil
}

// describeFile turns the refusal of a file into one line, and any other error as describe
// does.
func describeFile(err error) error {
	var e *checks.Error
	if errors.As(err, &e) && len(e.Fields) == 1 && e.Fields[0].Field == "file" {
		return &checks.Error{Code: e.Code, Message: e.Message}
	}
	return describe(err)
}

func printReport(w io.Writer, rep imports.Report) {
	mode := "imported"
	switch {
	case rep.DryRun:
		mode = "dry run: nothing changed"
	case rep.Refused():
		mode = "refused whole (--all-or-nothing): nothing changed"
	}
	fmt.Fprintf(w, "%d rows (%s): %d to add, %d to change, %d unchanged, %d rejected; %d releases to come not in the file\n",
		len(rep.Rows), mode, rep.Count(imports.OutcomeAdd), rep.Count(imports.OutcomeChange),
		rep.Count(imports.OutcomeUnchanged), rep.Count(imports.OutcomeRejected), len(rep.Missing))
	if len(rep.UnknownColumns) > 0 {
		fmt.Fprintf(w, "Columns ignored: %s\n", strings.Join(rep.UnknownColumns, ", "))
	}
	if rep.ImportID != "" {
		fmt.Fprintf(w, "Audited as import %s (sha256 %s)\n", rep.ImportID, rep.SHA256)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LINE\tOUTCOME\tCRN\tRELEASE DATE\tTEAM\tRELEASE\tDETAIL")
	for _, r := range rep.Rows {
		detail := strings.Join(r.Fields, ", ")
		if r.Outcome == imports.OutcomeRejected {
			var reasons []string
			for _, e := range r.Errors {
				reasons = append(reasons, e.Field+": "+e.Reason)
			}
			detail = strings.Join(reasons, "; ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Row, r.Outcome, r.CRN, r.ReleaseDate, r.Team, r.ReleaseID, detail)
	}
	for _, m := range rep.Missing {
		fmt.Fprintf(tw, "-\tnot in file\t%s\t%s\t%s\t%s\tlisted only: not cancelled\n", m.CRN, m.ReleaseDate, m.Team, m.ReleaseID)
	}
	tw.Flush()
}
