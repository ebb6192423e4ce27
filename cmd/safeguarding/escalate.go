package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/probation/safeguarding/notify"
)

// escalate runs the ladder once, prints the plan, and (unless it is a dry run) sends what it
// queued.
func escalate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommand("escalate", "escalate [--as-of TIME] [--dry-run]", stderr)
	asOf := c.fs.String("as-of", "", "run as of this RFC 3339 time instead of now (a time later than now only with --dry-run)")
	dryRun := c.fs.Bool("dry-run", false, "print the plan without queueing or recording anything")
	if err := c.parse(args); err != nil {
		return ignoreHelp(err)
	}
	var at time.Time
	if *asOf != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, *asOf); err != nil || at.Year() < 2000 || at.Year() > 2099 {
			return usageError("--as-of %q is not an RFC 3339 time in 2000 to 2099, such as 2027-01-04T07:00:00Z", *asOf)
		}
	}
	a, err := c.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer a.Close()
	plan, err := a.escalator.Run(ctx, notify.RunOptions{AsOf: at, DryRun: *dryRun})
	if errors.Is(err, notify.ErrFutureRun) {
		return usageError("--as-of %s is later than now (%s): a run dated in the future records nothing, so it must be a --dry-run",
			*asOf, a.clock.Now().UTC().Truncate(time.Second).Format(time.RFC3339))
	}
	if err != nil {
		return err
	}
	printPlan(stdout, plan)
	if *dryRun || len(plan.Emails) == 0 {
		return nil
	}
	res, err := a.sender.Drain(ctx)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	fmt.Fprintf(stderr, "Emails %s: %d sent, %d to retry, %d dead.\n", a.describeMail(), res.Sent, res.Retrying, res.Dead)
	return nil
}

func printPlan(w io.Writer, p notify.Plan) {
	mode := "run"
	if p.DryRun {
		mode = "dry run (nothing queued or recorded)"
	}
	items, emails, undeliverable := p.Counts()
	fmt.Fprintf(w, "Escalation %s as of %s: %d open checks, %d escalations, %d emails (%d undeliverable).\n\n",
		mode, p.AsOf.Format(time.RFC3339), p.Checked, items, emails, undeliverable)
	if items == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tCRN\tCHECK\tAGENCY\tTO")
	for _, it := range p.Items {
		to := strings.Join(it.To, ", ")
		for _, m := range it.Undeliverable {
			to += " [no address: " + m + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", it.Rule, it.CRN, it.Type, it.Agency, strings.TrimSpace(to))
	}
	_ = tw.Flush()
}
