//go:build js && wasm

package serve

import (
	"context"
	"sync"
	"syscall/js"
)

// result is what the glue delivers for a call: a fetch's answer or a chunk of a request body.
type result struct {
	status int
	head   string
	body   []byte
	err    string
	more   bool // a body chunk: more follows; a fetch: the body was cut at its limit
}

// calls are the port calls waiting for deliver, by call number.
var calls = struct {
	sync.Mutex
	next    int
	waiting map[int]chan result
}{waiting: map[int]chan result{}}

// await makes a port call through send (given the call's number) and waits for its result, or
// for ctx to end, when it forgets the call: a late deliver then finds nobody.
func await(ctx context.Context, send func(call int)) (result, error) {
	call, ch := expect()
	send(call)
	return wait(ctx, call, ch)
}

// expect numbers a port call and registers where its result goes.
func expect() (int, chan result) {
	calls.Lock()
	defer calls.Unlock()
	calls.next++
	ch := make(chan result, 1)
	calls.waiting[calls.next] = ch
	return calls.next, ch
}

// wait waits for call's result on ch, or for ctx to end, when it forgets the call.
func wait(ctx context.Context, call int, ch chan result) (result, error) {
	select {
	case res := <-ch:
		return res, nil
	case <-ctx.Done():
		forget(call)
		return result{}, ctx.Err()
	}
}

// forget drops a call nobody waits for any more.
func forget(call int) {
	calls.Lock()
	delete(calls.waiting, call)
	calls.Unlock()
}

// deliverJS hands the glue's result to the goroutine waiting on the call; it never blocks.
// Arguments: call, status, head, body (Uint8Array or null), error ("" for none), more.
func deliverJS(_ js.Value, args []js.Value) any {
	if len(args) < 6 || args[0].Type() != js.TypeNumber {
		return nil
	}
	call := args[0].Int()
	calls.Lock()
	ch := calls.waiting[call]
	delete(calls.waiting, call)
	calls.Unlock()
	if ch == nil {
		return nil
	}
	res := result{body: bytesOf(args[3]), more: args[5].Truthy()}
	if args[1].Type() == js.TypeNumber {
		res.status = args[1].Int()
	}
	if args[2].Type() == js.TypeString {
		res.head = args[2].String()
	}
	if args[4].Type() == js.TypeString {
		res.err = args[4].String()
	}
	ch <- res
	return nil
}
