// What every page template can call: formatting, form fields, and form errors in words.

package api

import (
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/probation/safeguarding/checks"
)

// templateFuncs are the helpers the page templates use.
func (s *Server) templateFuncs() template.FuncMap {
	return template.FuncMap{
		"date": func(d checks.Date) string {
			if d.IsZero() {
				return "not set"
			}
			return d.Midday().Format("2 January 2006")
		},
		"dateField": dateField,
		"group": func(id, heading string, rows []releaseRow) releaseGroup {
			return releaseGroup{ID: id, Heading: heading, Rows: rows}
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "not yet"
			}
			l := t.In(checks.London())
			return l.Format("2 January 2006") + " at " + strings.ToLower(l.Format("3:04pm"))
		},
		"statusName": statusName,
		"statusClass": func(st checks.Status) string {
			return map[checks.Status]string{
				checks.StatusRequired: "govuk-tag--grey", checks.StatusRequested: "govuk-tag--light-blue", checks.StatusResponded: "govuk-tag--purple",
				checks.StatusCompleted: "govuk-tag--green", checks.StatusNotRequired: "govuk-tag--grey", checks.StatusWithdrawn: "govuk-tag--grey",
			}[st]
		},
		"typeName": func(t checks.CheckType) string { return t.Info().Name },
		"outcomeName": func(o checks.Outcome) string {
			return map[checks.Outcome]string{
				checks.OutcomeInformationHeld: "Information held", checks.OutcomeNoInformation: "No information held", checks.OutcomeDeclined: "Declined",
			}[o]
		},
		"actionName": func(a checks.Action) string {
			return map[checks.Action]string{
				checks.ActionCreate: "Created", checks.ActionRequest: "Requested", checks.ActionRespond: "Answered",
				checks.ActionComplete: "Completed", checks.ActionNotRequired: "Marked not required", checks.ActionWithdraw: "Withdrawn",
				checks.ActionNote: "Note", checks.ActionReleaseChanged: "Release changed",
				checks.ActionStandDown: "Stood down", checks.ActionAskForTime: "More time asked for",
				checks.ActionAgreeTime: "More time agreed", checks.ActionRefuseTime: "More time refused",
			}[a]
		},
		"roleName": func(r checks.Role) string {
			return map[checks.Role]string{checks.RoleAdmin: "admin", checks.RoleCOM: "community offender manager",
				checks.RoleManager: "manager", checks.RoleLiaison: "liaison"}[r]
		},
		"agencyName": func(code string) string { return s.agencyName(code) },
		"fieldError": func(errs []formError, field string) *formError {
			for i := range errs {
				if errs[i].Field == field {
					return &errs[i]
				}
			}
			return nil
		},
		"lower":    strings.ToLower,
		"workdays": workdaysText,
		"deref":    func(p *float64) float64 { return *p },
		"plural":   plural,
		"field": func(p pageData, name, label, hint, width string) fieldArgs {
			return fieldArgs{Page: p, Name: name, Label: label, Hint: hint, Width: width}
		},
		"options": func(p pageData, name, label string, opts []option) fieldArgs {
			return fieldArgs{Page: p, Name: name, Label: label, Options: opts}
		},
		"relationshipName": func(r checks.Relationship) string {
			for _, o := range relationshipOptions() {
				if o.Value == string(r) {
					return o.Text
				}
			}
			return string(r)
		},
		"agencyKindName": func(t checks.CheckType) string {
			return map[checks.AgencyKind]string{checks.KindPolice: "Police", checks.KindChildrensServices: "Children's services"}[t.AgencyKind()]
		},
		"personArgs": func(p pageData, prefix string) fieldArgs {
			return fieldArgs{Page: p, Prefix: prefix}
		},
	}
}

// agencyName is an agency's name from the directory, or its code when the directory has no
// such agency or has not been read yet (see loadAgencyNames). It never reads the database:
// the templates call it, and a template has no request to fail.
func (s *Server) agencyName(code string) string {
	s.namesMu.Lock()
	defer s.namesMu.Unlock()
	if name, ok := s.agencyNames[code]; ok {
		return name
	}
	return code
}

// loadAgencyNames reads the names of the whole directory (two pages of a list), once per
// process: names never change. A failure is the request's: the page answers it (503 while
// the database is away) rather than show codes for names.
func (s *Server) loadAgencyNames(ctx context.Context) error {
	s.namesMu.Lock()
	loaded := len(s.agencyNames) > 0
	s.namesMu.Unlock()
	if loaded {
		return nil
	}
	names := map[string]string{}
	f := checks.AgencyFilter{Limit: 200}
	for {
		page, err := s.svc.Agencies(ctx, f)
		if err != nil {
			return fmt.Errorf("read the agency directory's names: %w", err)
		}
		for _, a := range page.Items {
			names[a.Code] = a.Name
		}
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	s.namesMu.Lock()
	defer s.namesMu.Unlock()
	s.agencyNames = names
	return nil
}

type option struct{ Value, Text string }

// fieldArgs is what the form templates (text field, date part, select) are called with: the
// page, and the field's name, label, hint, width and options.
type fieldArgs struct {
	Page                     pageData
	Name, Label, Hint, Width string
	Options                  []option
	// Prefix names the inputs of one person of a release ("person-2").
	Prefix string
}

// The liaison's pages.

// formErrors turns a domain validation error into the page's errors, each on its input. A
// field in plain may get a plainer sentence than the API's.
func formErrors(err error, plain map[string]string) []formError {
	e, ok := err.(*checks.Error)
	if !ok {
		return []formError{{"", "Something is wrong with the form"}}
	}
	var out []formError
	for _, f := range e.Fields {
		text := plain[f.Field]
		if text == "" || checks.AboutCharacters(f.Reason) {
			// The usual "Enter ..." would not tell what to take out of what was typed.
			text = plainMessage(sentence(f.Field, f.Reason))
		}
		out = append(out, formError{f.Field, text})
	}
	if len(out) == 0 {
		out = append(out, formError{"", plainMessage(e.Message)})
	}
	return out
}

// sentence makes "summary: is required" read "Summary is required".
func sentence(field, reason string) string {
	name := strings.ReplaceAll(field, "_", " ")
	return strings.ToUpper(name[:1]) + name[1:] + " " + reason
}
