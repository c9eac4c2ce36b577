package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// safety bounds how long a test waits for the server to end a connection, so a server that never
// does fails the test instead of hanging it. It is not a measure of anything.
const safety = 30 * time.Second

// shrunk is newServer with every timeout divided by 100, so a test sees them end connections
// quickly; a timeout that is not set stays unset.
func shrunk(t *testing.T) *http.Server {
	t.Helper()
	handler, err := newHandler(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(handler)
	for _, d := range []*time.Duration{&srv.ReadHeaderTimeout, &srv.ReadTimeout, &srv.IdleTimeout, &srv.WriteTimeout} {
		*d /= 100
	}
	return srv
}

// serveOn serves srv on a free loopback port until the test ends.
func serveOn(t *testing.T, srv *http.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// endsConnection reads from conn until the server answers and closes it, or closes it; it fails
// the test if neither happens within safety.
func endsConnection(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(safety))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept the connection open for %v", safety)
	}
}

// TestServerTimeouts tests that the demo's server sets read and idle timeouts.
func TestServerTimeouts(t *testing.T) {
	srv := newServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.WriteTimeout <= 0 {
		t.Errorf("timeouts: header %v, read %v, idle %v, write %v; want all set",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout, srv.WriteTimeout)
	}
}

// TestSlowBodyIsCutOff tests that a relay request whose body never finishes arriving does not
// hold its connection.
func TestSlowBodyIsCutOff(t *testing.T) {
	conn, err := net.Dial("tcp", serveOn(t, shrunk(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST "+relayPrefix+"v1/events HTTP/1.1\r\nHost: demo\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"events\":[")
	endsConnection(t, conn) // the rest of the body never comes
}

// TestIdleConnectionIsClosed tests that a kept-alive connection with no next request is closed.
func TestIdleConnectionIsClosed(t *testing.T) {
	conn, err := net.Dial("tcp", serveOn(t, shrunk(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET "+relayPrefix+"v1/health HTTP/1.1\r\nHost: demo\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ok") || resp.Close {
		t.Fatalf("health: %d %s, close %v", resp.StatusCode, body, resp.Close)
	}
	endsConnection(t, conn) // no second request
}
