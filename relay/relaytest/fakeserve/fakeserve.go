// Package fakeserve holds what the fake APIs (relaytest/fakeheap, relaytest/fakeuserpilot) and
// their commands (relaytest/cmd/...) share: serving until a signal, queued failures, scopes.
package fakeserve

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
)

// Main is a fake API command: flags -addr and -<key> (required, described by usage), serving
// handler(key's value) on addr until SIGINT or SIGTERM.
func Main(name, key, usage string, handler func(string) http.Handler) {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	value := flag.String(key, "", usage+" (required)")
	flag.Parse()
	if *value == "" {
		fmt.Fprintf(os.Stderr, "%s: -%s is required\n", name, key)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, *addr, name, handler(*value), os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Run serves h on addr until ctx ends, then shuts down cleanly. Once listening it writes
// "<name> listening on http://<address>" and a newline to out.
func Run(ctx context.Context, addr, name string, h http.Handler, out io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(out, "%s listening on http://%s\n", name, ln.Addr()) // the one line scripts wait for
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
