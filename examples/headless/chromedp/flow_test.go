// An end-to-end test a front-end team can copy: serve the app, open it with the bridge recording
// (?userpilot-heap-bridge-record), go through a Userpilot flow, and assert what reached Heap.
// Run: cd examples/headless/chromedp && go test ./...
package headless

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Paths are relative to this folder, where `go test` runs.
var folders = map[string]string{
	"/dist/":     "../../../dist",
	"/standins/": "../../demo/standins",
	"/app/":      "../app",
}

// The stand-ins' own URLs (Userpilot's app.js, Heap's SDK) map to their files.
var aliases = []struct {
	re   *regexp.Regexp
	path string
}{
	{regexp.MustCompile(`^/standins/userpilot/version/[^/]+/app\.js$`), "/standins/userpilot/app.js"},
	{regexp.MustCompile(`^/heap-cdn/js/heap-[^/]+\.js$`), "/standins/heap/heap-sdk.js"},
}

func handler() http.Handler {
	mux := http.NewServeMux()
	for prefix, dir := range folders {
		// http.FileServer serves .wasm as application/wasm, which streaming compilation needs.
		mux.Handle(prefix, http.StripPrefix(prefix, http.FileServer(http.Dir(dir))))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, a := range aliases {
			if a.re.MatchString(r.URL.Path) {
				r.URL.Path = a.path
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// serve starts the app on 127.0.0.1 and stops it when the test ends.
func serve(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler()}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// browser starts headless Chromium with a fresh profile and returns a tab's context.
func browser(t *testing.T) context.Context {
	exec := os.Getenv("CHROMIUM")
	if exec == "" {
		exec = "/usr/bin/chromium"
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exec),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	return tab
}

type call struct {
	Method string `json:"method"`
	Args   []any  `json:"args"`
}

func TestOnboardingTourReachesHeap(t *testing.T) {
	origin := serve(t)
	tab := browser(t)
	// The first Run starts the browser for the tab's lifetime, so it gets no timeout (chromedp.Run).
	if err := chromedp.Do(tab, chromedp.Navigate(origin+"/app/?userpilot-heap-bridge-record")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()

	err := chromedp.Do(ctx,
		// The bridge must be running; with the stand-in, also wait for Userpilot's SDK to load.
		chromedp.Evaluate[chromedp.Void](`UserpilotHeapBridge.ready()`, chromedp.EvalAwaitPromise),
		chromedp.Poll[chromedp.Void](`window.userpilotStandIn && window.userpilotStandIn.loaded`),
		chromedp.Click(chromedp.CSS("#start-tour")),
		chromedp.Click(chromedp.CSS("#next")),
		chromedp.Click(chromedp.CSS("#next")),
		// Rejects (an error here) if the event has not reached Heap within 5 s.
		chromedp.Evaluate[chromedp.Void](`UserpilotHeapBridge.whenForwarded('Userpilot Experience (completed)', 5000)`, chromedp.EvalAwaitPromise),
	)
	if err != nil {
		t.Fatal(err)
	}
	calls, err := chromedp.Run(ctx, chromedp.Evaluate[[]call](`UserpilotHeapBridge.history()`))
	if err != nil {
		t.Fatal(err)
	}

	props := func(extra map[string]any) map[string]any {
		p := map[string]any{"experience_id": "onboarding", "experience_token": "tok-onboarding", "userpilot_user_id": "user-42"}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	// JSON numbers decode as float64.
	want := []call{
		{"identify", []any{"user-42"}},
		{"track", []any{"Userpilot Experience (started)", props(nil)}},
		{"track", []any{"Userpilot Experience (step)", props(map[string]any{"step": 1.0, "total_steps": 2.0})}},
		{"track", []any{"Userpilot Experience (step)", props(map[string]any{"step": 2.0, "total_steps": 2.0})}},
		{"track", []any{"Userpilot Experience (completed)", props(nil)}},
	}
	if !reflect.DeepEqual(calls, want) {
		t.Fatalf("Heap calls:\n got %v\nwant %v", calls, want)
	}
}

// The folders must exist, or the test would only see 404s; say so plainly.
func TestMain(m *testing.M) {
	for _, dir := range folders {
		if _, err := os.Stat(filepath.Clean(dir)); err != nil {
			println("missing", dir, "- run `make build` at the repository root first")
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}
