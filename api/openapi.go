package api

import (
	_ "embed" // the OpenAPI document is compiled in
	"net/http"

	"github.com/gin-gonic/gin"
)

// openapiJSON is the OpenAPI 3.1 document of the API: every endpoint, request body, answer
// and error. It is kept by hand beside routes.go; the tests fail when the two disagree or
// when an answer of the API does not match it.
//
//go:embed openapi.json
var openapiJSON []byte

// openapi serves the OpenAPI document, without authentication.
func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openapiJSON)
}
