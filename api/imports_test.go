package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const importHeader = "crn,noms_number,full_name,date_of_birth,release_date,prison_code,team,com_email,address_line_1,town,postcode,police_force,local_authority,sentence\n"

func importRow(crn, noms, postcode string) string {
	return crn + "," + noms + ",Jordan Example,1985-03-02,15/02/2027,LEI,N07-T1,colm@example.org,1 Example Street,London," + postcode + ",Metropolitan Police Service,E09000001,12 months\n"
}

func TestTheImportEndpointAnswersAReportRowByRow(t *testing.T) {
	e := newEnv(t)
	csv := raw(importHeader + importRow("X900001", "A9001BC", "EC1A 1BB") + importRow("X900002", "A9002BC", "nowhere"))
	asCSV := []string{"Content-Type", "text/csv; charset=utf-8"}

	var rep importJSON
	r := e.do(t, e.com.Token, "POST", "/api/v1/imports?dry_run=true", csv, asCSV...)
	if r.status != http.StatusOK {
		t.Fatalf("dry run: %s", r)
	}
	if err := json.Unmarshal(r.body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Counts != (importCountsJSON{Rows: 2, Add: 1, Rejected: 1}) || !rep.DryRun || rep.Applied || rep.ImportID != "" {
		t.Errorf("dry run report: %+v", rep)
	}
	if strings.Join(rep.UnknownColumns, ",") != "sentence" {
		t.Errorf("unknown columns: %q", rep.UnknownColumns)
	}
	rejected := rep.Rows[1]
	if rejected.Row != 3 || rejected.Outcome != "rejected" || len(rejected.Errors) != 1 || rejected.Errors[0].Field != "postcode" {
		t.Errorf("the rejected row: %+v", rejected)
	}
	if strings.Contains(string(r.body), "Jordan") || strings.Contains(string(r.body), "Example Street") {
		t.Error("the report carries the name or the address")
	}

	r = e.do(t, e.com.Token, "POST", "/api/v1/imports?all_or_nothing=true", csv, asCSV...)
	var p problem
	if err := json.Unmarshal(r.body, &p); err != nil || r.status != http.StatusUnprocessableEntity {
		t.Fatalf("all or nothing: %s", r)
	}
	if len(p.Errors) != 1 || p.Errors[0].Field != "rows[3].postcode" || !strings.Contains(p.Detail, "nothing was imported") {
		t.Errorf("all or nothing: %+v", p)
	}

	r = e.do(t, e.com.Token, "POST", "/api/v1/imports", csv, asCSV...)
	if err := json.Unmarshal(r.body, &rep); err != nil || r.status != http.StatusOK {
		t.Fatalf("import: %s", r)
	}
	if !rep.Applied || rep.ImportID == "" || rep.Rows[0].ReleaseID == "" || rep.Counts.Add != 1 {
		t.Errorf("import report: %+v", rep)
	}
	got := e.do(t, e.com.Token, "GET", "/api/v1/releases/"+rep.Rows[0].ReleaseID, nil)
	if got.status != http.StatusOK || !strings.Contains(string(got.body), `"release_date":"2027-02-15"`) {
		t.Errorf("the release imported: %s", got)
	}

	r = e.do(t, e.com.Token, "POST", "/api/v1/imports", raw("crn,full_name\nX900001,Jordan\n"), asCSV...)
	if err := json.Unmarshal(r.body, &p); err != nil || r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "file" {
		t.Errorf("a file lacking columns: %s", r)
	}
	r = e.do(t, e.com.Token, "POST", "/api/v1/imports", raw(importHeader+strings.Repeat(importRow("X900001", "A9001BC", "EC1A 1BB"), 60_000)), asCSV...)
	if err := json.Unmarshal(r.body, &p); err != nil || r.status != http.StatusRequestEntityTooLarge || !strings.Contains(p.Detail, "50000 rows") {
		t.Errorf("a file of too many rows: %d %+v", r.status, p)
	}
}
