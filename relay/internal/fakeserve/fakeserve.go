// Package fakeserve runs the commands that serve the fake APIs (relay/cmd/fakeheap,
// relay/cmd/fakeuserpilot): listen, print one line scripts wait for, stop cleanly.
package fakeserve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

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
