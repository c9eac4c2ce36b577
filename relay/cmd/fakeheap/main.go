// Command fakeheap serves the fake Heap track API (package fakeheap) for manual and browser tests.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/fakeheap"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/fakeserve"
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
	return fakeserve.Run(ctx, addr, "fakeheap", fakeheap.New(appID), out)
}
