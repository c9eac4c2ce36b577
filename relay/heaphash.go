package relay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Heap signs each webhook with the header Heap-Hash: ts:<unix time>,hmac:<hex HMAC-SHA256 of
// "<ts><raw body>"> (docs/contract.md §8; docs/sdk-facts.md#heap-segment-webhook).
const (
	heapHashHeader = "Heap-Hash"
	MaxWebhookSkew = 300 * time.Second // how far ts may be from the relay's clock, either way
	// msTimestamps is the least ts read as milliseconds: Heap's own example code signs with
	// JavaScript's Date.now(), in milliseconds, while its spec says seconds. 10^12 seconds is
	// 33,658 AD; 10^12 milliseconds is 2001.
	msTimestamps = 1_000_000_000_000
)

// HeapHash returns the Heap-Hash header value that signs body at ts (as written, e.g. unix
// seconds) with secret, as Heap sends it.
func HeapHash(secret, ts string, body []byte) string {
	return "ts:" + ts + ",hmac:" + hex.EncodeToString(heapMAC(secret, ts, body))
}

// heapMAC is HMAC-SHA256 over ts followed by body, keyed with secret.
func heapMAC(secret, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write(body)
	return mac.Sum(nil)
}

// checkHeapHash returns why the Heap-Hash headers (values) do not sign body with secret at a time
// within MaxWebhookSkew of now, or "". The hmac is compared in constant time.
func checkHeapHash(values []string, secret string, body []byte, now time.Time) string {
	const form = "; want ts:<unix seconds>,hmac:<hex HMAC-SHA256 of ts and the body>"
	switch len(values) {
	case 0:
		return "the Heap-Hash header is missing; Heap signs every webhook with it"
	case 1:
	default:
		return "the Heap-Hash header is given " + strconv.Itoa(len(values)) + " times" + form
	}
	ts, mac, why := parseHeapHash(values[0])
	if why != "" {
		return "the Heap-Hash header is malformed: " + why + form
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "the Heap-Hash header is malformed: ts " + label(ts) + " is out of range" + form
	}
	signed := time.Unix(n, 0)
	if n >= msTimestamps {
		signed = time.UnixMilli(n)
	}
	if skew := now.Sub(signed); skew > MaxWebhookSkew || skew < -MaxWebhookSkew {
		return fmt.Sprintf("the Heap-Hash ts is %s from the relay's clock, more than %d s either way: a replayed webhook or a clock that is off",
			skew.Round(time.Second), int(MaxWebhookSkew/time.Second))
	}
	if !hmac.Equal(mac, heapMAC(secret, ts, body)) && !hmac.Equal(mac, heapMAC(secret, ts, jsReserialise(body))) {
		return "the Heap-Hash hmac does not match: the body was changed on the way, or HEAP_WEBHOOK_SECRET is not the webhook's secret key"
	}
	return ""
}

// parseHeapHash splits "ts:<digits>,hmac:<64 hex digits>" (either order, each once, nothing else;
// spaces around a pair are allowed) into ts as written and the decoded hmac, or says why it cannot.
func parseHeapHash(v string) (ts string, mac []byte, why string) {
	var hexMAC string
	var seenTS, seenMAC bool
	for _, pair := range strings.Split(v, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(pair), ":")
		switch {
		case !ok:
			return "", nil, label(pair) + " is not key:value"
		case key == "ts" && !seenTS:
			ts, seenTS = value, true
		case key == "hmac" && !seenMAC:
			hexMAC, seenMAC = value, true
		case key == "ts" || key == "hmac":
			return "", nil, key + " is given twice"
		default:
			return "", nil, "unknown key " + label(key)
		}
	}
	switch {
	case !seenTS:
		return "", nil, "ts is missing"
	case !seenMAC:
		return "", nil, "hmac is missing"
	case ts == "" || strings.Trim(ts, "0123456789") != "":
		return "", nil, "ts " + label(ts) + " is not a whole number of seconds"
	}
	decoded, err := hex.DecodeString(hexMAC)
	if err != nil || len(decoded) != sha256.Size {
		return "", nil, "hmac is not 64 hex digits"
	}
	return ts, decoded, ""
}
