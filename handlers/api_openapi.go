package handlers

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPISpec is the machine-readable description of the API; a test holds
// the server's responses to it.
//
//go:embed openapi.yaml
var openAPISpec []byte

// openAPI serves the API's description.
func (s *Server) openAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", openAPISpec)
}
