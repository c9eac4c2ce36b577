//go:build js && wasm

// Command empty is the smallest syscall/js program: the size and start-up yardstick for the bridge.
package main

import "syscall/js"

func main() {
	js.Global()
	select {} // stay alive like the bridge does, waiting for callbacks
}
