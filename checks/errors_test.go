package checks_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/probation/safeguarding/checks"
)

// Classify is the one table from errors to answers; a context that ran out or was cancelled
// is classed by why, wherever it comes from (the database driver passes them through).
func TestClassifyTellsACancelledCallerFromATimeoutAndAFault(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		code       string
		fault      bool
		exitStatus int
	}{
		{"a cancelled context is the caller giving up, not a fault", context.Canceled, checks.ECANCELLED, false, 130},
		{"a cancelled context wrapped on its way up is still one", fmt.Errorf("list the outbox: %w", context.Canceled), checks.ECANCELLED, false, 130},
		{"a deadline that ran out is the service unavailable", fmt.Errorf("find: %w", context.DeadlineExceeded), checks.EUNAVAILABLE, true, 69},
		{"a domain error wrapping a cancellation keeps its own code", &checks.Error{Code: checks.EUNAVAILABLE, Err: context.Canceled}, checks.EUNAVAILABLE, true, 69},
		{"any other error is a fault of ours", fmt.Errorf("boom"), checks.EINTERNAL, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			class := checks.Classify(tc.err)
			if class.Code != tc.code || class.Fault != tc.fault || class.Exit != tc.exitStatus {
				t.Errorf("Classify(%v) = %s, fault %v, exit %d; want %s, fault %v, exit %d",
					tc.err, class.Code, class.Fault, class.Exit, tc.code, tc.fault, tc.exitStatus)
			}
		})
	}
	if st := checks.ClassOf(checks.ECANCELLED).HTTPStatus; st != checks.StatusClientClosedRequest {
		t.Errorf("a cancelled request is logged with status %d, want 499", st)
	}
}
