package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestRun tests the one "listening" line, serving Bulk Identify with the key, and a clean stop.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, "127.0.0.1:0", "k", w) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "fakeuserpilot listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("line %q", line)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/users/bulk_identify", strings.NewReader(`{"users":[{"user_id":"u"}]}`))
	req.Header.Set("Authorization", "Token k")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Errorf("bulk identify: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

// TestRunBadAddress tests that a bad address is an error, not a hang.
func TestRunBadAddress(t *testing.T) {
	if err := run(context.Background(), "256.0.0.1:0", "k", io.Discard); err == nil {
		t.Error("no error for a bad address")
	}
}
