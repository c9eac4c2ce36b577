//go:build js && wasm

package serve

import "context"

// WaitUntil runs f in a goroutine of its own and keeps the request ctx belongs to alive until f
// returns: the glue hands every request's runtime ctx.waitUntil a promise that settles only when
// the handler and all its WaitUntil work have ended, so the work is bound to its own request,
// never to another one that happens to be in flight. f gets a context that carries the request
// (Fetch works with it) and is not cancelled when the handler returns. WaitUntil returns false,
// and runs nothing, when ctx belongs to no request or its request has already ended.
func WaitUntil(ctx context.Context, f func(context.Context)) bool {
	r := fromContext(ctx)
	if r == nil || !r.hold() {
		return false
	}
	work := context.WithoutCancel(ctx)
	go func() {
		defer r.release()
		defer func() {
			if recover() != nil {
				r.s.count(func(c *counters) { c.panics++ })
			}
		}()
		f(work)
	}()
	return true
}
