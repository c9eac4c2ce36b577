//go:build !(js && wasm)

package relay

import "net/http"

// defaultSender is the Sender for Deps without one: net/http's default client.
func defaultSender() Sender { return http.DefaultClient }
