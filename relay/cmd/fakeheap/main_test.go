package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRun tests the one "listening" line, serving, and a clean stop when the context ends.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", "7", w) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "fakeheap listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("line %q", line)
	}
	resp, err := http.Post(url+"/api/track", "application/json", strings.NewReader(`{"app_id":"7","identity":"u","event":"e"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("track: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

// TestRunBadAddress tests that a bad address is an error, not a hang.
func TestRunBadAddress(t *testing.T) {
	if err := run(context.Background(), "256.0.0.1:0", "7", io.Discard); err == nil {
		t.Error("no error for a bad address")
	}
}
