package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"casetrack/workflow"
	"casetrack/workflow/workflowtest"
)

func TestServeAnswersHealthChecksAndDrainsOnCancel(t *testing.T) {
	t.Parallel()
	b := openTestBackend(t, workflowtest.NewURL(t))
	addUser(t, b.service(nil), "coordinator", "demo-password")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, b, ln, slog.New(slog.NewJSONHandler(io.Discard, nil))) }()

	for _, path := range []string{"/healthz", "/readyz"} {
		if status := get(t, "http://"+addr+path); status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, status)
		}
	}

	finish := startSlowLogin(t, addr, "coordinator", "demo-password")
	cancel()
	waitUntilRefused(t, addr)
	select {
	case err := <-served:
		t.Fatalf("serve returned while a request was in flight: %v", err)
	default:
	}
	if status := finish(); status != http.StatusOK {
		t.Errorf("the in-flight login answered %d, want 200", status)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after the last request")
	}
}

// Go's profiles are served only when DEBUG_ADDR is set, and only there:
// never on the public listener.
func TestServeProfilesOnlyOnTheDebugAddress(t *testing.T) {
	t.Parallel()
	databaseURL := workflowtest.NewURL(t)
	for name, debugAddr := range map[string]string{"off by default": "", "DEBUG_ADDR set": "127.0.0.1:0"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"DATABASE_URL": databaseURL, "DEBUG_ADDR": debugAddr}
			cfg, err := parseWith(vars)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.DebugAddr != debugAddr {
				t.Fatalf("DebugAddr = %q, want %q", cfg.DebugAddr, debugAddr)
			}
			b := openTestBackend(t, databaseURL)
			b.cfg = cfg
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			logs, logWriter := io.Pipe()
			served := make(chan error, 1)
			go func() { served <- serve(ctx, b, ln, slog.New(slog.NewJSONHandler(logWriter, nil))) }()
			lines := logLines(logs)
			listening := waitForLog(t, lines, "listening")
			t.Cleanup(func() {
				cancel()
				if err := <-served; err != nil {
					t.Errorf("serve: %v", err)
				}
				_ = logWriter.Close()
			})

			if status := get(t, "http://"+ln.Addr().String()+"/debug/pprof/"); status != http.StatusNotFound {
				t.Errorf("the public listener answers /debug/pprof/ with %d, want 404", status)
			}
			debug, on := listening["debug_addr"].(string)
			if on != (debugAddr != "") {
				t.Fatalf("DEBUG_ADDR=%q, yet the listening log says debug_addr %v", debugAddr, listening["debug_addr"])
			}
			if !on {
				return
			}
			resp, err := http.Get("http://" + debug + "/debug/pprof/")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
				t.Errorf("GET /debug/pprof/ on DEBUG_ADDR = %d:\n%s", resp.StatusCode, body)
			}
		})
	}
}

func TestServeDrainsOnSIGTERM(t *testing.T) {
	t.Parallel()
	binary := filepath.Join(t.TempDir(), "casetrack")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	databaseURL := workflowtest.NewURL(t)
	addUser(t, openTestBackend(t, databaseURL).service(nil), "coordinator", "demo-password")

	cmd := exec.Command(binary, "serve")
	cmd.Env = []string{"DATABASE_URL=" + databaseURL, "LISTEN_ADDR=127.0.0.1:0"}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // only if the test failed before it exited
	logs := logLines(stderr)
	addr := waitForLog(t, logs, "listening")["addr"].(string)

	if status := get(t, "http://"+addr+"/readyz"); status != http.StatusOK {
		t.Errorf("GET /readyz = %d, want 200", status)
	}
	finish := startSlowLogin(t, addr, "coordinator", "demo-password")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitForLog(t, logs, "shutting down: draining in-flight requests")
	waitUntilRefused(t, addr)
	if status := finish(); status != http.StatusOK {
		t.Errorf("the in-flight login answered %d, want 200", status)
	}
	waitForLog(t, logs, "stopped")
	if err := cmd.Wait(); err != nil {
		t.Errorf("casetrack serve exited with %v after SIGTERM, want 0", err)
	}
}

func TestServeRefusesAnUnmigratedDatabase(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"DATABASE_URL": emptyDatabaseURL(t), "LISTEN_ADDR": "127.0.0.1:0"}
	runCommand(t, vars, "", "serve").mustFail(t, exitError, "run `casetrack migrate` first")
}

// addUser creates a coordinator with password.
func addUser(t *testing.T, svc *workflow.Service, login, password string) {
	t.Helper()
	_, err := svc.CreateUser(workflow.Trusted(context.Background()), workflow.NewUser{Login: login, Name: login,
		Password: password, Roles: []workflow.Grant{{Role: workflow.RoleCoordinator}}})
	if err != nil {
		t.Fatal(err)
	}
}

// get returns the status of a GET of url.
func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// startSlowLogin sends a login request with only half of its body, which
// keeps it in flight on the server until finish sends the rest; finish
// returns the response's status. A first request on the same connection
// makes sure the server has accepted it.
func startSlowLogin(t *testing.T, addr, login, password string) (finish func() int) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	responses := bufio.NewReader(conn)
	readResponse := func() (int, []byte) {
		t.Helper()
		resp, err := http.ReadResponse(responses, nil)
		if err != nil {
			t.Fatalf("reading a response: %v", err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("reading a response: %v", err)
		}
		return resp.StatusCode, body
	}
	if _, err := fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr); err != nil {
		t.Fatal(err)
	}
	if status, _ := readResponse(); status != http.StatusOK {
		t.Fatalf("GET /healthz = %d", status)
	}
	body := fmt.Sprintf(`{"login":%q,"password":%q}`, login, password)
	half := len(body) / 2
	_, err = fmt.Fprintf(conn, "POST /api/v1/auth/login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, len(body), body[:half])
	if err != nil {
		t.Fatal(err)
	}
	// Let the server read the headers, which makes the connection active:
	// a shutdown waits for active connections and closes idle ones.
	time.Sleep(200 * time.Millisecond)
	return func() int {
		t.Helper()
		if _, err := io.WriteString(conn, body[half:]); err != nil {
			t.Fatalf("sending the rest of the body: %v", err)
		}
		status, answer := readResponse()
		var session struct{ Token string }
		if err := json.Unmarshal(answer, &session); err != nil || session.Token == "" {
			t.Errorf("the login answered %s without a token", answer)
		}
		return status
	}
}

// waitUntilRefused waits until nothing accepts connections at addr, which
// is the first thing a shutdown does.
func waitUntilRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			// A connection the kernel queued just before the listener closed is reset.
			if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("dialing %s: %v", addr, err)
			}
			return
		}
		_ = conn.Close()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections", addr)
}

// logLines decodes the JSON log lines of r as they come.
func logLines(r io.Reader) <-chan map[string]any {
	lines := make(chan map[string]any, 100)
	go func() {
		defer close(lines)
		scanner := bufio.NewScanner(r)
		for scanner.Scan() {
			var line map[string]any
			if json.Unmarshal(scanner.Bytes(), &line) == nil {
				lines <- line
			} else {
				lines <- map[string]any{"msg": strings.TrimSpace(scanner.Text())}
			}
		}
	}()
	return lines
}

// waitForLog waits for the log line whose message is msg.
func waitForLog(t *testing.T, lines <-chan map[string]any, msg string) map[string]any {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("the process ended before logging %q", msg)
			}
			if line["msg"] == msg {
				return line
			}
		case <-timeout:
			t.Fatalf("no %q in the log", msg)
		}
	}
}

// serve trades a few megabytes for less collection, within a memory limit,
// unless GOGC or GOMEMLIMIT says otherwise.
func TestServeCollectsLessOftenUnlessGOGCOrGOMEMLIMITIsSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	collectLessOften(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC, the collector runs at %d %%, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != memoryLimit {
		t.Errorf("without GOMEMLIMIT, the memory limit is %d, want %d", got, memoryLimit)
	}
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		collectLessOften(func(k string) string { return map[string]string{env: "set"}[k] })
		if gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64); gc != 100 || limit != math.MaxInt64 {
			t.Errorf("with %s set, the collector runs at %d %% with a limit of %d bytes", env, gc, limit)
		}
	}
}
