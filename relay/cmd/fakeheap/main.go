// Command fakeheap serves the fake Heap track API (package fakeheap) for manual and browser tests.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/fakeheap"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	appID := flag.String("app-id", "", "the Heap app_id to accept (required)")
	flag.Parse()
	if *appID == "" {
		fmt.Fprintln(os.Stderr, "fakeheap: -app-id is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *appID, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakeheap:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends (SIGINT or SIGTERM), then shuts down cleanly.
func run(ctx context.Context, addr, appID string, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fakeheap.New(appID), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "fakeheap listening on http://%s\n", ln.Addr()) // the one line scripts wait for
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
