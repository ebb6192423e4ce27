package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

var issuerID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// readOIDCIssuers reads the issuers' file: a JSON array of OIDCIssuer. What it says wrong
// names the issuer and the field, never a value: the file holds client secrets.
func readOIDCIssuers(path string) ([]OIDCIssuer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("must name a readable JSON file of issuers (%w)", errors.Unwrap(err))
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var issuers []OIDCIssuer
	if err := dec.Decode(&issuers); err != nil {
		return nil, errors.New("must name a JSON file holding an array of issuers, each with id, name, issuer, client_id, client_secret and domains")
	}
	seen := map[string]bool{}
	var problems []string
	for i, is := range issuers {
		where := fmt.Sprintf("issuer %d", i+1)
		if !issuerID.MatchString(is.ID) {
			problems = append(problems, where+": id must be 1 to 32 lower-case letters, digits and -")
		} else if seen[is.ID] {
			problems = append(problems, where+": id "+is.ID+" is given twice")
		}
		seen[is.ID] = true
		if strings.TrimSpace(is.Name) == "" {
			problems = append(problems, where+": name is required")
		}
		u, err := url.Parse(is.Issuer)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname()))) {
			problems = append(problems, where+": issuer must be an https:// URL (http:// only on loopback)")
		}
		if is.ClientID == "" {
			problems = append(problems, where+": client_id is required")
		}
		if is.ClientSecret == "" {
			problems = append(problems, where+": client_secret is required")
		}
		if len(is.Domains) == 0 {
			problems = append(problems, where+": domains must list the email domains it may sign in")
		}
		for j, d := range is.Domains {
			d = strings.ToLower(strings.TrimSpace(d))
			if d == "" || strings.ContainsAny(d, "@ /") || !strings.Contains(d, ".") {
				problems = append(problems, fmt.Sprintf("%s: domains[%d] must be a domain such as police.example.org", where, j))
			}
			issuers[i].Domains[j] = d
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return issuers, nil
}
