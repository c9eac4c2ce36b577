//go:build js && wasm

package wasm

import "syscall/js"

// Env holds the JavaScript objects the module works with.
type Env struct {
	// Window is read for "heap" at every call, so the stub, its replacement and the loaded SDK
	// are each used in turn, never a cached copy.
	Window js.Value
	// Console receives the bridge's messages.
	Console js.Value
	// Object is the page's Object constructor, used to build property objects.
	Object js.Value
	// Boot is the loader's handoff: settings, overflow, attach(api), ready(), fail(message).
	Boot js.Value
}
