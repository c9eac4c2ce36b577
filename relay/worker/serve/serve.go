//go:build js && wasm

// Package serve answers every request of a Cloudflare Worker isolate from one Go instance. The
// entry module's glue (relay/worker/serve.mjs) starts the instance on the isolate's first request and
// keeps it: it hands Go each request through the binding's serve function, and Go answers through
// that request's port. Requests that overlap in time are served concurrently, each with its own
// context, environment, waitUntil and fetches.
//
// Everything that touches the runtime's I/O (reading the body, fetch, the answer, waitUntil) is
// done by the glue in the request's own JavaScript context: Go only posts to the request's port
// and is called back through deliver. workerd cancels a request's I/O and timers when that
// request ends, and Go runs every goroutine in whichever request's event woke it, so Go never
// starts I/O itself. Values cross the boundary as a few strings and byte arrays per request.
//
// The binding (JavaScript → Go):
//
//	serve(port, env, head, body, more) → request id, or -1 when Go could not take it
//	deliver(call, status, head, body, error, more)  the answer to a port's fetch or read
//	cancel(id)                                       the client went away
//
// The port (Go → JavaScript), one per request; each method only queues and returns:
//
//	respond(status, head, body)            the handler's answer
//	fetch(call, head, body, redirect, max) send a request; deliver(call, ...) answers
//	read(call)                             the next chunk of the request body; deliver answers
//	abort(call)                            give up a fetch
//	done()                                 the handler and its WaitUntil work have ended
//
// A head is "METHOD\nURL" (requests) or "" (answers), then "\nname\nvalue" for each header value.
package serve

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"syscall/js"
)

// Build makes the handler for the Worker's environment (its variables and bindings). Serve calls
// it again only when a request brings another environment object.
type Build func(env js.Value) http.Handler

// server is the state behind Serve: one per Go instance.
type server struct {
	build Build

	mu       sync.Mutex
	env      js.Value
	handler  http.Handler
	requests map[int]*request
	nextID   int
	stats    counters
	workers  *workers
}

// Serve installs serve, deliver and cancel on binding and returns; main then blocks for ever.
// info is what the glue says about this instance (see Stats).
func Serve(binding js.Value, build Build) {
	s := &server{build: build, requests: map[int]*request{}, workers: newWorkers()}
	s.stats.info = binding.Get("instance")
	current = s
	binding.Set("serve", js.FuncOf(s.serveJS))
	binding.Set("deliver", js.FuncOf(deliverJS))
	binding.Set("cancel", js.FuncOf(s.cancelJS))
}

// current is the server Serve installed, for Stats.
var current *server

// serveJS takes one request from the glue and starts its handler; it never blocks.
func (s *server) serveJS(_ js.Value, args []js.Value) (id any) {
	defer func() {
		if p := recover(); p != nil {
			s.count(func(c *counters) { c.failures++ })
			id = -1
		}
	}()
	if len(args) < 5 {
		return -1
	}
	port, env, head, body, more := args[0], args[1], args[2].String(), args[3], args[4].Truthy()
	h := s.handlerFor(env)
	r := s.newRequest(port)
	req, err := r.httpRequest(head, bytesOf(body), more)
	if err != nil {
		h, req = badRequest(err), r.emptyRequest()
	}
	s.workers.run(func() { r.run(h, req) })
	return r.id
}

// handlerFor returns the handler for env, building it when env is not the last one seen.
func (s *server) handlerFor(env js.Value) http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handler == nil || !env.Equal(s.env) {
		s.env, s.handler = env, s.build(env)
	}
	return s.handler
}

// cancelJS cancels the context of the request with the given id, if it is still being served.
func (s *server) cancelJS(_ js.Value, args []js.Value) any {
	if len(args) > 0 && args[0].Type() == js.TypeNumber {
		s.mu.Lock()
		r := s.requests[args[0].Int()]
		s.mu.Unlock()
		if r != nil {
			r.cancel()
		}
	}
	return nil
}

// count changes the counters under the lock.
func (s *server) count(f func(*counters)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// badRequest answers 400 naming err, for a request the glue handed over malformed.
func badRequest(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, fmt.Sprintf("serve: malformed request: %v", err), http.StatusBadRequest)
	})
}

// requestKey finds the request a context belongs to.
type requestKey struct{}

// fromContext returns the request ctx belongs to, or nil.
func fromContext(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}
