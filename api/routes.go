package api

import "github.com/gin-gonic/gin"

// routes registers every endpoint of the service. It is the one list of what the API offers.
func (s *Server) routes(r *gin.Engine) {
	// The health checks are never limited (see shed).
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/api/v1/openapi.json", s.limitAnonymous, s.openapi)
	r.GET("/metrics", s.authenticate, s.limitUser, s.adminOnly, s.metrics)

	v1 := r.Group("/api/v1", s.authenticate, s.limitUser)
	v1.GET("/me", s.me)

	v1.POST("/releases", s.createRelease)
	v1.GET("/releases", s.listReleases)
	v1.GET("/releases/:id", s.getRelease)
	v1.PATCH("/releases/:id", s.patchRelease)
	v1.POST("/releases/:id/cancel", s.cancelRelease)
	v1.GET("/releases/:id/export", s.exportRelease)

	v1.GET("/checks", s.listChecks)
	v1.GET("/checks/:id", s.getCheck)
	v1.POST("/checks/:id/request", checkAction(s, bodyOptional, s.requestCheck))
	v1.POST("/checks/:id/response", checkAction(s, bodyRequired, s.respondToCheck))
	v1.POST("/checks/:id/complete", checkAction(s, bodyRequired, s.completeCheck))
	v1.POST("/checks/:id/not-required", checkAction(s, bodyRequired, s.markNotRequired))
	v1.POST("/checks/:id/notes", checkAction(s, bodyRequired, s.addNote))
	v1.POST("/checks/:id/stand-down", checkAction(s, bodyRequired, s.standDown))
	v1.POST("/checks/:id/extension", checkAction(s, bodyRequired, s.askForTime))
	v1.POST("/checks/:id/extension/agree", checkAction(s, bodyOptional, s.agreeTime))
	v1.POST("/checks/:id/extension/refuse", checkAction(s, bodyOptional, s.refuseTime))

	v1.GET("/agencies", s.listAgencies)
	v1.GET("/agencies/:code", s.getAgency)
	v1.PATCH("/agencies/:code", s.patchAgency)

	v1.POST("/users", s.createUser)
	v1.GET("/users", s.listUsers)
	v1.GET("/users/:id", s.getUser)
	v1.POST("/users/:id/deactivate", s.deactivateUser)
	v1.POST("/users/:id/activate", s.activateUser)
	v1.POST("/users/:id/tokens", s.issueToken)
	v1.GET("/users/:id/tokens", s.listTokens)
	v1.POST("/tokens/:id/revoke", s.revokeToken)

	v1.GET("/reports/completion", s.completionReport)
	v1.GET("/reports/agencies", s.agenciesReport)
	v1.GET("/reports/upcoming", s.upcomingReport)
	v1.GET("/audit", s.listAudit)

	v1.POST("/escalations/run", s.adminOnly, s.runEscalations)
	v1.GET("/outbox", s.adminOnly, s.listOutbox)
	v1.GET("/outbox/:id", s.adminOnly, s.getOutboxEmail)
	v1.POST("/outbox/:id/retry", s.adminOnly, s.retryOutboxEmail)

	// The pages, for people in a browser. A session cookie stands for the token; every form
	// carries the session's CSRF token.
	r.GET("/assets/*filepath", s.limitAnonymous, s.assets)
	r.GET("/sign-in", s.limitAnonymous, s.signInPage)
	r.POST("/sign-in", s.limitAnonymous, s.signIn)
	r.POST("/sign-in/email", s.limitAnonymous, s.emailLink)
	r.GET("/sign-in/link/:secret", s.limitAnonymous, s.useLink)
	r.GET("/sign-in/oidc/:issuer", s.limitAnonymous, s.oidcStart)
	r.GET("/sign-in/oidc/:issuer/callback", s.limitAnonymous, s.oidcCallback)
	r.GET("/session/ended", s.limitAnonymous, s.sessionEnded)
	pages := r.Group("/", s.signedIn, s.limitUser)
	pages.GET("/", s.home)
	pages.GET("/queue", s.queuePage)
	pages.GET("/checks/:id", s.checkPage)
	pages.GET("/releases", s.releasesPage)
	pages.GET("/releases/new", s.newReleasePage)
	pages.GET("/releases/:id", s.releasePage)
	pages.GET("/releases/:id/address", s.addressPage)
	pages.GET("/dashboard", s.dashboardPage)
	pages.GET("/reports/completion.csv", s.reportCSV(s.completionReport))
	pages.GET("/reports/agencies.csv", s.reportCSV(s.agenciesReport))
	pages.GET("/reports/upcoming.csv", s.reportCSV(s.upcomingReport))
	forms := pages.Group("/", s.checkCSRF)
	forms.POST("/sign-out", s.signOut)
	forms.POST("/session/keep-alive", s.keepAlive)
	forms.POST("/checks/:id/response", s.answerForm)
	forms.POST("/checks/:id/request", s.checkForm("requested"))
	forms.POST("/checks/:id/complete", s.checkForm("completed"))
	forms.POST("/checks/:id/not-required", s.checkForm("not-required"))
	forms.POST("/checks/:id/stand-down", s.checkForm("stood-down"))
	forms.POST("/checks/:id/extension/agree", s.checkForm("time-agreed"))
	forms.POST("/checks/:id/extension/refuse", s.checkForm("time-refused"))
	forms.POST("/checks/:id/extension", s.extensionForm)
	forms.POST("/releases/new", s.newReleaseForm)
	forms.POST("/releases/:id/address", s.addressForm)
}
