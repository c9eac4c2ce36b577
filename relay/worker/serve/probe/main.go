//go:build js && wasm

// Command probe is a Worker for the serving glue's tests (test/relay/serve.test.mjs), served by
// package serve like the relay, with routes that exercise what the relay does not show alone:
//
//	GET /v1/health                          {"ok": true, "instance": serve.Stats}
//	GET /sleep?ms=N                         sleeps N ms on a Go timer, then answers {"slept": ms}
//	GET /wait?label=L&ms=N&notify=URL       answers at once; WaitUntil work sleeps N ms, then
//	                                        fetches URL?event=work&label=L
//	GET /background?ms=N                    answers at once, leaving a goroutine that sleeps N ms
//	                                        outside any request, then counts itself in "woken"
//	GET /await?key=K                        waits until a later GET /signal?key=K (another request)
//	GET /signal?key=K                       wakes the request waiting on K
//	GET /crash                              a goroutine panics: the Go program exits
//	POST /echo                              answers the body it read, and its length
//	GET /fetch?url=URL&redirect=manual      fetches URL and answers its status and Location
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall/js"
	"time"

	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/internal/jsontext"
	"github.com/userpilot-heap-bridge/userpilot-heap-bridge/relay/worker/serve"
)

// woken counts /background goroutines that woke.
var woken atomic.Int64

// signals are the channels /await waits on and /signal closes, by key.
var signals = struct {
	sync.Mutex
	m map[string]chan struct{}
}{m: map[string]chan struct{}{}}

// signal returns key's channel, making it on first use.
func signal(key string) chan struct{} {
	signals.Lock()
	defer signals.Unlock()
	ch := signals.m[key]
	if ch == nil {
		ch = make(chan struct{})
		signals.m[key] = ch
	}
	return ch
}

func main() {
	serve.Serve(js.Global().Get("context").Get("binding"), func(js.Value) http.Handler { return http.HandlerFunc(route) })
	select {}
}

func route(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ms, _ := strconv.Atoi(q.Get("ms"))
	switch r.URL.Path {
	case "/v1/health":
		instance := jsontext.NewWriter(256)
		serve.ReadStats().WriteJSON(instance)
		reply(w, map[string]any{"ok": true, "instance": json.RawMessage(instance.Bytes())})
	case "/sleep":
		start := time.Now()
		time.Sleep(time.Duration(ms) * time.Millisecond)
		reply(w, map[string]any{"slept": time.Since(start).Milliseconds()})
	case "/wait":
		label, notify := q.Get("label"), q.Get("notify")
		ok := serve.WaitUntil(r.Context(), func(ctx context.Context) {
			time.Sleep(time.Duration(ms) * time.Millisecond)
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, notify+"?event=work&label="+url.QueryEscape(label), nil)
			if res, err := (serve.Fetch{}).Do(req); err == nil {
				res.Body.Close()
			}
		})
		reply(w, map[string]any{"label": label, "waiting": ok})
	case "/background":
		if ms > 0 {
			go func() {
				time.Sleep(time.Duration(ms) * time.Millisecond)
				woken.Add(1)
			}()
		}
		reply(w, map[string]any{"started": ms > 0, "woken": woken.Load()})
	case "/await":
		<-signal(q.Get("key"))
		reply(w, map[string]any{"woken": true})
	case "/signal":
		close(signal(q.Get("key")))
		reply(w, map[string]any{"signalled": true})
	case "/crash":
		go func() { panic("probe: crash on request") }()
		time.Sleep(time.Second)
		reply(w, map[string]any{"crashed": false})
	case "/echo":
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Length", strconv.Itoa(len(body)))
		w.Write(body)
	case "/fetch":
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, q.Get("url"), nil)
		res, err := (serve.Fetch{Redirect: q.Get("redirect")}).Do(req)
		if err != nil {
			reply(w, map[string]any{"error": err.Error()})
			return
		}
		body, _ := io.ReadAll(res.Body)
		reply(w, map[string]any{"status": res.StatusCode, "location": res.Header.Get("Location"), "body": string(body)})
	default:
		http.Error(w, fmt.Sprintf("no route %s", r.URL.Path), http.StatusNotFound)
	}
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
