package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestHandler(t *testing.T) {
	dist := t.TempDir()
	wasm := []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}
	if err := os.WriteFile(filepath.Join(dist, "userpilot-heap-bridge.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newHandler(dist))
	defer srv.Close()

	resp, body := get(t, srv.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(body, `src="/dist/userpilot-heap-bridge.js"`) {
		t.Fatalf("GET / = %d, page without the bridge tag", resp.StatusCode)
	}

	for _, path := range []string{
		"/standins/userpilot/latest.js",
		"/standins/userpilot/version/1.788/app.js",
		"/standins/heap/classic-snippet.js",
		"/standins/heap/cdn/js/heap-1234567890.js",
		"/standins/heap/cdn/config/1234567890/heap_config.js",
	} {
		resp, body := get(t, srv.URL+path)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || len(body) == 0 {
			t.Errorf("GET %s = %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}

	resp, body = get(t, srv.URL+"/dist/userpilot-heap-bridge.wasm")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" || body != string(wasm) {
		t.Fatalf("GET wasm = %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	for _, path := range []string{"/nope.html", "/dist/missing.js", "/standins/"} {
		if resp, _ := get(t, srv.URL+path); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestListenFallsBackWhenBusy(t *testing.T) {
	busy, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	ln, err := listen(busy.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if ln.Addr().String() == busy.Addr().String() {
		t.Fatal("expected a different port")
	}
}
