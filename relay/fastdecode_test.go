package relay

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var fastSeeds = []string{
	`{"events":[{"id":"p1-1","name":"Userpilot Experience (started)","properties":{"experience_id":7,"experience_token":"tok","userpilot_user_id":"alice"},"identity":"alice","timestamp":"2024-01-02T03:04:05.000Z"}]}`,
	` { "events" : [ { "id" : "a" , "name" : "n\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t" , "properties" : { "x" : -0.5e+3 , "y" : true , "z" : false , "w" : "" } } ] } `,
	`{"events":[{"id":"a","name":"\ud800x","identity":"\udc00\ud800y"},{"id":"b"}]}`,
	`{"events":[{"id":"a","properties":{"n":01}}]}`,
	`{"events":[{"id":"a","properties":{"n":1.}}]}`,
	`{"events":[{"id":"a","properties":{"n":null}}]}`,
	`{"events":[{"id":"a","properties":{"o":{"x":1}}}]}`,
	`{"events":[{"id":"a","ID":"b"}]}`,
	`{"events":[{"id":"a","id":"b"}]}`,
	`{"events":[{"id":"a","properties":{"k":1,"k":2}}]}`,
	`{"events":[]}`,
	`{"events":[{"id":1}]}`,
	"{\"events\":[{\"id\":\"\xff\xfe\"}]}",
	"{\"events\":[{\"id\":\"a\tb\"}]}",
	`{"events":[{"id":"a"}]} x`,
	`{"Events":[{"id":"a"}]}`,
}

// TestFastDecodeAgrees tests that the one-pass decoder takes the well-formed seeds and gives up on
// the others, and that whatever it takes decodes the same on the strict path.
func TestFastDecodeAgrees(t *testing.T) {
	taken := 0
	for _, s := range fastSeeds {
		if checkFastAgainstStrict(t, []byte(s)) {
			taken++
		}
	}
	if taken != 4 {
		t.Fatalf("the fast decoder took %d of the seeds, want 4 (the well-formed ones)", taken)
	}
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := 0; i < MaxBatchEvents+1; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":"e` + strconv.Itoa(i) + `"}`)
	}
	b.WriteString(`]}`)
	if _, ok := decodeEventsFast([]byte(b.String())); ok {
		t.Fatal("took more than MaxBatchEvents events")
	}
}

func checkFastAgainstStrict(t *testing.T, body []byte) bool {
	t.Helper()
	fast, ok := decodeEventsFast(body)
	if !ok {
		return false
	}
	strict, err := decodeEvents(body, false)
	if err != nil {
		t.Fatalf("the fast decoder took %q, the strict one refused it: %v", body, err)
	}
	if !reflect.DeepEqual(fast, strict) {
		t.Fatalf("%q decodes differently:\nfast   %#v\nstrict %#v", body, fast, strict)
	}
	return true
}

// FuzzFastDecode tests that any body the one-pass decoder takes, the strict path takes too, with
// the same events.
func FuzzFastDecode(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkFastAgainstStrict(t, body) })
}

// BenchmarkDecodeEventsPaths compares the two decoders on a page's batch of 10 events.
func BenchmarkDecodeEventsPaths(b *testing.B) {
	var s strings.Builder
	s.WriteString(`{"events":[`)
	for i := 0; i < 10; i++ {
		if i > 0 {
			s.WriteByte(',')
		}
		s.WriteString(`{"id":"p1-` + strconv.Itoa(i) + `","name":"Userpilot Experience (started)","properties":{"experience_id":7,"experience_token":"tok_abc","userpilot_user_id":"alice"},"identity":"alice","timestamp":"2024-01-02T03:04:05.000Z"}`)
	}
	s.WriteString(`]}`)
	body := []byte(s.String())
	for _, fast := range []bool{false, true} {
		b.Run(map[bool]string{false: "strict", true: "fast"}[fast], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := decodeEvents(body, fast); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBulkBodyIsHeapBulk tests that the hand-written Heap body is the heapBulk encoding/json would
// write, booleans as text, empty fields left out, keys escaped.
func TestBulkBodyIsHeapBulk(t *testing.T) {
	events := []valid{
		{id: "p-1", name: "Userpilot Experience (started)", identity: "alice", timestamp: "2024-01-02T03:04:05.000Z",
			properties: []property{{"b", true}, {"k\u2028", -3.0}, {"n", 1.5e21}, {"s", "x\"<é😀"}, {"z", 0.000001}}},
		{id: "p-2", name: "n", identity: "bob"},
	}
	got, err := bulkBody("42", events)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(heapBulk{AppID: "42", Events: []heapEvent{
		{Identity: "alice", Timestamp: "2024-01-02T03:04:05.000Z", Event: "Userpilot Experience (started)", IdempotencyKey: "p-1",
			Properties: map[string]any{"b": "true", "n": 1.5e21, "s": "x\"<é😀", "z": 0.000001, "k\u2028": -3.0}},
		{Identity: "bob", Event: "n", IdempotencyKey: "p-2"},
	}})
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	json.Unmarshal(want, &b)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("body\n%s\nwant\n%s", got, want)
	}
	if _, err := bulkBody("42", []valid{{id: "x", properties: []property{{"bad", []int{1}}}}}); err == nil {
		t.Fatal("a property of another type was written")
	}
}
