// Command fakeheap serves the fake Heap track API (package fakeheap) for manual and browser tests.
package main

import (
	"net/http"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeheap"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/relaytest/fakeserve"
)

func main() {
	fakeserve.Main("fakeheap", "app-id", "the Heap app_id to accept", func(appID string) http.Handler { return fakeheap.New(appID) })
}
