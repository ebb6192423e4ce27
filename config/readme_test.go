package config

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestTheREADMEListsEverySettingAsTheCodeHasIt keeps the README's configuration table equal
// to what the code accepts: regenerate it with Markdown when a setting changes.
func TestTheREADMEListsEverySettingAsTheCodeHasIt(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	Markdown(&want)
	if !strings.Contains(string(readme), want.String()) {
		t.Errorf("the README's configuration table differs from the settings; replace it with:\n%s", want.String())
	}
}
