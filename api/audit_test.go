package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The audit trail is read by admins who need not read what a COM or an agency wrote about a
// person: every free text is described by its length, never copied.
func TestTheAuditTrailDescribesFreeTextByItsLengthAndNeverCopiesIt(t *testing.T) {
	e := newEnv(t)
	r := e.answeredRelease(t) // a requested and answered DA check, a CS check not required
	da := checkOf(t, r, "domestic_abuse").ID
	e.act(t, e.com, da, "notes", asNote)
	cancel := "Recalled after a disclosure by his sister about the children"
	want(t, e.do(t, e.com.Token, "POST", "/api/v1/releases/"+r.ID+"/cancel", map[string]any{"reason": cancel}), http.StatusOK, nil)

	entries := listAll[json.RawMessage](t, e, e.admin, "/api/v1/audit")
	free := map[string]string{
		"the not-required reason": asReason["reason"].(string),
		"the cancel reason":       cancel,
		"the response summary":    asResponse["summary"].(string),
		"the request note":        asRequest["note"].(string),
		"the added note":          asNote["note"].(string),
	}
	for what, text := range free {
		for _, en := range entries {
			if strings.Contains(string(en), text) {
				t.Errorf("an audit entry copies %s: %s", what, en)
			}
		}
	}

	// What stands in their place: the length, as for notes and summaries.
	described := regexp.MustCompile(`^\(\d+ characters\)$`)
	seen := map[string]bool{}
	for _, raw := range entries {
		var en struct {
			Action  string       `json:"action"`
			Changes []changeJSON `json:"changes"`
		}
		if err := json.Unmarshal(raw, &en); err != nil {
			t.Fatal(err)
		}
		for _, c := range en.Changes {
			switch c.Field {
			case "not_required_reason", "cancel_reason", "withdrawn_reason":
				seen[c.Field] = true
				if !described.MatchString(c.After) || c.Before != "" {
					t.Errorf("%s: %s changed from %q to %q, want it described as (N characters)", en.Action, c.Field, c.Before, c.After)
				}
			}
		}
	}
	for _, field := range []string{"not_required_reason", "cancel_reason", "withdrawn_reason"} {
		if !seen[field] {
			t.Errorf("no audit entry records a change of %s", field)
		}
	}
}
