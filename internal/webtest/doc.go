// Package webtest drives the service's pages in a real browser (Debian's Chromium, headless,
// through chromedp): people signing in, answering, requesting and completing checks, and
// axe-core checking every page for accessibility. It holds tests only, and axe-core's script
// (axe/, refreshed with web/refresh-govuk-frontend.sh).
package webtest
