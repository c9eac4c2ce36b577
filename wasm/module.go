//go:build js && wasm

package wasm

import (
	"fmt"
	"syscall/js"
	"time"

	"github.com/norunners/vert"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/bridge"
)

// retryInterval is how often held calls are offered to window.heap while it is absent.
const retryInterval = 200 * time.Millisecond

// Module connects the loader to the core and the core to window.heap.
type Module struct {
	env        Env
	core       *bridge.Bridge
	delivering bool // a flush is under way; re-entrant receives only queue
	retrying   bool // a goroutine is offering held calls to Heap
	funcs      []js.Func
}

// Start reads the loader's handoff, attaches the module and signals ready. A failure is handed
// to the loader, which rejects ready() with it.
func Start(env Env) (m *Module, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("start failed: %v", r)
		}
		if err != nil {
			env.Boot.Call("fail", err.Error())
		}
	}()
	settingsValue, err := toValue(env.Boot.Get("settings"))
	if err != nil {
		return nil, fmt.Errorf("reading settings: %w", err)
	}
	settings, problems := bridge.ParseSettings(settingsValue)
	m = &Module{env: env, core: bridge.New(settings)}
	m.startPage()
	for _, p := range problems {
		m.core.Warn("settings:"+p, p)
	}
	if n := env.Boot.Get("overflow"); n.Type() == js.TypeNumber {
		m.core.RecordDrop(bridge.DropQueueFull, "events arrived faster than the module loaded", n.Int())
	}
	m.printMessages()
	receive := m.export(m.receive)
	stats := m.export(m.stats)
	api := env.Object.New()
	api.Set("receive", receive)
	api.Set("stats", stats)
	env.Boot.Call("attach", api) // the loader drains its queue through receive, in order
	env.Boot.Call("ready")
	return m, nil
}

// export wraps a handler so it returns at once and never lets a panic reach the page.
func (m *Module) export(h func(args []js.Value) any) js.Func {
	f := js.FuncOf(func(this js.Value, args []js.Value) (result any) {
		defer func() {
			if r := recover(); r != nil {
				m.core.RecordDrop(bridge.DropInternalError, fmt.Sprintf("%v", r), 1)
				m.printMessages()
				result = nil
			}
		}()
		return h(args)
	})
	m.funcs = append(m.funcs, f)
	return f
}

// receive takes one loader entry, runs it through the core and delivers what is owed.
func (m *Module) receive(args []js.Value) any {
	if len(args) == 0 {
		return nil
	}
	in, err := toInput(args[0])
	if err != nil {
		m.core.RecordDrop(bridge.DropInternalError, "unreadable entry from the loader: "+err.Error(), 1)
	} else {
		m.core.Receive(in)
	}
	m.flush()
	return nil
}

// stats returns the counters as a plain object.
func (m *Module) stats([]js.Value) any {
	return vert.ValueOf(m.core.Stats().Map()).JSValue()
}

// flush delivers held calls to Heap or the relay; if Heap is absent it keeps retrying from a
// goroutine.
func (m *Module) flush() {
	m.tick()
	if m.core.Waiting() && !m.retrying {
		m.retrying = true
		go m.retry()
	}
}

// deliverHeld offers held calls to Heap, unless a delivery is under way: a re-entrant receive
// (heap.track calling back into Userpilot) only queues, and the outer delivery picks it up.
func (m *Module) deliverHeld() {
	if m.delivering {
		return
	}
	m.delivering = true
	defer func() { m.delivering = false }()
	m.core.Flush(m.deliver)
}

// retry offers held calls to Heap until it takes them; it sleeps, so it runs in a goroutine.
func (m *Module) retry() {
	defer func() {
		m.retrying = false
		if r := recover(); r != nil {
			m.core.RecordDrop(bridge.DropInternalError, fmt.Sprintf("%v", r), 1)
		}
	}()
	for m.core.Waiting() {
		time.Sleep(retryInterval)
		m.tick()
	}
}

// tick offers held calls to Heap, sends what is due to the relay and prints the messages.
func (m *Module) tick() {
	m.deliverHeld()
	if !m.delivering {
		m.sendRelayBatches()
	}
	m.printMessages()
}

// printMessages writes the core's messages to the console.
func (m *Module) printMessages() {
	for _, msg := range m.core.Messages() {
		func() {
			defer func() { recover() }() // a replaced console must not break delivery
			m.env.Console.Call(msg.Level, "userpilot-heap-bridge: "+msg.Text)
		}()
	}
}
