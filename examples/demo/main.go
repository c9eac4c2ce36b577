// Command demo serves a page with the Userpilot and Heap stand-ins and the bridge from dist/,
// so the bridge can be watched working without network access or real accounts.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

//go:embed index.html demo.js demo.css segments.html segments.js standins
var files embed.FS

// aliases map the CDN-shaped URLs the stand-in snippets request onto the embedded stand-ins.
var aliases = []struct {
	pattern *regexp.Regexp
	file    string
}{
	{regexp.MustCompile(`^/standins/userpilot/version/[^/]+/app\.js$`), "standins/userpilot/app.js"},
	{regexp.MustCompile(`^/standins/heap/cdn/js/heap-[^/]+\.js$`), "standins/heap/heap-sdk.js"},
	{regexp.MustCompile(`^/standins/heap/cdn/config/[^/]+/heap_config\.js$`), "standins/heap/heap-sdk.js"},
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on (falls back to a free port if busy)")
	dist := flag.String("dist", "", "directory holding the built bridge (default: dist/ of the enclosing repository)")
	flag.Parse()

	dir := *dist
	if dir == "" {
		dir = findDist()
	}
	ln, err := listen(*addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("userpilot-heap-bridge demo: http://%s/\n", ln.Addr())
	if _, err := os.Stat(filepath.Join(dir, "userpilot-heap-bridge.js")); err != nil {
		fmt.Printf("note: %s has no bridge build yet; run `make build`\n", dir)
	}

	origins := pageOrigins(ln.Addr())
	handler, err := newHandler(dir, origins)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Heap blocked by an ad-blocker: http://%s/?heap=blocked (edge relay at %sv1/events, ALLOWED_ORIGINS=%s)\n",
		ln.Addr(), relayPrefix, strings.Join(origins, ","))
	fmt.Printf("Heap segments to Userpilot: http://%s/segments.html (the relay takes Heap's signed webhook at %sv1/heap/segments)\n",
		ln.Addr(), relayPrefix)

	srv := newServer(handler)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// newServer is the demo's HTTP server for handler. Every timeout is set, so a client that sends a
// body slowly, reads slowly or keeps an idle connection cannot hold one for long; a relay request
// waits for Heap at most relay.DefaultHeapDeadline, well inside the write timeout.
func newServer(handler http.Handler) *http.Server {
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
}

// listen binds addr, or a free port on the same host when addr is taken.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	host, _, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		return nil, err
	}
	fmt.Printf("%s is busy (%v); using a free port\n", addr, err)
	return net.Listen("tcp", net.JoinHostPort(host, "0"))
}

// findDist walks up from the working directory to the repository root (go.mod) and returns its dist/.
func findDist() string {
	dir, err := os.Getwd()
	if err != nil {
		return "dist"
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "dist")
		}
		if filepath.Dir(d) == d {
			return filepath.Join(dir, "dist")
		}
	}
}

// newHandler serves the embedded demo at /, the stand-ins at /standins/, the bridge build at
// /dist/, and for the "Heap blocked" mode the edge relay (allowing origins), a fake Heap API and a
// blocked Heap CDN (relay.go).
func newHandler(distDir string, origins []string) (http.Handler, error) {
	static := http.FileServer(http.FS(files))
	mux := http.NewServeMux()
	if err := mountRelay(mux, origins); err != nil {
		return nil, fmt.Errorf("demo relay: %w", err)
	}
	mux.Handle("/dist/", http.StripPrefix("/dist/", wasmMIME(http.FileServer(http.Dir(distDir)))))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		for _, a := range aliases {
			if a.pattern.MatchString(r.URL.Path) {
				serveFile(w, r, a.file)
				return
			}
		}
		if r.URL.Path != "/" && !isEmbedded(strings.TrimPrefix(r.URL.Path, "/")) {
			http.NotFound(w, r)
			return
		}
		static.ServeHTTP(w, r)
	})
	return mux, nil
}

func isEmbedded(name string) bool {
	info, err := fs.Stat(files, name)
	return err == nil && !info.IsDir()
}

func serveFile(w http.ResponseWriter, r *http.Request, name string) {
	body, err := files.ReadFile(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	_, _ = w.Write(body)
}

// wasmMIME makes .wasm application/wasm whatever the system MIME table says, for instantiateStreaming.
func wasmMIME(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if strings.HasSuffix(r.URL.Path, ".wasm") {
			w.Header().Set("Content-Type", "application/wasm")
		}
		next.ServeHTTP(w, r)
	})
}
