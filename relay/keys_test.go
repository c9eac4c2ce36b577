package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// FuzzCheckKeys tests checkKeys against a slow reference built on encoding/json's tokenizer: for
// every JSON body both name the same first bad key, or both find none; no input makes it panic.
func FuzzCheckKeys(f *testing.F) {
	for _, seed := range []string{
		batch(ev("a"), ev("b")),
		`{"events":[{"id":"a","ID":"b"}]}`, `{"EVENTS":[]}`, `{"events":[],"events":[]}`,
		`{"events":[{"properties":{"a":1,"a":2}}]}`, `{"events":[{"properties":{"\u0061":1,"a":2}}]}`,
		`{"events":[{"properties":{"\ud800":1,"\udc00":2}}]}`, "{\"events\":[{\"properties\":{\"a\xff\":1,\"a\xfe\":2}}]}",
		`{"events":[{"properties":{"o":[{"k":[1,{"k":2,"k":3}]}]}}]}`, `[{"a":1,"a":1}]`, `{"a":{"b":1,"b":2}}`,
		`{"events":[{"properties":{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":10,"k11":11,"k12":12,"k13":13,"k14":14,"k15":15,"k16":16,"k3":3}}]}`,
		`{"events":[{"id":"a"}]} {"x":1,"x":2}`, `{"events":[{"id":"a",}]}`, `{"events":[1e400, -0.5, true, null, "x"]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got := checkKeys([]byte(body))
		if !json.Valid([]byte(body)) {
			return // checkKeys may or may not stop early; decoding refuses the body anyway
		}
		want := referenceKeys([]byte(body))
		switch {
		case got == nil && want == "":
		case got == nil || got.Error() != want:
			t.Fatalf("checkKeys(%q) = %v, reference says %q", body, got, want)
		}
	})
}

// referenceKeys is checkKeys written plainly on json.Decoder.Token: the text of the first bad
// key, or "".
func referenceKeys(body []byte) string { return referenceKeysIn(body, eventsSchema) }

// referenceKeysIn is referenceKeys for checkKeysIn with fields.
func referenceKeysIn(body []byte, fields schema) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	var bad *refKeyError
	if err := refWalk(dec, "body", nil, fields); errors.As(err, &bad) {
		return bad.text
	}
	return ""
}

type refKeyError struct{ text string }

func (e *refKeyError) Error() string { return e.text }

// refWalk reads one value at path (named where in messages), checking object keys against fields.
func refWalk(dec *json.Decoder, where string, path []step, fields schema) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		allowed := fields(path)
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return err
			}
			key := tok.(string)
			if seen[key] {
				return &refKeyError{fmt.Sprintf("%s: duplicate key %q", where, key)}
			}
			seen[key] = true
			if allowed != nil && !allowed[key] {
				return &refKeyError{fmt.Sprintf("%s: json: unknown field %q%s", where, key, spelledAs(key, allowed))}
			}
			child := where + "." + key
			if where == "body" {
				child = key
			}
			if err := refWalk(dec, child, append(slices.Clip(path), step{key: []byte(key), index: -1}), fields); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := refWalk(dec, fmt.Sprintf("%s[%d]", where, i), append(slices.Clip(path), step{index: i}), fields); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	_, err = dec.Token()
	return err
}

// TestCheckKeysDeepNesting tests that nesting past encoding/json's limit is left to decoding.
func TestCheckKeysDeepNesting(t *testing.T) {
	deep := `{"events":[{"properties":{"k":` + strings.Repeat("[", maxKeyDepth+5) + strings.Repeat("]", maxKeyDepth+5) + `}}]}`
	if err := checkKeys([]byte(deep)); err != nil {
		t.Errorf("checkKeys = %v", err)
	}
	if _, err := DecodeEvents([]byte(deep)); err == nil {
		t.Errorf("DecodeEvents took a body nested %d deep", maxKeyDepth+5)
	}
}
