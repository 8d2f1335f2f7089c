package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// MaxBodyBytes is the largest request body accepted (API.md: 413 above 1 MiB).
// The body-limit middleware of the route table enforces it for every route,
// chunked bodies included.
const MaxBodyBytes = 1 << 20

// bindJSON decodes a JSON request body into dst: 415 when it is not JSON,
// 413 when it is too large, 400 when it is malformed or holds a string with a
// NUL character (which no field accepts and PostgreSQL cannot store). An
// empty body decodes as {} so that actions without input need none.
func bindJSON(c echo.Context, dst any) error {
	req := c.Request()
	ct := req.Header.Get(echo.HeaderContentType)
	if ct != "" && !isJSON(ct) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as application/json")
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) && he.Code == http.StatusRequestEntityTooLarge {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the body is larger than 1 MiB")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "could not read the body")
	}
	c.Set(rawBodyKey, body)
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	} else if ct == "" {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the body as application/json")
	}
	if err := json.Unmarshal(body, dst); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "malformed JSON: "+jsonProblem(err))
	}
	if field := nulField(reflect.ValueOf(dst), ""); field != "" {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("malformed JSON: field %q holds a NUL character", field))
	}
	return nil
}

// isJSON reports whether a Content-Type names JSON (application/json or a +json type).
func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mediaType == echo.MIMEApplicationJSON || strings.HasSuffix(mediaType, "+json"))
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
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return "times must be RFC 3339, e.g. 2026-11-30T18:00:00+08:00"
	}
	return "a value has the wrong type"
}

// nulField returns the path of the first string under v that holds a NUL
// character, or "" when there is none.
func nulField(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nulField(v.Elem(), path)
		}
	case reflect.String:
		if strings.ContainsRune(v.String(), 0) {
			return strings.TrimPrefix(path, ".")
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if f := nulField(v.Index(i), path+"["+strconv.Itoa(i)+"]"); f != "" {
				return f
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			name := strings.Split(v.Type().Field(i).Tag.Get("json"), ",")[0]
			if !v.Type().Field(i).IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = v.Type().Field(i).Name
			}
			if f := nulField(v.Field(i), path+"."+name); f != "" {
				return f
			}
		}
	}
	return ""
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

// mutationTarget reads what a mutation of a case or assignment names: the
// id of the path and the version of If-Match (0 when none).
func mutationTarget(c echo.Context) (id int64, version int, err error) {
	if id, err = pathID(c, "id"); err != nil {
		return 0, 0, err
	}
	version, err = ifMatch(c)
	return id, version, err
}

// writeVersioned writes a case or an assignment with its version as the ETag.
func writeVersioned(c echo.Context, status, version int, v any) error {
	c.Response().Header().Set("ETag", `"`+strconv.Itoa(version)+`"`)
	return writeJSON(c, status, v)
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

// listOf is the envelope of every list the API answers: {"items": [...]}.
type listOf[T any] struct {
	Items []T `json:"items"`
}

// itemsOf wraps xs in the list envelope; no items is [], never null.
func itemsOf[T any](xs []T) listOf[T] {
	if xs == nil {
		xs = []T{}
	}
	return listOf[T]{Items: xs}
}
