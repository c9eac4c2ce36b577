//go:build js && wasm

package relay

import (
	"errors"
	"net/http"
)

// defaultSender is the Sender for Deps without one. A js/wasm build links no net/http client (it
// would bring http.Transport, TLS and http2 into the Worker), so the caller must pass a Sender.
func defaultSender() Sender { return noSender{} }

// noSender fails every request, naming what is missing.
type noSender struct{}

func (noSender) Do(*http.Request) (*http.Response, error) {
	return nil, errors.New("relay: Deps.Client is nil; a js/wasm build must pass a Sender")
}

// noRedirects keeps the sender: in the Worker, the fetch sender asks for redirect mode manual.
func noRedirects(s Sender) Sender { return s }
