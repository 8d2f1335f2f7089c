package handlers_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// chromiumPath is where Debian's chromium package puts the browser (.ci/run installs it).
const chromiumPath = "/usr/bin/chromium"

// stepTimeout bounds one browser step, so that a broken page fails the test
// instead of hanging it; no assertion depends on how fast anything is.
const stepTimeout = 45 * time.Second

// browser is one headless Chromium that every scenario of a test shares;
// each user gets a tab in a browser context of their own (own cookies).
type browser struct {
	ctx context.Context
}

// startBrowser starts Chromium for the rest of the test.
func startBrowser(t *testing.T) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("no Chromium at %s (apt-get install -y --no-install-recommends chromium): %v", chromiumPath, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return &browser{ctx: ctx}
}

// tab is one user's browser tab on a test server.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newTab opens a tab with its own cookies on the server at base. It records
// the console, and the test fails if a page broke the content security
// policy or threw an exception.
func (b *browser) newTab(t *testing.T, base string) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	tb := &tab{t: t, ctx: ctx, base: base}
	messages := chromedp.Console(ctx)
	go func() {
		for msg, err := range messages {
			if err != nil {
				return
			}
			tb.mu.Lock()
			tb.console = append(tb.console, msg)
			tb.mu.Unlock()
		}
	}()
	t.Cleanup(tb.checkConsole)
	return tb
}

// checkConsole fails the test for CSP violations and uncaught exceptions.
func (tb *tab) checkConsole() {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	for _, m := range tb.console {
		if m.Type == chromedp.ConsoleException || strings.Contains(m.Text, "Content Security Policy") {
			tb.t.Errorf("browser console: %s: %s", m.Type, m.Text)
		}
	}
}

// do runs steps, failing the test on error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
}

// run runs one action that returns a value, failing the test on error.
func run[T any](tb *tab, action chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tb.t.Fatalf("browser: %v", err)
	}
	return v
}

// open loads a page of the server.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(tb.base + path))
}

// signIn signs in through the sign-in form, as a person does.
func (tb *tab) signIn(login string) {
	tb.t.Helper()
	tb.open("/login")
	tb.do(
		chromedp.SendKeys(chromedp.ID("login"), login),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	tb.submit("form.login-form")
	tb.do(chromedp.WaitVisible(chromedp.ID("sign-out")))
}

// submit clicks the submit button of the form and waits for the page that answers.
func (tb *tab) submit(form string) {
	tb.t.Helper()
	run(tb, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(form+` button[type="submit"]`))))
}

// act performs an action through its form (form[data-action=action] inside
// scope): it unfolds the form when it has inputs, types the text fields,
// sets the others, submits and waits for the answer.
func (tb *tab) act(scope, action string, fields map[string]string) {
	tb.t.Helper()
	form := fmt.Sprintf(`%s form[data-action="%s"]`, scope, action)
	if len(fields) > 0 {
		tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`%s details:has(> form[data-action="%s"]) > summary`, scope, action))))
	}
	for name, value := range fields {
		input := fmt.Sprintf(`%s [name="%s"]`, form, name)
		switch tag := run(tb, chromedp.Evaluate[string](fmt.Sprintf(
			`(e => e.tagName + ":" + (e.type || ""))(document.querySelector(%q))`, input))); tag {
		case "TEXTAREA:textarea", "INPUT:text":
			tb.do(chromedp.SendKeys(chromedp.CSS(input), value))
		case "INPUT:radio":
			tb.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`%s[value="%s"]`, input, value))))
		default:
			tb.do(chromedp.SetValue(chromedp.CSS(input), value))
		}
	}
	tb.submit(form)
}

// count counts the elements that match a CSS selector.
func (tb *tab) count(selector string) int {
	tb.t.Helper()
	return run(tb, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, selector)))
}

// text is the text of the first element matching a CSS selector.
func (tb *tab) text(selector string) string {
	tb.t.Helper()
	return run(tb, chromedp.Text(chromedp.CSS(selector)))
}

// wantCount fails the test unless n elements match the selector.
func (tb *tab) wantCount(selector string, n int) {
	tb.t.Helper()
	if got := tb.count(selector); got != n {
		tb.t.Errorf("%d elements match %s, want %d", got, selector, n)
	}
}
