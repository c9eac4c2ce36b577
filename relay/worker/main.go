//go:build js && wasm

// Command edge is the relay's Cloudflare Worker: package relay's handler, served by package serve
// from one Go instance per isolate. Build it with `make relay-build`, run it locally in workerd
// with `make relay`; examples/edge-relay shows how to deploy it with wrangler.
//
// The entry module (relay/worker/entry.mjs, with relay/worker/serve.mjs) starts this program on an isolate's
// first request and hands it every request after that. The build assets around it (wasm_exec.js
// and runtime.mjs) come from github.com/syumai/workers' workers-assets-gen. The buckets
// of the per-isolate first brake on a client address live in the entry module's scope and reach Go
// as the RELAY_LIMITS binding, so they outlive an instance that the glue replaces; the client
// limits that hold across isolates are counted by the event queue's Durable Objects.
package main

import (
	"net/http"
	"syscall/js"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/worker/serve"
)

// maxAnswerBytes is how much of an API's answer the Worker reads: Heap answers with an empty body,
// Userpilot's Bulk Identify with a small job object.
const maxAnswerBytes = 64 << 10

func main() {
	// syumai's wasm_exec.js hands Go the runtime context as the global "context".
	binding := js.Global().Get("context").Get("binding")
	installDurable(binding)
	serve.Serve(binding, newHandler)
	select {}
}

// newHandler reads the Worker's variables and bindings from env; a configuration error answers
// 500 to every request, naming what is wrong.
func newHandler(env js.Value) http.Handler {
	cfg, err := relay.ConfigFromEnv(getenv(env))
	if err != nil {
		return withInstanceHealth(relay.ConfigErrorHandler(err))
	}
	cfg.TrustCFConnectingIP = true // on Cloudflare it is the address that connected to Cloudflare
	// Manual: Heap's and Userpilot's answers come back as they are; the relay does not follow redirects.
	client := serve.Fetch{Redirect: serve.RedirectManual, MaxResponseBytes: maxAnswerBytes}
	deps := relay.Deps{Client: client, Store: storeFrom(env.Get("RELAY_LIMITS")), Log: logLine}
	if ns := env.Get("EVENTS"); ns.Type() == js.TypeObject {
		deps.Queue = relay.NewRemoteQueue(client) // the shards' Durable Objects; else this instance's memory
	}
	if ns := env.Get("SEGMENTS"); ns.Type() == js.TypeObject && cfg.UserpilotAPIKey != "" {
		deps.Segments = relay.NewRemoteSegments(client, cfg.UserpilotAPIKey) // the key's Durable Object
	}
	return withInstanceHealth(relay.NewHandler(cfg, deps))
}

// getenv reads a Worker variable (a text binding) from env; anything else reads as unset.
func getenv(env js.Value) func(string) string {
	return func(name string) string {
		if v := env.Get(name); v.Type() == js.TypeString {
			return v.String()
		}
		return ""
	}
}
