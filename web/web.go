// Package web holds what the pages are made of: the HTML templates and the static files
// (GOV.UK Frontend, refreshed by refresh-govuk-frontend.sh, and our own few lines). The api
// package renders them; everything is compiled into the binary.
package web

import (
	"embed"
	"io/fs"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Templates returns the page templates.
func Templates() fs.FS { return templates }

// GOVUK returns GOV.UK Frontend's files: its CSS and JS, fonts/ and images/, served at
// /assets/ (the paths its CSS expects).
func GOVUK() fs.FS {
	sub, _ := fs.Sub(static, "static/govuk") // the directory is embedded: cannot fail
	return sub
}

// App returns the service's own static files, served at /assets/app/.
func App() fs.FS {
	sub, _ := fs.Sub(static, "static/app")
	return sub
}
