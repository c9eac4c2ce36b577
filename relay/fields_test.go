package relay

import (
	"reflect"
	"testing"
)

func TestQueuedFieldsRoundTrip(t *testing.T) {
	in := []Queued{{ID: "e1", Identity: "alice", Body: `{"event":"x"}`}, {ID: "", Identity: "b:ob", Body: "12:34"}}
	out, err := DecodeQueued(EncodeQueued(in))
	if err != nil || !reflect.DeepEqual(out, in) {
		t.Fatalf("got %#v, %v; want %#v", out, err, in)
	}
}

func TestOfferFieldsRoundTrip(t *testing.T) {
	in := []Queued{{ID: "e1", Identity: "alice", Body: `{"event":"x"}`}}
	for _, client := range []string{"203.0.113.7", ""} {
		got, out, err := DecodeOffer(EncodeOffer(client, in))
		if err != nil || got != client || !reflect.DeepEqual(out, in) {
			t.Fatalf("got %q %#v, %v; want %q %#v", got, out, err, client, in)
		}
	}
}

func TestSegmentPageFieldsRoundTrip(t *testing.T) {
	in := SegmentPage{Segment: 1338065, Drain: false, Key: "k", Users: []string{"u:1", ""}, Values: []string{"true", "false"}}
	out, err := decodeSegmentPage(in.encode())
	if err != nil || !reflect.DeepEqual(out, in) {
		t.Fatalf("got %#v, %v; want %#v", out, err, in)
	}
}

func TestFieldReaderRefusesWrongLengths(t *testing.T) {
	for _, s := range []string{":x", "x:abc", "5:abc", "-1:", "1234567890:x", "3abc"} {
		r := fieldReader{rest: s}
		if f, err := r.next(); err == nil {
			t.Errorf("%q: read %q, want an error", s, f)
		}
	}
}

func FuzzQueuedFields(f *testing.F) {
	f.Add("e1", "alice", `{"event":"x"}`)
	f.Fuzz(func(t *testing.T, id, identity, body string) {
		in := []Queued{{ID: id, Identity: identity, Body: body}}
		out, err := DecodeQueued(EncodeQueued(in))
		if err != nil || !reflect.DeepEqual(out, in) {
			t.Fatalf("got %#v, %v; want %#v", out, err, in)
		}
	})
}
