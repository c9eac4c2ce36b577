//go:build js && wasm

// Command edge is the relay's Cloudflare Worker: package relay's handler served by
// github.com/syumai/workers. Build it with `make relay-build`, run it locally in workerd with
// `make relay`; examples/edge-relay shows how to deploy it with wrangler.
//
// syumai/workers runs a new Go instance for every request (the program ends after its response),
// so nothing in Go memory survives a request: the rate-limit buckets live in the entry module's
// JavaScript scope (edge/entry.mjs) and reach Go as the RELAY_LIMITS binding.
package main

import (
	"net/http"
	"syscall/js"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"
	"github.com/syumai/workers/cloudflare/fetch"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
)

func main() {
	workers.Serve(newHandler())
}

// newHandler reads the Worker's variables and bindings; a configuration error answers 500 to
// every request, naming what is wrong.
func newHandler() http.Handler {
	cfg, err := relay.ConfigFromEnv(cloudflare.Getenv)
	if err != nil {
		return relay.ConfigErrorHandler(err)
	}
	cfg.TrustCFConnectingIP = true // on Cloudflare it is the address that connected to Cloudflare
	return relay.NewHandler(cfg, relay.Deps{
		Client: fetch.NewClient(fetch.WithBinding(realGlobal())).HTTPClient(fetch.RedirectModeManual),
		Store:  storeFrom(cloudflare.GetBinding("RELAY_LIMITS")),
	})
}

// realGlobal returns the runtime's own globalThis. syumai's wasm_exec.js hands Go a Proxy of it
// (to add "context"), and fetch.NewClient() calls fetch with that Proxy as this, which workerd
// refuses ("Illegal invocation: function called with incorrect this reference").
func realGlobal() js.Value {
	return js.Global().Get("globalThis")
}
