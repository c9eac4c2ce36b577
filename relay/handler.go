package relay

import (
	"net/http"
	"time"
)

// Deps are the relay's outside dependencies; nil fields get real defaults.
type Deps struct {
	Client *http.Client
	Store  Store
	Now    func() time.Time
	Sleep  func(time.Duration)
}

// NewHandler returns the relay's HTTP handler (CONTRACT §6).
func NewHandler(cfg Config, deps Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"not implemented yet"}`, http.StatusNotImplemented)
	})
}

// ConfigErrorHandler answers every request with 500 naming err, for when ConfigFromEnv fails.
func ConfigErrorHandler(err error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"relay is misconfigured"}`, http.StatusInternalServerError)
	})
}
