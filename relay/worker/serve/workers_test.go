//go:build js && wasm

package serve

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestWorkersRunJobsConcurrently tests that jobs waiting on each other all run: a busy worker is
// never handed another job.
func TestWorkersRunJobsConcurrently(t *testing.T) {
	w := newWorkers()
	for round := 0; round < 3; round++ { // later rounds find idle workers
		gate := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Add(1)
			w.run(func() { <-gate; wg.Done() })
		}
		close(gate)
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: the jobs did not all run", round)
		}
	}
}

// TestWorkersAreReused tests that jobs one after another reuse a goroutine, and that at most
// maxIdleWorkers wait after a burst.
func TestWorkersAreReused(t *testing.T) {
	w := newWorkers()
	before := runtime.NumGoroutine()
	for i := 0; i < 1000; i++ {
		done := make(chan struct{})
		w.run(func() { close(done) })
		<-done
	}
	runtime.Gosched()
	if n := runtime.NumGoroutine() - before; n > 1 {
		t.Errorf("%d goroutines left after 1,000 jobs one after another, want 1", n)
	}
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 3*maxIdleWorkers; i++ {
		wg.Add(1)
		w.run(func() { <-gate; wg.Done() })
	}
	close(gate)
	wg.Wait()
	for i := 0; i < 10; i++ {
		runtime.Gosched()
	}
	if n := runtime.NumGoroutine() - before; n > maxIdleWorkers {
		t.Errorf("%d goroutines left after a burst, want at most %d", n, maxIdleWorkers)
	}
}
