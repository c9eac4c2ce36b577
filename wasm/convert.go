//go:build js && wasm

package wasm

import (
	"fmt"
	"syscall/js"

	"github.com/norunners/vert"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// toInput converts one loader entry (a plain, acyclic snapshot) into a core input.
func toInput(v js.Value) (in bridge.Input, err error) {
	defer recoverInto(&err)
	err = vert.ValueOf(v).AssignTo(&in)
	return in, err
}

// toValue converts one snapshot value into a core value.
func toValue(v js.Value) (out bridge.Value, err error) {
	defer recoverInto(&err)
	if v.IsUndefined() {
		return bridge.Value{Kind: bridge.KindUndefined}, nil
	}
	err = vert.ValueOf(v).AssignTo(&out)
	return out, err
}

// recoverInto turns a panic at the JS boundary into an error.
func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%v", r)
	}
}

// propertiesObject builds the plain object passed to heap.track, keys in order.
func propertiesObject(object js.Value, props []bridge.Property) js.Value {
	obj := object.New()
	for _, p := range props {
		obj.Set(p.Key, p.Value) // keys are never __proto__, constructor or prototype
	}
	return obj
}
