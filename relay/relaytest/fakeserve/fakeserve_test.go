package fakeserve

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRun tests the one "listening" line, serving, and a clean stop when the context ends.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	go func() { done <- Run(ctx, "127.0.0.1:0", "fakething", h, w) }()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "fakething listening on ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("line %q", line)
	}
	resp, err := http.Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot {
		t.Errorf("status %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

// TestRunBadAddress tests that a bad address is an error, not a hang.
func TestRunBadAddress(t *testing.T) {
	if err := Run(context.Background(), "256.0.0.1:0", "fakething", http.NotFoundHandler(), io.Discard); err == nil {
		t.Error("no error for a bad address")
	}
}

// TestCommands builds both fake commands and tests each: its required flag, its listening line,
// its API answering a good request, and a clean exit on SIGTERM.
func TestCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two commands")
	}
	dir := t.TempDir()
	for _, c := range []struct {
		name, flag, value, path, body, auth string
		status                              int
	}{
		{"fakeheap", "-app-id", "7", "/api/track", `{"app_id":"7","identity":"u","event":"e"}`, "", 200},
		{"fakeuserpilot", "-api-key", "k", "/v1/users/bulk_identify", `{"users":[{"user_id":"u"}]}`, "Token k", 202},
	} {
		t.Run(c.name, func(t *testing.T) {
			bin := filepath.Join(dir, c.name)
			goCmd := os.Getenv("GO")
			if goCmd == "" {
				goCmd = "go"
			}
			if out, err := exec.Command(goCmd, "build", "-o", bin, "../cmd/"+c.name).CombinedOutput(); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
			if out, err := exec.Command(bin).CombinedOutput(); err == nil || !strings.Contains(string(out), c.flag+" is required") {
				t.Errorf("without %s: %v, %s", c.flag, err, out)
			}
			cmd := exec.Command(bin, c.flag, c.value)
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			line, err := bufio.NewReader(stdout).ReadString('\n')
			url, ok := strings.CutPrefix(strings.TrimSpace(line), c.name+" listening on ")
			if err != nil || !ok {
				t.Fatalf("line %q: %v", line, err)
			}
			req, _ := http.NewRequest(http.MethodPost, url+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.status {
				t.Errorf("POST %s: %d, want %d", c.path, resp.StatusCode, c.status)
			}
			cmd.Process.Signal(syscall.SIGTERM)
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil {
					t.Errorf("exit after SIGTERM: %v", err)
				}
			case <-time.After(30 * time.Second): // a bound on a hang, not a measure
				t.Fatal("no exit after SIGTERM")
			}
		})
	}
}
