// Command fakeuserpilot serves the fake Userpilot Bulk Identify API (package fakeuserpilot) for
// manual and workerd tests.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/fakeuserpilot"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/fakeserve"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	apiKey := flag.String("api-key", "", "the Userpilot API key to accept as \"Authorization: Token <key>\" (required)")
	flag.Parse()
	if *apiKey == "" {
		fmt.Fprintln(os.Stderr, "fakeuserpilot: -api-key is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *apiKey, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakeuserpilot:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends (SIGINT or SIGTERM), then shuts down cleanly.
func run(ctx context.Context, addr, apiKey string, out io.Writer) error {
	return fakeserve.Run(ctx, addr, "fakeuserpilot", fakeuserpilot.New(apiKey), out)
}
