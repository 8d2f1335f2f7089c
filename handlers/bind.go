package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// MaxBodyBytes is the largest request body accepted (API.md: 413 above 1 MiB).
const MaxBodyBytes = 1 << 20

// bindJSON decodes a JSON request body into dst: 415 when it is not JSON,
// 413 when it is too large (chunked bodies included), 400 when it is malformed.
// An empty body decodes as {} so that actions without input need none.
func bindJSON(c echo.Context, dst any) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" || req.ContentLength > 0 {
		mediaType, _, err := mime.ParseMediaType(ct)
		if err != nil || (mediaType != "application/json" && !strings.HasSuffix(mediaType, "+json")) {
			return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		var he *echo.HTTPError
		if errors.As(err, &tooLarge) || (errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the body is larger than 1 MiB")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "could not read the body")
	}
	c.Set(rawBodyKey, body)
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "malformed JSON: "+jsonProblem(err))
	}
	return nil
}

// rawBodyKey keeps the bytes of the request body, for idempotency hashing.
const rawBodyKey = "raw_body"

// jsonProblem says what was wrong with a JSON body, without echoing it back.
func jsonProblem(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return fmt.Sprintf("field %q must be %s", typeErr.Field, typeErr.Type.String())
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("syntax error at byte %d", syntaxErr.Offset)
	}
	return err.Error()
}

// pathID reads a numeric id from the path; a malformed one is simply not found.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound, "no such "+strings.TrimSuffix(name, "_id"))
	}
	return id, nil
}

// ifMatch reads an If-Match header holding a quoted version; 0 means none.
func ifMatch(c echo.Context) (int, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	v, err := strconv.Atoi(strings.Trim(strings.TrimPrefix(h, "W/"), `"`))
	if err != nil || v <= 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, `If-Match must be a version in quotes, e.g. "3"`)
	}
	return v, nil
}

// setETag sets the ETag header to a quoted version.
func setETag(c echo.Context, version int) {
	c.Response().Header().Set("ETag", `"`+strconv.Itoa(version)+`"`)
}

// writeJSON writes v with status, without escaping HTML in strings.
func writeJSON(c echo.Context, status int, v any) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	c.Response().WriteHeader(status)
	return jsonEncoder(c).Encode(v)
}

func jsonEncoder(c echo.Context) *json.Encoder {
	enc := json.NewEncoder(c.Response())
	enc.SetEscapeHTML(false)
	return enc
}
