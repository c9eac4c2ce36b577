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

// Kept returns the loader's numbers (Input.Num) of the events held here, waiting for window.heap or
// consent or, recovered, for the page's identity: the page stores them if it is hidden
// (docs/leaving-the-page.md). Events whose id is in beaconed go by the standby beacon instead, one
// way only. Never nil, so an empty list differs from none sent.
func (b *Bridge) Kept(beaconed map[string]bool) []int {
	kept := make([]int, 0, len(b.recovered.held))
	if !b.settings.Persist {
		return kept
	}
	for _, r := range b.recovered.held {
		kept = append(kept, r.num)
	}
	for _, p := range b.pending {
		if p.isEvent && p.call.Src > 0 && !beaconed[p.call.ID] {
			kept = append(kept, p.call.Src)
		}
	}
	return kept
}
