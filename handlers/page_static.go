package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// pageStatic serves web/static (GET /static/*): the CSS and the vendored
// htmx, gzipped when the browser accepts it. An address with the file's
// current hash (see loadStatic) may be cached for good.
func (s *Server) pageStatic(c echo.Context) error {
	renderer, _ := c.Echo().Renderer.(*webRenderer)
	f, found := renderer.static[c.Param("*")]
	if !found {
		return echo.NewHTTPError(http.StatusNotFound, "no such file")
	}
	h := c.Response().Header()
	if c.Request().URL.RequestURI() == f.url {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "no-cache")
	}
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	if f.gzipped != nil && strings.Contains(c.Request().Header.Get(echo.HeaderAcceptEncoding), "gzip") {
		h.Set(echo.HeaderContentEncoding, "gzip")
		return c.Blob(http.StatusOK, f.contentType, f.gzipped)
	}
	return c.Blob(http.StatusOK, f.contentType, f.body)
}
