package relay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
)

// CORS values for the page's fetch and sendBeacon calls.
const (
	allowMethods  = "POST, OPTIONS"
	allowHeaders  = "Content-Type, X-Bridge-Signature"
	preflightAge  = "86400"
	signatureHead = "X-Bridge-Signature"
	signatureArg  = "signature" // navigator.sendBeacon cannot set headers
)

// checkOrigin allows requests without Origin (server to server) and from AllowedOrigins, whose
// answers then carry CORS headers. It returns why the origin is refused, or "".
func (h *handler) checkOrigin(w http.ResponseWriter, r *http.Request) string {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return ""
	}
	if !slices.Contains(h.cfg.AllowedOrigins, origin) {
		return "origin " + origin + " is not allowed"
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Add("Vary", "Origin")
	w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
	return ""
}

// preflight answers a CORS preflight for POST /v1/events.
func preflight(w http.ResponseWriter) {
	w.Header().Set("Access-Control-Allow-Methods", allowMethods)
	w.Header().Set("Access-Control-Allow-Headers", allowHeaders)
	w.Header().Set("Access-Control-Max-Age", preflightAge)
	w.WriteHeader(http.StatusNoContent)
}

// checkSignature requires, when a secret is set, one identity per batch signed with it. It
// returns why the batch is refused, or "".
func (h *handler) checkSignature(r *http.Request, events []Event) string {
	if h.cfg.IdentitySecret == "" {
		return ""
	}
	identity := events[0].Identity
	for _, e := range events[1:] {
		if e.Identity != identity {
			return "the batch mixes identities; a signed batch must carry one identity"
		}
	}
	sig := r.Header.Get(signatureHead)
	if sig == "" {
		sig = r.URL.Query().Get(signatureArg)
	}
	if sig == "" {
		return "the signature is missing: send the " + signatureHead + " header or the signature query parameter"
	}
	if !hmac.Equal([]byte(sig), []byte(Sign(h.cfg.IdentitySecret, identity))) {
		return "the signature does not match the identity"
	}
	return ""
}

// Sign returns the signature a page must send for identity: lower-case hex HMAC-SHA256.
func Sign(secret, identity string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(identity))
	return hex.EncodeToString(mac.Sum(nil))
}
