//go:build js && wasm

package serve

import "sync"

// maxIdleWorkers bounds the goroutines kept waiting for a request after a burst.
const maxIdleWorkers = 64

// workers runs each request's handler on a goroutine that served one before, when one is idle:
// a new goroutine starts on a small stack and grows it (copying it each time) in every handler,
// and starting and ending one costs the scheduler too. Each request still has a goroutine of its
// own while it runs, so requests are served as concurrently as before.
type workers struct {
	mu   sync.Mutex
	idle int
	jobs chan func() // buffered to maxIdleWorkers: handing a job to an idle worker never blocks
}

func newWorkers() *workers { return &workers{jobs: make(chan func(), maxIdleWorkers)} }

// run starts f on an idle worker or on a new goroutine; it never blocks.
func (w *workers) run(f func()) {
	w.mu.Lock()
	if w.idle > 0 {
		w.idle--
		w.mu.Unlock()
		w.jobs <- f
		return
	}
	w.mu.Unlock()
	go w.work(f)
}

// work runs f, then waits for the next job unless enough workers already wait.
func (w *workers) work(f func()) {
	for {
		f()
		w.mu.Lock()
		if w.idle >= maxIdleWorkers {
			w.mu.Unlock()
			return
		}
		w.idle++
		w.mu.Unlock()
		f = <-w.jobs
	}
}
