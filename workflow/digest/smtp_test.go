package digest_test

import (
	"bytes"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// received is one message an SMTP server accepted.
type received struct {
	// Listener is the index of the address it came in on (one per instance).
	Listener int
	To       []string
	Header   mail.Header
	Raw      []byte
}

// mailServer is a real SMTP server (go-smtp) in the test process, listening
// on one or more addresses; reply decides the answer to each DATA.
type mailServer struct {
	mu        sync.Mutex
	listeners []string
	accepted  []received
	dataCalls int
	// reply returns nil to accept the n-th DATA (from 1) that came in on listener, or the error to answer.
	reply func(listener, n int) error
}

// startMailServer listens on n loopback addresses until the test ends.
func startMailServer(t *testing.T, n int, reply func(listener, n int) error) *mailServer {
	t.Helper()
	s := &mailServer{reply: reply}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{server: s, listener: s.listenerOf(c.Conn().LocalAddr().String())}, nil
	}))
	srv.Domain = "mail.bishan.example"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = discardLogger{}
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.listeners = append(s.listeners, l.Addr().String())
		go srv.Serve(l) //nolint:errcheck // ends when the server closes
	}
	t.Cleanup(func() { srv.Close() })
	return s
}

// url is the SMTP_URL of listener i.
func (s *mailServer) url(i int) string { return "smtp://" + s.listeners[i] }

func (s *mailServer) listenerOf(addr string) int {
	for i, l := range s.listeners {
		if l == addr {
			return i
		}
	}
	return -1
}

// messages returns what the server accepted so far.
func (s *mailServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.accepted...)
}

// calls is how many DATA commands the server answered.
func (s *mailServer) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dataCalls
}

type mailSession struct {
	server   *mailServer
	listener int
	to       []string
}

func (m *mailSession) Mail(string, *smtp.MailOptions) error { return nil }

func (m *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	m.to = append(m.to, to)
	return nil
}

func (m *mailSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := m.server
	s.mu.Lock()
	s.dataCalls++
	n := s.dataCalls
	s.mu.Unlock()
	if s.reply != nil {
		if err := s.reply(m.listener, n); err != nil {
			return err
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted = append(s.accepted, received{Listener: m.listener, To: m.to, Header: msg.Header, Raw: raw})
	return nil
}

func (m *mailSession) Reset()        { m.to = nil }
func (m *mailSession) Logout() error { return nil }

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// messageIDKind is the kind of mail a Message-ID belongs to: "<digest_overview.…@…>" → digest_overview.
func messageIDKind(id string) string {
	kind, _, _ := strings.Cut(strings.TrimPrefix(id, "<"), ".")
	return kind
}
