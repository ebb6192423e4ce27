package main

import (
	"time"

	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/probation/safeguarding/checks"
)

// cliActor is the acting user of administration commands: whoever can run the binary on
// the data is an administrator of it.
func cliActor() checks.User { return checks.System("command line") }

func usersCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("users needs a subcommand: add, list or deactivate")
	}
	switch args[0] {
	case "add":
		return usersAdd(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		return usersList(ctx, args[1:], getenv, stdout, stderr)
	case "deactivate":
		return usersDeactivate(ctx, args[1:], getenv, stdout, stderr)
	}
	return usageError("unknown users subcommand %q: use add, list or deactivate", args[0])
}

func usersAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommand("users add", "users add --role admin|com|manager|liaison --name NAME --email EMAIL [--team T] [--teams T1,T2] [--agency CODE] [--phone NUMBER]", stderr)
	role := c.fs.String("role", "", "admin, com, manager or liaison")
	name := c.fs.String("name", "", "the person's name")
	email := c.fs.String("email", "", "the person's work email")
	team := c.fs.String("team", "", "a COM's team code")
	teams := c.fs.String("teams", "", "a manager's team codes, comma-separated")
	agency := c.fs.String("agency", "", "a liaison's agency code, e.g. E23000001")
	phone := c.fs.String("phone", "", "a work telephone number, e.g. \"0161 496 0000\" (optional; a liaison sees a COM's)")
	if err := c.parse(args); err != nil {
		return ignoreHelp(err)
	}
	a, err := c.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer a.Close()
	u, secret, err := a.svc.CreateUser(ctx, cliActor(), checks.UserInput{
		Name: *name, Email: *email, Role: *role, Team: *team, Teams: listFlag(*teams), Agency: *agency,
		Phone: *phone,
	})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stderr, "Added %s %s <%s> (id %s) to the %s.\nIts bearer token is printed on standard output; it is shown only this once.\n",
		u.Role, u.Name, u.Email, u.ID, a.where())
	fmt.Fprintln(stdout, secret)
	return nil
}

func usersList(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommand("users list", "users list [--role ROLE]", stderr)
	role := c.fs.String("role", "", "only users with this role")
	if err := c.parse(args); err != nil {
		return ignoreHelp(err)
	}
	a, err := c.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer a.Close()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tNAME\tEMAIL\tTEAMS/AGENCY\tACTIVE")
	q := checks.UserQuery{Role: checks.Role(*role), Limit: 200}
	for {
		page, err := a.svc.Users(ctx, cliActor(), q)
		if err != nil {
			return describe(err)
		}
		for _, u := range page.Items {
			where := u.Agency
			if where == "" {
				where = fmt.Sprint(u.Teams)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\n", u.ID, u.Role, u.Name, u.Email, where, u.Active)
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	return tw.Flush()
}

func usersDeactivate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c := newCommand("users deactivate", "users deactivate ID", stderr)
	if err := c.parse(args); err != nil {
		return ignoreHelp(err)
	}
	if c.fs.NArg() != 1 {
		return usageError("users deactivate takes one user id")
	}
	a, err := c.open(ctx, getenv)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.svc.SetUserActive(ctx, cliActor(), c.fs.Arg(0), false)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "deactivated %s <%s>\n", u.Name, u.Email)
	return nil
}

func tokensCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("tokens needs a subcommand: issue or revoke")
	}
	switch args[0] {
	case "issue":
		c := newCommand("tokens issue", "tokens issue --user ID [--label TEXT] [--expires-in-days N]", stderr)
		userID := c.fs.String("user", "", "the user's id")
		label := c.fs.String("label", "", "what the token is for")
		days := c.fs.Int("expires-in-days", 0, "days the token works (default: SAFEGUARDING_TOKEN_LIFETIME_DAYS)")
		if err := c.parse(args[1:]); err != nil {
			return ignoreHelp(err)
		}
		if *days < 0 || *days > int(checks.MaxTokenLifetime/(24*time.Hour)) {
			return usageError("--expires-in-days must be from 1 to %d", int(checks.MaxTokenLifetime/(24*time.Hour)))
		}
		a, err := c.open(ctx, getenv)
		if err != nil {
			return err
		}
		defer a.Close()
		t, secret, err := a.svc.IssueToken(ctx, cliActor(), *userID, *label, time.Duration(*days)*24*time.Hour)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stderr, "Issued token %s for user %s, expiring %s; the secret below is shown only this once.\n", t.ID, t.UserID, t.ExpiresAt.Format(time.RFC3339))
		fmt.Fprintln(stdout, secret)
		return nil
	case "revoke":
		c := newCommand("tokens revoke", "tokens revoke ID", stderr)
		if err := c.parse(args[1:]); err != nil {
			return ignoreHelp(err)
		}
		if c.fs.NArg() != 1 {
			return usageError("tokens revoke takes one token id")
		}
		a, err := c.open(ctx, getenv)
		if err != nil {
			return err
		}
		defer a.Close()
		t, err := a.svc.RevokeToken(ctx, cliActor(), c.fs.Arg(0))
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(stdout, "revoked token %s at %s\n", t.ID, t.RevokedAt.Format("2006-01-02T15:04:05Z07:00"))
		return nil
	}
	return usageError("unknown tokens subcommand %q: use issue or revoke", args[0])
}

// describe turns a domain error into a message for the command line, listing every field.
func describe(err error) error {
	e, ok := err.(*checks.Error)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	msg := e.Message
	for _, f := range e.Fields {
		msg += fmt.Sprintf("\n  --%s: %s", f.Field, f.Reason)
	}
	return fmt.Errorf("%s", msg)
}
