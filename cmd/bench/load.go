package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// loadResult is what one load run measured, warm-up excluded.
type loadResult struct {
	Clients   int
	Elapsed   time.Duration
	OK        int
	Failed    int
	Latencies []time.Duration // of the successful operations, sorted
	// Errors counts the failures by their first line.
	Errors map[string]int
}

// merge adds another run of the same measurement to r.
func (r *loadResult) merge(o loadResult) {
	if r.Errors == nil {
		r.Errors = map[string]int{}
	}
	r.Clients = o.Clients
	r.Elapsed += o.Elapsed
	r.OK += o.OK
	r.Failed += o.Failed
	r.Latencies = append(r.Latencies, o.Latencies...)
	slices.Sort(r.Latencies)
	for e, n := range o.Errors {
		r.Errors[e] += n
	}
}

// PerSecond is the successful operations per second.
func (r loadResult) PerSecond() float64 { return float64(r.OK) / r.Elapsed.Seconds() }

// Percentile returns the p-th percentile (0..100) of the latencies.
func (r loadResult) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.Latencies))*p/100+0.5) - 1
	return r.Latencies[min(max(i, 0), len(r.Latencies)-1)]
}

// worker is one client of a load run; an operation may keep state in it.
type worker struct {
	id  int
	rng *rand.Rand
	seq int
}

// operation performs one operation (one or more requests) for a worker.
type operation func(ctx context.Context, w *worker) error

// runLoad runs op from clients workers in a closed loop: warm-up first,
// not recorded, then duration recorded. Each worker waits for its answer
// before sending again, as a person or a script does.
func runLoad(ctx context.Context, clients int, warmup, duration time.Duration, op operation) loadResult {
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+duration)
	type tally struct {
		ok, failed int
		latencies  []time.Duration
		errors     map[string]int
	}
	tallies := make([]tally, clients)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			w := &worker{id: i, rng: rand.New(rand.NewPCG(uint64(i), uint64(start.UnixNano())))}
			t := &tallies[i]
			t.errors = map[string]int{}
			for ctx.Err() == nil {
				began := time.Now()
				if !began.Before(end) {
					return
				}
				w.seq++
				err := op(ctx, w)
				if began.Before(measureFrom) {
					continue
				}
				if err != nil {
					t.failed++
					t.errors[firstLine(err.Error())]++
					continue
				}
				t.ok++
				t.latencies = append(t.latencies, time.Since(began))
			}
		})
	}
	wg.Wait()
	r := loadResult{Clients: clients, Elapsed: time.Since(measureFrom), Errors: map[string]int{}}
	for _, t := range tallies {
		r.OK += t.ok
		r.Failed += t.failed
		r.Latencies = append(r.Latencies, t.latencies...)
		for e, n := range t.errors {
			r.Errors[e] += n
		}
	}
	slices.Sort(r.Latencies)
	return r
}

func firstLine(s string) string {
	if i := bytes.IndexByte([]byte(s), '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}

// client is an HTTP client of casetrack instances: keep-alive connections,
// requests spread round-robin over the instances' base URLs.
type client struct {
	http  *http.Client
	bases []string
	mu    sync.Mutex
	next  int
}

func newClient(bases ...string) *client {
	transport := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute, DisableCompression: true}
	return &client{bases: bases, http: &http.Client{Transport: transport, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) base() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bases[c.next%len(c.bases)]
	c.next++
	return b
}

// statusError is an answer with an unexpected status.
type statusError struct {
	method, path string
	status       int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.method, e.path, e.status, firstLine(e.body))
}

// api sends a JSON request with a bearer token and decodes the answer into
// out (when not nil); any status but want is an error.
func (c *client) api(ctx context.Context, method, path, token string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base()+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.send(req, out, want)
}

// send sends req, reads the whole answer and checks its status.
func (c *client) send(req *http.Request, out any, want int) error {
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return &statusError{req.Method, req.URL.Path, res.StatusCode, string(raw)}
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}
