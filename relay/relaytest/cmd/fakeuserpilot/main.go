// Command fakeuserpilot serves the fake Userpilot Bulk Identify API (package fakeuserpilot) for
// manual and workerd tests.
package main

import (
	"net/http"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeserve"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeuserpilot"
)

func main() {
	fakeserve.Main("fakeuserpilot", "api-key", `the Userpilot API key to accept as "Authorization: Token <key>"`,
		func(key string) http.Handler { return fakeuserpilot.New(key) })
}
