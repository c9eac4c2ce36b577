//go:build !(js && wasm)

package relay

import "net/http"

// defaultSender is the Sender for Deps without one: net/http's default client.
func defaultSender() Sender { return http.DefaultClient }

// noRedirects returns a copy of an *http.Client sender that hands every 3xx answer back instead of
// following it, so the relay decides (forwarder.post): a followed 301 turns the POST into a GET,
// whose 200 says nothing about the events. Other senders are kept as they are.
func noRedirects(s Sender) Sender {
	c, ok := s.(*http.Client)
	if !ok {
		return s
	}
	out := *c
	out.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &out
}
