package fakeserve

import "sync"

// Scopes keeps a fake's records, one per scope, each with its own queued failures, so that tests
// running at once against one fake each see only their own traffic (ScopeOf names a request's
// scope). It is safe for concurrent use.
type Scopes[R any] struct {
	fresh  func() R
	mu     sync.Mutex
	scopes map[string]*Scope[R]
}

// Scope is one scope's record and queued failures.
type Scope[R any] struct {
	Record R
	Fail   Failures
}

// NewScopes returns Scopes whose records start as fresh returns them.
func NewScopes[R any](fresh func() R) *Scopes[R] {
	return &Scopes[R]{fresh: fresh, scopes: map[string]*Scope[R]{}}
}

// In runs f on scope's Scope, made when it is new, holding the lock.
func (s *Scopes[R]) In(scope string, f func(*Scope[R])) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.scopes[scope]
	if sc == nil {
		sc = &Scope[R]{Record: s.fresh()}
		s.scopes[scope] = sc
	}
	f(sc)
}

// FailIn queues statuses to answer the next requests of scope with, each with Retry-After
// retryAfter when it is not empty.
func (s *Scopes[R]) FailIn(scope, retryAfter string, statuses ...int) {
	s.In(scope, func(sc *Scope[R]) { sc.Fail.Add(retryAfter, statuses...) })
}

// RedirectIn queues statuses (3xx) for the requests of scope, each with Location location.
func (s *Scopes[R]) RedirectIn(scope, location string, statuses ...int) {
	s.In(scope, func(sc *Scope[R]) { sc.Fail.Redirect(location, statuses...) })
}

// Reset forgets every scope's record and queued failures.
func (s *Scopes[R]) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scopes = map[string]*Scope[R]{}
}

// Controls are the control endpoints over these scopes; snapshot reports a scope's record at
// GET snapshotPath.
func (s *Scopes[R]) Controls(snapshotPath string, snapshot func(scope string) any) Controls {
	return Controls{
		SnapshotPath: snapshotPath,
		Fail:         func(scope string, f Failure) { s.In(scope, func(sc *Scope[R]) { sc.Fail.Apply(f) }) },
		Snapshot:     snapshot,
		Reset:        s.Reset,
	}
}
