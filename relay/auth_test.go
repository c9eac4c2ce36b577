package relay

import (
	"net/url"
	"strings"
	"testing"
)

// TestSignature tests the HMAC check when a secret is set: header or query, one identity only.
func TestSignature(t *testing.T) {
	const secret = "s3cret"
	good := Sign(secret, "user-42")
	tests := []struct {
		name, target, body string
		headers            []string
		status             int
		mention            string
	}{
		{"header", "/v1/events", batch(ev("a"), ev("b")), []string{"X-Bridge-Signature", good}, 200, ""},
		{"query for sendBeacon", "/v1/events?signature=" + url.QueryEscape(good), batch(ev("a")), nil, 200, ""},
		{"header wins over query", "/v1/events?signature=00", batch(ev("a")), []string{"X-Bridge-Signature", good}, 200, ""},
		{"missing", "/v1/events", batch(ev("a")), nil, 403, "signature is missing"},
		{"wrong", "/v1/events", batch(ev("a")), []string{"X-Bridge-Signature", Sign("other", "user-42")}, 403, "does not match"},
		{"for another identity", "/v1/events", batch(ev("a")), []string{"X-Bridge-Signature", Sign(secret, "user-43")}, 403, "does not match"},
		{"upper-case hex", "/v1/events", batch(ev("a")), []string{"X-Bridge-Signature", strings.ToUpper(good)}, 403, "does not match"},
		{"wrong in the query", "/v1/events?signature=" + good[:10], batch(ev("a")), nil, 403, "does not match"},
		{"bad body before signature", "/v1/events", `{"events":[]}`, nil, 400, "0 entries"},
		{"signature before validation", "/v1/events", batch(ev("a", "identity", `"guest"`)), nil, 403, "signature is missing"},
		{"mixed identities", "/v1/events", batch(ev("a"), ev("b", "identity", `"user-43"`)), []string{"X-Bridge-Signature", good}, 403, "mixes identities"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rg := newRig(t, func(c *Config) { c.IdentitySecret = secret })
			rec := rg.do("POST", tt.target, tt.body, append([]string{"Content-Type", "application/json"}, tt.headers...)...)
			if tt.status == 200 {
				if a := answer(t, rec); len(a.Refused) != 0 {
					t.Errorf("answer %+v", a)
				}
				return
			}
			if text := errorText(t, rec, tt.status); !strings.Contains(text, tt.mention) {
				t.Errorf("error %q does not mention %q", text, tt.mention)
			}
			if rg.heap.Snapshot().Requests != 0 {
				t.Errorf("an unsigned batch reached Heap")
			}
		})
	}
}

// TestSignatureNotRequiredWithoutSecret tests that no secret means no signature is checked.
func TestSignatureNotRequiredWithoutSecret(t *testing.T) {
	rg := newRig(t, nil)
	if a := answer(t, rg.post(batch(ev("a"), ev("b", "identity", `"user-43"`)), "X-Bridge-Signature", "junk")); len(a.Accepted) != 2 {
		t.Errorf("answer %+v", a)
	}
}

// TestSign tests Sign against a known HMAC-SHA256 value (RFC 4231 test case 2).
func TestSign(t *testing.T) {
	if got := Sign("Jefe", "what do ya want for nothing?"); got != "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" {
		t.Errorf("Sign = %s", got)
	}
}
