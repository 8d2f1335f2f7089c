package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
)

// statement is one statement a client ran, with its parameters as sent.
type statement struct {
	SQL string
	// Params are the bound values in text form; nil is NULL.
	Params []*string
}

// sniffer is a TCP proxy between a casetrack instance and PostgreSQL that
// records the statements the instance sends: simple queries ('Q') and
// executions of parsed statements ('P' then 'B'), with their parameters.
// It lets the bench take the SQL of a request from the code as it runs
// (for pgbench and EXPLAIN), not from a copy that could go stale.
type sniffer struct {
	ln       net.Listener
	upstream string

	mu        sync.Mutex
	recording bool
	captured  []statement
}

// startSniffer listens on a free local port and forwards to upstream (host:port).
func startSniffer(upstream string) (*sniffer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sniffer{ln: ln, upstream: upstream}
	go s.accept()
	return s, nil
}

// addr is the address clients connect to.
func (s *sniffer) addr() string { return s.ln.Addr().String() }

func (s *sniffer) close() { _ = s.ln.Close() }

// record returns the statements sent while fn runs.
func (s *sniffer) record(fn func() error) ([]statement, error) {
	s.mu.Lock()
	s.captured, s.recording = nil, true
	s.mu.Unlock()
	err := fn()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recording = false
	return s.captured, err
}

func (s *sniffer) add(st statement) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recording {
		s.captured = append(s.captured, st)
	}
}

func (s *sniffer) accept() {
	for {
		client, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.proxy(client)
	}
}

func (s *sniffer) proxy(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", s.upstream)
	if err != nil {
		return
	}
	defer server.Close()
	go func() {
		_, _ = io.Copy(client, server)
		_ = client.Close()
	}()
	_ = s.forward(bufio.NewReader(client), server)
}

// Startup request codes that are followed by another startup message.
const (
	sslRequest    = 80877103
	gssencRequest = 80877104
)

// forward copies the client's messages to the server, recording statements.
func (s *sniffer) forward(r *bufio.Reader, w io.Writer) error {
	for { // startup: length, then a code or protocol version, no type byte
		head := make([]byte, 4)
		if _, err := io.ReadFull(r, head); err != nil {
			return err
		}
		body := make([]byte, binary.BigEndian.Uint32(head)-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		if _, err := w.Write(append(head, body...)); err != nil {
			return err
		}
		if code := binary.BigEndian.Uint32(body); code != sslRequest && code != gssencRequest {
			break
		}
	}
	parsed := map[string]string{} // statement name → SQL
	for {
		head := make([]byte, 5)
		if _, err := io.ReadFull(r, head); err != nil {
			return err
		}
		body := make([]byte, binary.BigEndian.Uint32(head[1:])-4)
		if _, err := io.ReadFull(r, body); err != nil {
			return err
		}
		switch head[0] {
		case 'Q':
			s.add(statement{SQL: cstring(body)})
		case 'P':
			name, rest := cut(body)
			parsed[name] = cstring(rest)
		case 'B':
			if st, err := bindStatement(body, parsed); err == nil {
				s.add(st)
			}
		}
		if _, err := w.Write(append(head, body...)); err != nil {
			return err
		}
	}
}

// bindStatement reads a Bind message: portal, statement, parameter formats, values.
func bindStatement(body []byte, parsed map[string]string) (statement, error) {
	_, rest := cut(body)
	name, rest := cut(rest)
	sql, ok := parsed[name]
	if !ok || len(rest) < 2 {
		return statement{}, errors.New("bind of an unknown statement")
	}
	nFormats := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	formats := make([]uint16, nFormats)
	for i := range formats {
		formats[i] = binary.BigEndian.Uint16(rest)
		rest = rest[2:]
	}
	nParams := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	st := statement{SQL: sql, Params: make([]*string, nParams)}
	for i := range nParams {
		n := int32(binary.BigEndian.Uint32(rest))
		rest = rest[4:]
		if n < 0 {
			continue
		}
		value := string(rest[:n])
		rest = rest[n:]
		format := uint16(0)
		if nFormats == 1 {
			format = formats[0]
		} else if i < nFormats {
			format = formats[i]
		}
		if format == 1 { // binary: lib/pq sends only bytea this way
			value = fmt.Sprintf(`\x%x`, value)
		}
		st.Params[i] = &value
	}
	return st, nil
}

// cut splits a NUL-terminated string off the front of b.
func cut(b []byte) (string, []byte) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return string(b), nil
	}
	return string(b[:i]), b[i+1:]
}

func cstring(b []byte) string { s, _ := cut(b); return s }

// args returns the statement's parameters as database/sql arguments, in
// text form, so that the server infers their types as it did for the original.
func (st statement) args() []any {
	args := make([]any, len(st.Params))
	for i, p := range st.Params {
		if p != nil {
			args[i] = *p
		}
	}
	return args
}

// background returns the statements of the instance's outbox worker, which
// polls while a request is captured: any statement on the outbox. The
// requests the bench captures (progress, lists, dashboards) never touch it.
func background(stmts []statement) []statement {
	var out []statement
	for _, st := range stmts {
		if strings.Contains(st.SQL, "outbox") {
			out = append(out, st)
		}
	}
	return out
}

// withoutBackground leaves the outbox worker's statements out.
func withoutBackground(stmts []statement) []statement {
	var out []statement
	for _, st := range stmts {
		if !strings.Contains(st.SQL, "outbox") {
			out = append(out, st)
		}
	}
	return out
}

// oneLine is the statement's SQL on one line, for reports.
func (st statement) oneLine() string { return strings.Join(strings.Fields(st.SQL), " ") }
