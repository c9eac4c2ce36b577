//go:build js && wasm

package serve

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

// fakePort records what Go posts to a request's port, as relay/worker/serve.mjs would receive it.
type fakePort struct {
	obj   js.Value
	posts chan []js.Value // method name first
	funcs []js.Func
}

func newFakePort(t *testing.T) *fakePort {
	p := &fakePort{obj: js.Global().Get("Object").New(), posts: make(chan []js.Value, 16)}
	for _, m := range []string{"respond", "fetch", "read", "abort", "done"} {
		m := m
		f := js.FuncOf(func(_ js.Value, args []js.Value) any {
			p.posts <- append([]js.Value{js.ValueOf(m)}, args...)
			return nil
		})
		p.funcs = append(p.funcs, f)
		p.obj.Set(m, f)
	}
	t.Cleanup(func() {
		for _, f := range p.funcs {
			f.Release()
		}
	})
	return p
}

// next returns the next post, failing after a while.
func (p *fakePort) next(t *testing.T) (string, []js.Value) {
	t.Helper()
	select {
	case post := <-p.posts:
		return post[0].String(), post[1:]
	case <-time.After(5 * time.Second):
		t.Fatal("nothing was posted to the port")
		return "", nil
	}
}

// served installs Serve on a fresh binding with h and returns the binding.
func served(h http.Handler) js.Value {
	binding := js.Global().Get("Object").New()
	info := js.Global().Get("Object").New()
	info.Set("generation", 3)
	binding.Set("instance", info)
	Serve(binding, func(js.Value) http.Handler { return h })
	return binding
}

func jsBytes(s string) js.Value {
	if s == "" {
		return js.Null()
	}
	return js.ValueOf(bytesToJS([]byte(s)))
}

func TestServeAnswersThroughThePort(t *testing.T) {
	var got *http.Request
	var body string
	b := served(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		raw, _ := io.ReadAll(r.Body)
		body = string(raw)
		w.Header().Set("X-Answer", "yes")
		w.Header().Set("Content-Length", "999") // the runtime sets the true length
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "made")
	}))
	port := newFakePort(t)
	head := "POST\nhttps://relay.example.com/v1/events?x=1\ncontent-type\napplication/json\ncf-connecting-ip\n203.0.113.9"
	id := b.Call("serve", port.obj, js.Global().Get("Object").New(), head, jsBytes(`{"a":1}`), false)
	if id.Int() <= 0 {
		t.Fatalf("serve returned %v", id)
	}
	method, args := port.next(t)
	if method != "respond" || args[0].Int() != 201 {
		t.Fatalf("posted %s %v", method, args)
	}
	if h := args[1].String(); !strings.Contains(h, "\nX-Answer\nyes") || strings.Contains(h, "Content-Length") {
		t.Errorf("answer head %q", h)
	}
	if b := string(bytesOf(args[2])); b != "made" {
		t.Errorf("answer body %q", b)
	}
	if m, _ := port.next(t); m != "done" {
		t.Errorf("then posted %s, want done", m)
	}
	if got.Method != "POST" || got.URL.Path != "/v1/events" || got.URL.RawQuery != "x=1" || got.Host != "relay.example.com" {
		t.Errorf("request %s %s host %s", got.Method, got.URL, got.Host)
	}
	if got.Header.Get("Content-Type") != "application/json" || got.RemoteAddr != "203.0.113.9" || got.ContentLength != 7 || body != `{"a":1}` {
		t.Errorf("header %v, RemoteAddr %q, ContentLength %d, body %q", got.Header, got.RemoteAddr, got.ContentLength, body)
	}
	if got.Context().Err() == nil {
		t.Error("the request's context is not cancelled once the handler returned")
	}
	if st := ReadStats(); st.Generation != 3 || st.InFlight != 0 || st.Requests < 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestBodyIsPulledPastTheFirstRead(t *testing.T) {
	bodies := make(chan string, 1)
	b := served(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			raw = []byte("error: " + err.Error())
		}
		bodies <- string(raw)
	}))
	port := newFakePort(t)
	b.Call("serve", port.obj, js.Undefined(), "POST\nhttps://x/echo\ncontent-length\n9", jsBytes("abc"), true)
	for _, chunk := range []string{"def", "ghi", ""} {
		method, args := port.next(t)
		if method != "read" {
			t.Fatalf("posted %s, want read", method)
		}
		b.Call("deliver", args[0], 0, "", jsBytes(chunk), "", chunk != "")
	}
	if got := <-bodies; got != "abcdefghi" {
		t.Errorf("body %q", got)
	}
}

func TestFetchGoesThroughTheRequestsPort(t *testing.T) {
	results := make(chan string, 1)
	b := served(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, "https://heap.example.com/api/track", strings.NewReader("payload"))
		req.Header.Set("Content-Type", "application/json")
		res, err := (Fetch{Redirect: RedirectManual, MaxResponseBytes: 4}).Do(req)
		if err != nil {
			results <- "error: " + err.Error()
			return
		}
		raw, err := io.ReadAll(res.Body)
		results <- res.Status + " " + res.Header.Get("Location") + " " + string(raw) + " " + errText(err)
	}))
	port := newFakePort(t)
	b.Call("serve", port.obj, js.Undefined(), "GET\nhttps://x/", js.Null(), false)
	method, args := port.next(t)
	if method != "fetch" {
		t.Fatalf("posted %s, want fetch", method)
	}
	if head := args[1].String(); head != "POST\nhttps://heap.example.com/api/track\nContent-Type\napplication/json" {
		t.Errorf("fetch head %q", head)
	}
	if string(bytesOf(args[2])) != "payload" || args[3].String() != "manual" || args[4].Int() != 4 {
		t.Errorf("fetch body %q, redirect %v, max %v", bytesOf(args[2]), args[3], args[4])
	}
	b.Call("deliver", args[0], 301, "\nLocation\nhttps://elsewhere/", jsBytes("movi"), "", true)
	if got := <-results; got != "301 Moved Permanently https://elsewhere/ movi serve: the answer's body is over 4 bytes" {
		t.Errorf("got %q", got)
	}
}

func TestDoAllPostsEveryFetchBeforeWaiting(t *testing.T) {
	results := make(chan string, 1)
	b := served(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var reqs []*http.Request
		for _, u := range []string{"do://EVENTS/events-0/health", "do://EVENTS/events-1/health", "do://EVENTS/events-2/health"} {
			req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
			reqs = append(reqs, req)
		}
		resps, errs := (Fetch{}).DoAll(reqs)
		var got []string
		for i := range reqs {
			if errs[i] != nil {
				got = append(got, "error: "+errs[i].Error())
				continue
			}
			raw, _ := io.ReadAll(resps[i].Body)
			got = append(got, resps[i].Status+" "+string(raw))
		}
		results <- strings.Join(got, "; ")
	}))
	port := newFakePort(t)
	b.Call("serve", port.obj, js.Undefined(), "GET\nhttps://x/", js.Null(), false)
	var calls []js.Value
	for i := 0; i < 3; i++ { // all three are posted before any answer comes
		method, args := port.next(t)
		if method != "fetch" || !strings.Contains(args[1].String(), "events-"+string(rune('0'+i))) {
			t.Fatalf("post %d: %s %v, want the fetch of events-%d", i, method, args[1], i)
		}
		calls = append(calls, args[0])
	}
	b.Call("deliver", calls[2], 200, "", jsBytes("two"), "", false) // answered out of order
	b.Call("deliver", calls[0], 200, "", jsBytes("zero"), "", false)
	b.Call("deliver", calls[1], 0, "", js.Null(), "unreachable", false)
	if got := <-results; got != "200 OK zero; error: unreachable; 200 OK two" {
		t.Errorf("got %q", got)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestFetchOutsideARequestFails(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://x/", nil)
	if _, err := (Fetch{}).Do(req); err != ErrNoRequest {
		t.Errorf("err = %v, want ErrNoRequest", err)
	}
}

func TestFetchGivesUpWhenTheContextEnds(t *testing.T) {
	results := make(chan error, 1)
	b := served(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 20*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://slow.example.com/", nil)
		_, err := (Fetch{}).Do(req)
		results <- err
	}))
	port := newFakePort(t)
	b.Call("serve", port.obj, js.Undefined(), "GET\nhttps://x/", js.Null(), false)
	_, fetchArgs := port.next(t)
	if err := <-results; err != context.DeadlineExceeded {
		t.Errorf("err = %v, want context.DeadlineExceeded", err)
	}
	method, args := port.next(t)
	if method != "abort" || args[0].Int() != fetchArgs[0].Int() {
		t.Errorf("posted %s %v, want abort of call %v", method, args, fetchArgs[0])
	}
	b.Call("deliver", fetchArgs[0], 200, "", js.Null(), "", false) // a late answer finds nobody
}

func TestWaitUntilKeepsTheRequestUntilItsWorkEnds(t *testing.T) {
	release := make(chan struct{})
	var outside bool
	b := served(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WaitUntil(r.Context(), func(ctx context.Context) {
			<-release
			if ctx.Err() != nil {
				t.Error("WaitUntil's context was cancelled with the handler")
			}
		})
		outside = WaitUntil(context.Background(), func(context.Context) {})
	}))
	port := newFakePort(t)
	b.Call("serve", port.obj, js.Undefined(), "GET\nhttps://x/", js.Null(), false)
	if m, _ := port.next(t); m != "respond" {
		t.Fatalf("posted %s, want respond", m)
	}
	select {
	case post := <-port.posts:
		t.Fatalf("posted %s while the WaitUntil work runs", post[0].String())
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if m, _ := port.next(t); m != "done" {
		t.Errorf("posted %s, want done", m)
	}
	if outside {
		t.Error("WaitUntil ran work for a context of no request")
	}
}

func TestPanicsAndMalformedHeads(t *testing.T) {
	b := served(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		panic("handler broke")
	}))
	port := newFakePort(t)
	b.Call("serve", port.obj, js.Undefined(), "GET\nhttps://x/", js.Null(), false)
	_, args := port.next(t)
	if args[0].Int() != 500 || !strings.Contains(string(bytesOf(args[2])), "handler broke") || strings.Contains(string(bytesOf(args[2])), "partial") {
		t.Errorf("panic answered %v %q", args[0], bytesOf(args[2]))
	}
	port.next(t) // done
	for _, head := range []string{"", "GET", "GET\nhttps://x/\nlonely-name", "\nhttps://x/"} {
		port := newFakePort(t)
		b.Call("serve", port.obj, js.Undefined(), head, js.Null(), false)
		if _, args := port.next(t); args[0].Int() != 400 {
			t.Errorf("head %q answered %v", head, args[0])
		}
		port.next(t)
	}
	if id := b.Call("serve"); id.Int() != -1 {
		t.Errorf("serve without arguments returned %v", id)
	}
}
