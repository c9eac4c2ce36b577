package bridge

import (
	"strconv"
	"unicode/utf8"
)

// The edge relay's wire format (docs/contract.md §6), written by hand so the page module does not carry
// encoding/json: {"events":[{"id","name","properties","identity","timestamp"}]}.

// relayItem is one event bound for the relay, with what the wire format needs.
type relayItem struct {
	call     Call
	identity string
	attempts int // sends that got no answer the bridge could act on
}

// encodeRelayEvents writes the request body for items.
func encodeRelayEvents(items []relayItem) string {
	b := make([]byte, 0, 256*len(items))
	b = append(b, `{"events":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendRelayEvent(b, it)
	}
	return string(append(b, "]}"...))
}

func appendRelayEvent(b []byte, it relayItem) []byte {
	b = append(b, `{"id":`...)
	b = AppendJSONString(b, it.call.ID)
	b = append(b, `,"name":`...)
	b = AppendJSONString(b, it.call.Event)
	b = append(b, `,"properties":{`...)
	for i, p := range it.call.Properties {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendJSONString(b, p.Key)
		b = append(b, ':')
		b = appendJSONValue(b, p.Value)
	}
	b = append(b, `},"identity":`...)
	b = AppendJSONString(b, it.identity)
	b = append(b, `,"timestamp":`...)
	b = AppendJSONString(b, relayTimestamp(it.call.Time))
	return append(b, '}')
}

// relayTimestamp renders epoch milliseconds as RFC 3339 in UTC with millisecond precision. It
// computes the civil date itself: the time package's zone machinery would grow the page module.
func relayTimestamp(ms float64) string {
	total := int64(ms)
	if total < 0 {
		total = 0
	}
	days, rem := total/86400000, total%86400000
	y, m, d := civilDate(days)
	b := make([]byte, 0, 24)
	b = appendDigits(b, int(y), 4)
	b = appendDigits(append(b, '-'), m, 2)
	b = appendDigits(append(b, '-'), d, 2)
	b = appendDigits(append(b, 'T'), int(rem/3600000), 2)
	b = appendDigits(append(b, ':'), int(rem/60000%60), 2)
	b = appendDigits(append(b, ':'), int(rem/1000%60), 2)
	b = appendDigits(append(b, '.'), int(rem%1000), 3)
	return string(append(b, 'Z'))
}

// civilDate converts days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
// days-to-civil algorithm).
func civilDate(days int64) (year int64, month, day int) {
	z := days + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// appendDigits writes n zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

func appendJSONValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		return AppendJSONString(b, x)
	case float64:
		return append(b, JSNumberString(x)...) // properties hold finite numbers only
	case bool:
		return strconv.AppendBool(b, x)
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s quoted as a JSON string to b; invalid UTF-8 becomes U+FFFD.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		case r == utf8.RuneError:
			b = append(b, "\ufffd"...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

// JSONString quotes s as a JSON string.
func JSONString(s string) string { return string(AppendJSONString(nil, s)) }
