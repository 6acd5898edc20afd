package app

// The harness of the real-browser tests (e2e_test.go, a11y_test.go): a headless
// Chromium driven by chromedp, one isolated browser context ("tab") per person, keyboard
// helpers that check focus is visible at each step, axe-core injection, and screenshots
// of every tab when a test fails.
//
// Without Chromium the browser tests skip, unless HAVEN_REQUIRE_BROWSER=1, when they
// fail (CI sets it). HAVEN_CHROME names the browser binary; HAVEN_E2E_ARTIFACTS names
// the directory for screenshots of failures (default: a new temporary directory,
// printed in the log).

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// axeSource is axe-core, vendored from the npm registry (testdata/axe-core/README.md).
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

const (
	// stepTimeout bounds one browser step: a key press, a page load, a wait. Generous,
	// for busy machines; a step normally takes milliseconds.
	stepTimeout = 30 * time.Second
	// browserStartTimeout bounds starting Chromium and opening a tab.
	browserStartTimeout = 30 * time.Second
)

// chromePath finds a Chromium or Chrome binary: HAVEN_CHROME, else the usual names on
// PATH. It returns "" when there is none.
func chromePath() string {
	if p := os.Getenv("HAVEN_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireBrowser returns the browser binary, or skips the test (fails it when
// HAVEN_REQUIRE_BROWSER=1) when there is none, or when -short is set.
func requireBrowser(t *testing.T) string {
	t.Helper()
	required := os.Getenv("HAVEN_REQUIRE_BROWSER") == "1"
	p := chromePath()
	switch {
	case p == "" && required:
		t.Fatal("HAVEN_REQUIRE_BROWSER=1 but no Chromium was found: install it (apt-get install -y chromium) or set HAVEN_CHROME to its path")
	case p == "":
		t.Skip("browser tests skipped: no Chromium found (apt-get install -y chromium, or set HAVEN_CHROME); set HAVEN_REQUIRE_BROWSER=1 to make this a failure")
	case testing.Short() && !required:
		t.Skip("browser tests skipped in -short mode")
	}
	return p
}

// browser is one headless Chromium process serving one test.
type browser struct {
	t      *testing.T
	ta     *testApp
	ctx    context.Context // the first tab's context; owns the browser
	output *syncBuffer     // what Chromium printed, for failures
	mu     sync.Mutex
	tabs   []*tab
}

// syncBuffer is a goroutine-safe bytes buffer with a size cap.
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.b) < 1<<20 {
		s.b = append(s.b, p...)
	}
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

// newBrowser starts Chromium for a test of ta. It skips the test when there is no
// browser (see requireBrowser).
func newBrowser(t *testing.T, ta *testApp) *browser {
	t.Helper()
	exe := requireBrowser(t)
	dir, err := os.MkdirTemp("", "haven-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, ta: ta, output: &syncBuffer{}}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(dir),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(b.output),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b.ctx = ctx
	// On failure, screenshots of every tab first; then close the tabs, the browser and
	// remove its profile.
	t.Cleanup(func() {
		b.mu.Lock()
		for _, tb := range b.tabs {
			tb.console.mu.Lock()
			if len(tb.console.exceptions) > 0 {
				t.Errorf("%s: uncaught JavaScript exceptions:\n  %s", tb.name, strings.Join(tb.console.exceptions, "\n  "))
			}
			tb.console.mu.Unlock()
		}
		b.mu.Unlock()
		b.saveArtifacts()
		b.mu.Lock()
		for _, tb := range b.tabs {
			tb.cancel()
		}
		b.mu.Unlock()
		cancel()
		cancelAlloc()
		os.RemoveAll(dir)
	})
	if err := startWithin(ctx, browserStartTimeout); err != nil {
		t.Fatalf("starting %s: %v\n%s", exe, err, b.output.String())
	}
	return b
}

// startWithin runs the first (empty) Do on a chromedp context, which starts the
// browser or opens the tab, waiting at most d. The browser or tab lives as long as
// ctx: the first Do ties it to the context it is given (chromedp docs/API.md, example
// 21), so the timeout must not be in that context.
func startWithin(ctx context.Context, d time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		return fmt.Errorf("not started within %s", d)
	}
}

// tab is one person's browser tab, in its own browser context (own cookies).
type tab struct {
	t       *testing.T
	b       *browser
	name    string
	ctx     context.Context
	cancel  context.CancelFunc
	console *consoleLog
}

// consoleLog collects a tab's console errors; exceptions are the uncaught exceptions
// among them, which fail the test.
type consoleLog struct {
	mu         sync.Mutex
	errors     []string
	exceptions []string
}

// withT is the same tab reporting to t, for a subtest.
func (tb *tab) withT(t *testing.T) *tab {
	c := *tb
	c.t = t
	return &c
}

// newTab opens a tab in a fresh browser context, for the person called name.
func (b *browser) newTab(name string) *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	tb := &tab{t: b.t, b: b, name: name, ctx: ctx, cancel: cancel, console: &consoleLog{}}
	// The first Do opens the tab and ties it to the context it is given: give it ctx,
	// not a context with a timeout, or the tab would close when the timeout is freed.
	if err := startWithin(ctx, browserStartTimeout); err != nil {
		b.t.Fatalf("open a tab for %s: %v", name, err)
	}
	tb.setMedia("light")
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" {
				// Chromium logs a failed EventSource as an error when a page is left.
				if strings.Contains(m.Text, "EventSource") || strings.Contains(m.Text, "net::ERR_ABORTED") {
					continue
				}
				line := fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m.Text)
				tb.console.mu.Lock()
				tb.console.errors = append(tb.console.errors, line)
				if m.IsException() {
					tb.console.exceptions = append(tb.console.exceptions, line)
				}
				tb.console.mu.Unlock()
			}
		}
	}()
	b.mu.Lock()
	b.tabs = append(b.tabs, tb)
	b.mu.Unlock()
	return tb
}

// setMedia emulates the colour scheme ("light" or "dark") and reduced motion, so that
// focus moves scroll at once instead of smoothly.
func (tb *tab) setMedia(scheme string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
		{Name: "prefers-color-scheme", Value: scheme},
		{Name: "prefers-reduced-motion", Value: "reduce"},
	}})
	if err != nil {
		tb.t.Fatalf("%s: emulate %s colours: %v", tb.name, scheme, err)
	}
}

// saveArtifacts writes a screenshot and the HTML of every tab when the test failed.
func (b *browser) saveArtifacts() {
	if !b.t.Failed() {
		return
	}
	dir := os.Getenv("HAVEN_E2E_ARTIFACTS")
	var err error
	if dir == "" {
		dir, err = os.MkdirTemp("", "haven-e2e-artifacts-")
	}
	if err == nil {
		dir = filepath.Join(dir, safeFileName(b.t.Name()))
		err = os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		b.t.Logf("could not save screenshots: %v", err)
		return
	}
	b.mu.Lock()
	tabs := append([]*tab(nil), b.tabs...)
	b.mu.Unlock()
	for i, tb := range tabs {
		ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
		base := filepath.Join(dir, fmt.Sprintf("%02d-%s", i+1, safeFileName(tb.name)))
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(base+".png", png, 0o644)
		}
		if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.documentElement.outerHTML`)); err == nil {
			os.WriteFile(base+".html", []byte(html), 0o644)
		}
		cancel()
		tb.console.mu.Lock()
		if len(tb.console.errors) > 0 {
			b.t.Logf("%s: browser console errors:\n  %s", tb.name, strings.Join(tb.console.errors, "\n  "))
		}
		tb.console.mu.Unlock()
	}
	b.t.Logf("browser test failed: screenshots and page HTML saved in %s", dir)
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeFileName(s string) string { return unsafeFileChars.ReplaceAllString(s, "_") }

// step runs actions with the step timeout and fails the test on error.
func (tb *tab) step(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.t.Fatalf("%s: %s: %v (at %s)", tb.name, what, err, tb.url())
	}
}

// eval evaluates a JavaScript expression and decodes its value into T.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		tb.t.Fatalf("%s: evaluate %.80q: %v (at %s)", tb.name, expr, err, tb.url())
	}
	return v
}

// url is the tab's current address, or "?" when it cannot be read.
func (tb *tab) url() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	return u
}

// path is the path (and query) of the tab's current address, without the server.
func (tb *tab) path() string {
	return strings.TrimPrefix(tb.url(), tb.b.ta.srv.URL)
}

// open loads path and fails unless the page answered with a 2xx status.
func (tb *tab) open(path string) {
	tb.t.Helper()
	tb.openStatus(path, 200)
}

// openStatus loads path and fails unless the page answered with status want.
func (tb *tab) openStatus(path string, want int64) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(tb.b.ta.srv.URL+path))
	if err != nil {
		tb.t.Fatalf("%s: open %s: %v", tb.name, path, err)
	}
	if res == nil || res.Status != want {
		status := int64(0)
		if res != nil {
			status = res.Status
		}
		tb.t.Fatalf("%s: open %s: status %d, want %d: %s", tb.name, path, status, want, tb.mainText())
	}
}

// navigates runs the trigger (a key press, a click), waits for the page load it
// causes and fails unless the final page answered 2xx.
func (tb *tab) navigates(what string, trigger chromedp.Action[chromedp.Void]) *network.Response {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, trigger)
	if err != nil {
		tb.t.Fatalf("%s: %s: waiting for the next page: %v (at %s)", tb.name, what, err, tb.url())
	}
	if res == nil || res.Status < 200 || res.Status > 299 {
		status := int64(0)
		if res != nil {
			status = res.Status
		}
		tb.t.Fatalf("%s: %s: status %d at %s: %s", tb.name, what, status, tb.url(), tb.mainText())
	}
	return res
}

// mainText is the text of the page's main element, shortened, for failure messages.
func (tb *tab) mainText() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("main") || document.body || {innerText: ""}).innerText`))
	if err != nil {
		return "(no text: " + err.Error() + ")"
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// press sends keys (kb constants or text) to whatever has focus.
func (tb *tab) press(keys string, opts ...chromedp.KeyOption) {
	tb.t.Helper()
	tb.step(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys, opts...))
}

// typeText types text into the focused field: its first character key by key (so
// key handlers see a real key press), the rest as one text insertion, as an input
// method would, which is much faster than a key event per character.
func (tb *tab) typeText(text string) {
	tb.t.Helper()
	if text == "" {
		return
	}
	_, size := utf8.DecodeRuneInString(text)
	tb.press(text[:size])
	if rest := text[size:]; rest != "" {
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		defer cancel()
		if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: rest}); err != nil {
			tb.t.Fatalf("%s: type %q: %v", tb.name, rest, err)
		}
	}
}

// pressNav presses keys and waits for the page they load.
func (tb *tab) pressNav(keys string, opts ...chromedp.KeyOption) *network.Response {
	tb.t.Helper()
	return tb.navigates(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys, opts...))
}

// focusJS describes the focused element and whether its focus can be seen: an
// outline or a box shadow drawn by :focus-visible, or (for the skip link) the element
// moving into view.
const focusJS = `(async () => {
  for (let frame = 0; ; frame++) {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: "body", desc: "body", visible: false, matches: false};
  const cs = getComputedStyle(el);
  const outline = cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0;
  const shadow = cs.boxShadow && cs.boxShadow !== "none";
  const r = el.getBoundingClientRect();
  const onScreen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth;
  let desc = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const label = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40);
  if (label) desc += " " + JSON.stringify(label);
  const visible = (outline || shadow) && onScreen;
  // Style changes land on the next frames (a transition, even of 0.01ms under
  // reduced motion, needs one): look again before calling the focus invisible.
  if (!visible && frame < 3) {
    await new Promise(r => requestAnimationFrame(r));
    continue;
  }
  if (!visible) desc += " [outline " + cs.outlineStyle + " " + cs.outlineWidth + ", shadow " + cs.boxShadow + ", box " + [r.left, r.top, r.width, r.height].map(Math.round).join(",") + "]";
  return {tag: el.tagName.toLowerCase(), desc, visible, matches: el.matches(%s)};
  }
})()`

// focusState is the result of focusJS.
type focusState struct {
	Tag     string `json:"tag"`
	Desc    string `json:"desc"`
	Visible bool   `json:"visible"`
	Matches bool   `json:"matches"`
}

// focused describes the focused element and whether it matches the CSS selector sel.
func (tb *tab) focused(sel string) focusState {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	f, err := chromedp.Run(ctx, chromedp.Evaluate[focusState](fmt.Sprintf(focusJS, q), chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: read the focused element: %v (at %s)", tb.name, err, tb.path())
	}
	return f
}

// tabTo presses Tab (or Shift+Tab when back is set) until the focused element
// matches sel, failing when it takes more than max presses. Every element focused on
// the way must show a visible focus indicator: this is how the tests prove keyboard
// use of each flow.
func (tb *tab) tabTo(sel string, max int) {
	tb.t.Helper()
	tb.tabToDir(sel, max, false)
}

// tabBackTo is tabTo with Shift+Tab.
func (tb *tab) tabBackTo(sel string, max int) {
	tb.t.Helper()
	tb.tabToDir(sel, max, true)
}

func (tb *tab) tabToDir(sel string, max int, back bool) {
	tb.t.Helper()
	var opts []chromedp.KeyOption
	if back {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	if f := tb.focused(sel); f.Matches {
		if !f.Visible {
			tb.t.Errorf("%s: focus on %s is not visible (at %s)", tb.name, f.Desc, tb.path())
		}
		return
	}
	var path []string
	for i := 0; i < max; i++ {
		tb.press(kb.Tab, opts...)
		f := tb.focused(sel)
		path = append(path, f.Desc)
		if f.Tag != "body" && !f.Visible {
			tb.t.Errorf("%s: keyboard focus on %s cannot be seen (no outline or shadow, or off screen) at %s", tb.name, f.Desc, tb.path())
		}
		if f.Matches {
			return
		}
	}
	tb.t.Fatalf("%s: %q not reached with %d Tab presses at %s; focus went through:\n  %s", tb.name, sel, max, tb.path(), strings.Join(path, "\n  "))
}

// focusTop puts focus on the skip link, the first stop of the keyboard on every
// page, so that the next Tab goes on from the top of the page (as after a fresh page
// load, whatever part of the page the address's #fragment scrolled to).
func (tb *tab) focusTop() {
	tb.t.Helper()
	if !eval[bool](tb, `(() => { const a = document.querySelector("a.skip-link"); if (!a) return false; a.focus(); return document.activeElement === a; })()`) {
		tb.t.Fatalf("%s: no skip link to start from at %s", tb.name, tb.path())
	}
}

// text is the trimmed text of the first element matching sel, waiting for it.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		tb.t.Fatalf("%s: text of %s: %v (at %s): %s", tb.name, sel, err, tb.path(), tb.mainText())
	}
	return strings.Join(strings.Fields(s), " ")
}

// count is how many elements match sel now.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	return eval[int](tb, fmt.Sprintf(`document.querySelectorAll(%s).length`, q))
}

// waitFor waits until the JavaScript expression is truthy.
func (tb *tab) waitFor(what, expr string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(stepTimeout))); err != nil {
		tb.t.Fatalf("%s: waiting for %s: %v (at %s): %s", tb.name, what, err, tb.path(), tb.mainText())
	}
}

// attr is the attribute name of the first element matching sel ("" when absent).
func (tb *tab) attr(sel, name string) string {
	tb.t.Helper()
	q, _ := json.Marshal(sel)
	n, _ := json.Marshal(name)
	return eval[string](tb, fmt.Sprintf(`(document.querySelector(%s) || {getAttribute: () => ""}).getAttribute(%s) || ""`, q, n))
}

// signIn signs in on the local sign-in page with the keyboard alone: name, role by
// arrow keys, then Enter on the button.
func (tb *tab) signIn(name, role string) {
	tb.t.Helper()
	tb.open("/auth/local")
	tb.tabTo("#name", 40)
	tb.typeText(name)
	tb.tabTo(`input[name="role"]:checked`, 3)
	for i := 0; i < 3 && tb.attr(`input[name="role"]:checked`, "value") != role; i++ {
		tb.press(kb.ArrowDown)
	}
	if got := tb.attr(`input[name="role"]:checked`, "value"); got != role {
		tb.t.Fatalf("%s: role %q could not be chosen with the arrow keys (got %q)", tb.name, role, got)
	}
	tb.tabTo(`form:has(#name) button[type="submit"]`, 3)
	tb.pressNav(kb.Enter)
	if got := tb.count(`form[action="/auth/logout"]`); got != 1 {
		tb.t.Fatalf("%s: not signed in after the local sign-in form (at %s): %s", tb.name, tb.path(), tb.mainText())
	}
}

// axeViolation is one failed axe-core rule with the elements that fail it.
type axeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	HelpURL string `json:"helpUrl"`
	Nodes   []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeTags are the rule sets checked: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and
// axe's best practices (reported, failing only when serious or critical).
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// axe runs axe-core on the current page and returns its violations: of the rules
// named, or of every rule tagged with axeTags when none is named.
func (tb *tab) axe(rules ...string) []axeViolation {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 2*stepTimeout)
	defer cancel()
	// The page's CSP does not apply to DevTools evaluation, so axe needs no exemption.
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`))
	if err == nil && !loaded {
		_, err = chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeSource))
	}
	if err != nil {
		tb.t.Fatalf("%s: inject axe-core: %v", tb.name, err)
	}
	only, _ := json.Marshal(map[string]any{"type": "tag", "values": axeTags})
	if len(rules) > 0 {
		only, _ = json.Marshal(map[string]any{"type": "rule", "values": rules})
	}
	// Let style changes settle first: a change of colour scheme starts transitions
	// (0.01ms under reduced motion, but they still need frames), and axe must see the
	// final colours.
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`(async () => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await Promise.all(document.getAnimations().map(a => a.finished.catch(() => {})));
  const r = await axe.run(document, {runOnly: `+string(only)+`, resultTypes: ["violations"]});
  return r.violations;
})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s: run axe-core: %v", tb.name, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal(raw, &vs); err != nil {
		tb.t.Fatalf("%s: decode axe-core results: %v", tb.name, err)
	}
	return vs
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
