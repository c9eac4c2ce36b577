package relay

import (
	"encoding/binary"
	"math"
)

// A Bucket crosses from the Worker's limit store (RELAY_LIMITS in relay/worker/entry.mjs) to Go as
// little-endian float64s in a scratch Uint8Array, not as an object (relay/worker/jsstore).
// BucketFields is that layout's one definition: ReadBucket reads it, and internal/gluegen writes
// the store's writer, putBucket, and BUCKET_BYTES from it.
var BucketFields = [...]BucketField{
	{Name: "tokens", set: func(b *Bucket, v float64) { b.Tokens = v }},
	{Name: "at", set: func(b *Bucket, v float64) { b.At = int64(v) }},
	{Name: "fullAt", set: func(b *Bucket, v float64) { b.FullAt = int64(v) }},
}

// BucketLen is the layout's length in bytes: a float64 for each field.
const BucketLen = 8 * len(BucketFields)

// BucketField is one float64 of the layout, named as the store's bucket objects name it.
type BucketField struct {
	Name string
	set  func(*Bucket, float64)
}

// ReadBucket reads a bucket written in the layout; ok is false when b is short or a number in it
// is not finite (the store then counts the key as new).
func ReadBucket(b []byte) (bucket Bucket, ok bool) {
	if len(b) < BucketLen {
		return Bucket{}, false
	}
	for i, f := range BucketFields {
		v := math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Bucket{}, false
		}
		f.set(&bucket, v)
	}
	return bucket, true
}
