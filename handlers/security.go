package handlers

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// contentSecurityPolicy allows scripts, styles and everything else from this
// origin only (no inline script), and no framing by anyone.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the hardening headers on every response, errors included.
func securityHeaders() echo.MiddlewareFunc {
	return middleware.SecureWithConfig(middleware.SecureConfig{
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "same-origin",
	})
}

// noStore keeps API answers, which carry tokens and case data, out of caches.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// rejectPathTricks answers 400 to a path that is not in canonical form:
// encoded slashes or backslashes, backslashes, empty, "." or ".." segments,
// control characters. No route needs one, and refusing them before routing
// means no spelling of a path can reach a route other than the one it names,
// nor skip the middleware a route's group puts in front of it.
func rejectPathTricks(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		raw := strings.ToLower(u.RawPath)
		if strings.Contains(raw, "%2f") || strings.Contains(raw, "%5c") || !canonicalPath(u.Path) {
			return echo.NewHTTPError(http.StatusBadRequest, "the path is not in canonical form")
		}
		return next(c)
	}
}

// canonicalPath reports whether p is an absolute path of non-empty segments
// without "." or "..", backslashes or control characters (a trailing slash is
// left to the router).
func canonicalPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\") {
		return false
	}
	if strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return false
	}
	segments := strings.Split(strings.TrimSuffix(p[1:], "/"), "/")
	for i, seg := range segments {
		if seg == "." || seg == ".." || (seg == "" && !(i == 0 && len(segments) == 1)) {
			return false
		}
	}
	return true
}

// clientAddress tells Echo where a request comes from: its peer, or, when
// the peer is one of the trusted proxies, the nearest address in
// X-Forwarded-For that is not a trusted proxy. Echo would otherwise trust
// every loopback and private peer, letting a client pick its own address (and
// with it its login throttle) by sending the header itself.
func clientAddress(trusted []netip.Prefix) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range trusted {
		p = p.Masked()
		opts = append(opts, echo.TrustIPRange(&net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
