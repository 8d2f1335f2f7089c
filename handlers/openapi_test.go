package handlers_test

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/labstack/echo/v4"
)

// spec is openapi.yaml, loaded and validated once for every test.
var spec = sync.OnceValues(func() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromFile("openapi.yaml")
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, err
	}
	return doc, nil
})

// specRouter finds the operation of a request; the servers are dropped so
// that it matches on the path alone, whatever the test server's address.
var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := spec()
	if err != nil {
		return nil, err
	}
	local := *doc
	local.Servers = nil
	return legacy.NewRouter(&local)
})

// checkAgainstSpec fails the test when a response to an operation of
// openapi.yaml is not one the operation describes: an undocumented status,
// a missing header, a body off its schema. Requests to addresses the
// description does not hold (a refused path trick, a wrong method) are not
// checked.
func checkAgainstSpec(t testing.TB, req *http.Request, r *response) {
	t.Helper()
	router, err := specRouter()
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.status,
		Header:                 r.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()}},
	}
	in.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s → %d does not match openapi.yaml: %v\nbody: %.500s", req.Method, req.URL.Path, r.status, err, r.body)
	}
}

// echoParam turns Echo's ":id" into OpenAPI's "{id}".
var echoParam = regexp.MustCompile(`:([a-z_]+)`)

func TestOpenAPIDescribesEveryAPIRouteAndNothingElse(t *testing.T) {
	e := newEnv(t)
	doc, err := spec()
	if err != nil {
		t.Fatal(err)
	}
	var served, described []string
	for _, r := range e.echo.Routes() {
		if r.Method == echo.RouteNotFound || !isAPIAddress(r.Path) {
			continue
		}
		served = append(served, r.Method+" "+echoParam.ReplaceAllString(r.Path, "{$1}"))
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described = append(described, method+" "+path)
		}
	}
	slices.Sort(served)
	slices.Sort(described)
	if !slices.Equal(served, described) {
		t.Errorf("routes and openapi.yaml differ\nserved:    %v\ndescribed: %v", served, described)
	}
}

// isAPIAddress reports whether a route belongs to the API rather than the web view.
func isAPIAddress(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz" || path == "/readyz"
}

func TestServedOpenAPIIsTheFile(t *testing.T) {
	e := newEnv(t)
	file, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := e.call("", http.MethodGet, "/api/openapi.yaml", nil).want(t, http.StatusOK)
	if string(r.body) != string(file) {
		t.Error("GET /api/openapi.yaml is not handlers/openapi.yaml")
	}
	if _, err := openapi3.NewLoader().LoadFromData(r.body); err != nil {
		t.Errorf("the served description does not load: %v", err)
	}
}
