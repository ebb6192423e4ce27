package webtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func TestACOMUploadsAReleaseScheduleChecksItAndConfirms(t *testing.T) {
	s := newSite(t)
	file := filepath.Join(t.TempDir(), "schedule.csv")
	content := "\ufeffCRN,NOMS_Number,Full_Name,Date_Of_Birth,Release_Date,Prison_Code,Address_Line_1,Town,Postcode,Police_Force,Local_Authority,Sentence\r\n" +
		"X300001,A3001BC,Jane Doe,01/02/1990,01/03/2027,BMI,1 Example Street,London,EC1A 1BB,Metropolitan Police Service,City of London,12 months\r\n" +
		"X300002,A3002BC,Sam Doe,1991-02-01,2027-03-02,BMI,2 Example Street,London,not a postcode,E23000001,E09000001,6 months\r\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	b := s.browser(t)
	b.open("/imports/new")
	b.signIn("com")
	if h := b.heading(); h != "Import a release schedule" {
		t.Fatalf("after signing in: %q at %s", h, b.path())
	}
	b.axe("import: upload")

	b.submit(`//button[normalize-space()="Check the file"]`)
	if !strings.Contains(b.text(), "Select a CSV file") {
		t.Fatalf("no error for an upload without a file: %s", b.text())
	}
	b.axe("import: upload without a file")

	b.do(chromedp.SetUploadFiles("#file", []string{file}))
	b.submit(`//button[normalize-space()="Check the file"]`)
	if h := b.heading(); h != "Check the import before you confirm it" {
		t.Fatalf("after the upload: %q: %s", h, b.text())
	}
	text := b.text()
	for _, want := range []string{"Rejected rows", "X300002", "postcode", "must be a UK postcode", "To add", "X300001", "Columns ignored", "Sentence"} {
		if !strings.Contains(text, want) {
			t.Errorf("the check page lacks %q:\n%s", want, text)
		}
	}
	b.axe("import: check")

	b.submit(`//button[normalize-space()="Confirm and import"]`)
	if h := b.heading(); h != "Import complete" || !strings.Contains(b.text(), "1 added, 0 changed") {
		t.Fatalf("after confirming: %q: %s", h, b.text())
	}
	b.axe("import: done")
	b.submit(`//a[normalize-space()="X300001"]`)
	if h := b.heading(); h != "Jane Doe" {
		t.Errorf("the release imported: %q", h)
	}
}
