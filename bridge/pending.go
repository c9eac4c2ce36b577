package bridge

// The calls waiting for window.heap, in the order they are to be made (Bridge.pending).

import "errors"

// ErrHeapNotReady tells Flush that window.heap cannot take calls yet; the call is kept.
var ErrHeapNotReady = errors.New("window.heap is not ready")

// MaxPending bounds the calls held while window.heap is absent.
const MaxPending = 1000

// pendingCall is a call waiting for Heap; track calls remember their event for counting.
type pendingCall struct {
	call    Call
	isEvent bool
	// requeued: the page was handed this call and gave it back; the page waits for it (or for word
	// that it went elsewhere) before it makes later calls.
	requeued bool
}
