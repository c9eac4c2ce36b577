package bridge

import (
	"encoding/json"
	"math/rand"
	"testing"
)

// FuzzRelay drives a bridge with a relay through any order of events, identities, Heap coming and
// going, relay answers, retries and page hides. No event may reach both Heap and the relay, none
// may be delivered twice, and every event received is forwarded, dropped, a duplicate, pending
// or relaying.
func FuzzRelay(f *testing.F) {
	f.Add([]byte{1, 0, 2, 3, 4, 0, 5, 6, 3, 7, 8, 4, 1})
	f.Add([]byte{1, 2, 2, 2, 3, 4, 4, 4, 4, 4, 4, 4, 9, 10, 2, 3, 5, 0})
	f.Add([]byte{0, 2, 11, 2, 3, 5, 1, 4, 2, 6, 2, 8, 7, 3})
	f.Fuzz(fuzzRelayBody)
}

func fuzzRelayBody(t *testing.T, data []byte) {
	{
		b := New(Settings{RelayURL: "/v1/events", RelayAfter: 1000, Identity: "sync", Consent: "granted"})
		b.SetPage("s", 1.7e12, 0)
		heapUp := false
		now := 0.0
		seen := map[string]string{} // event id -> "heap" or "relay", once delivered
		sent := map[string]bool{}   // event ids handed to the relay, whatever came of it
		inFlight := map[int][]string{}
		deliver := func(c Call) error {
			if !heapUp {
				return ErrHeapNotReady
			}
			if c.Method == MethodTrack {
				if sent[c.ID] {
					t.Fatalf("event %s went to Heap after it was handed to the relay", c.ID)
				}
				if by, ok := seen[c.ID]; ok {
					t.Fatalf("event %s delivered to Heap after going by %s", c.ID, by)
				}
				seen[c.ID] = "heap"
			}
			return nil
		}
		send := func() {
			for _, rb := range b.RelayBatches(now) {
				var w struct {
					Events []struct {
						ID       string `json:"id"`
						Identity string `json:"identity"`
					} `json:"events"`
				}
				if err := json.Unmarshal([]byte(rb.Body), &w); err != nil || len(w.Events) == 0 {
					t.Fatalf("bad batch %v: %s", err, rb.Body)
				}
				var ids []string
				for _, e := range w.Events {
					if e.Identity != w.Events[0].Identity || e.Identity == "" {
						t.Fatalf("batch mixes or lacks identities: %s", rb.Body)
					}
					if seen[e.ID] == "heap" {
						t.Fatalf("event %s relayed after Heap got it", e.ID)
					}
					ids = append(ids, e.ID)
					sent[e.ID] = true
				}
				inFlight[rb.ID] = ids
			}
		}
		users := []string{"alice", "bob", "guest"}
		for i, op := range data {
			switch op % 12 {
			case 0, 1, 2:
				b.Receive(Input{Kind: InputEvent, Name: "started", Args: []Value{Obj("id", Num(float64(i)))}, Task: i + 1, At: now})
			case 3:
				b.Receive(identify(Str(users[i%len(users)])))
			case 4:
				now += 700
			case 5:
				heapUp = !heapUp
			case 6, 7, 8:
				for id, ids := range inFlight {
					status := []int{200, 200, 503, 0, 429, 400}[int(op)%6]
					body := Undefined()
					if status == 200 {
						var acc []Value
						for j, e := range ids {
							if j%3 != 2 || op == 6 {
								acc = append(acc, Str(e))
							}
						}
						body = Obj("accepted", Arr(acc...), "refused", Arr())
						for _, v := range acc {
							if seen[v.Str] != "relay" { // sent again after a beacon: the relay keeps one
								accept(t, seen, []string{v.Str})
							}
						}
					}
					delete(inFlight, id)
					b.Receive(Input{Kind: InputRelayed, Args: []Value{Num(float64(id)), Num(float64(status)), body, Num(0), Str("")}, At: now})
					break
				}
			case 9:
				// The page is left: it sends the standby by beacon and reports it.
				for j, rb := range b.Standby() {
					ok := (i+j)%3 != 0
					for _, id := range rb.IDs {
						if seen[id] == "heap" {
							t.Fatalf("standby offers %s, which Heap has", id)
						}
						if ok { // a beacon the browser refused hands nothing to the relay
							sent[id] = true
							if seen[id] == "" {
								seen[id] = "relay"
							}
						}
					}
					b.Receive(beaconed(ok, rb))
				}
			case 10:
				b.Receive(Input{Kind: InputAnonymous})
			case 11:
				b.Receive(Input{Kind: InputRelayed, Args: []Value{Num(-1), Num(200)}, At: now}) // no such batch: ignored
			}
			b.Flush(deliver)
			send()
			s := b.Stats()
			if s.Received != s.Forwarded+s.Dropped+s.Duplicates+s.Pending+s.Relaying {
				t.Fatalf("lost events after op %d: %+v", op, s)
			}
			if s.Relayed > s.Forwarded {
				t.Fatalf("relayed %d > forwarded %d", s.Relayed, s.Forwarded)
			}
		}
		n := 0
		for _, by := range seen {
			if by != "" {
				n++
			}
		}
		if s := b.Stats(); n != s.Forwarded {
			t.Fatalf("%d distinct deliveries, forwarded %d", n, s.Forwarded)
		}
	}
}

// accept records ids as relayed, failing on a second delivery.
func accept(t *testing.T, seen map[string]string, ids []string) {
	t.Helper()
	for _, id := range ids {
		if by, ok := seen[id]; ok {
			t.Fatalf("event %s delivered twice (first by %s)", id, by)
		}
		seen[id] = "relay"
	}
}

// TestRelayRandomSequences runs long random sequences through FuzzRelay's checks, deterministically;
// they reach states (hundreds of batches, many retries) that short fuzz inputs rarely do.
func TestRelayRandomSequences(t *testing.T) {
	r := rand.New(rand.NewSource(20261128))
	for i := 0; i < 60; i++ {
		data := make([]byte, 500+r.Intn(8000))
		r.Read(data)
		fuzzRelayBody(t, data)
	}
}
