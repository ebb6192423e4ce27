// Command loadgen drives a running safeguarding service on this machine with concurrent
// clients over a realistic mix of requests, does the same store operations directly through
// the MongoDB driver against the same database, and reports throughput, latency percentiles
// per operation, the ratio service/direct of each, and the service's peak memory.
//
// A run is bounded in requests (--requests) and in time (--duration), and is split into
// rounds: in each, a service phase and then a direct phase with the same concurrency and as
// many operations, so that both sides see the same machine.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
