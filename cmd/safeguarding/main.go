// Command safeguarding runs the safeguarding checks service and its administration commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/probation/safeguarding/checks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "safeguarding:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(checks.Classify(err).Exit)
	}
}
