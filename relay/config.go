package relay

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults for the optional Worker variables.
const (
	DefaultHeapAPIURL              = "https://heapanalytics.com"
	DefaultMaxBodyBytes            = 262144
	DefaultClientPerMinute         = 120
	DefaultIdentityEventsPerMinute = 1000 // Heap's own bulk limit per identity (docs/sdk-facts.md#heap-server-track)
	DefaultHeapDeadline            = 8 * time.Second
	DefaultUserpilotAPIURL         = "https://analytex.userpilot.io"
	DefaultUserpilotDeadline       = 8 * time.Second
	DefaultSegmentsMaxBodyBytes    = 4 << 20 // Heap's page size is not documented; about 100,000 ids
	DefaultHeapEventsPerMinute     = 15000   // Heap's server-side limit per app (docs/sdk-facts.md#heap-server-track)
	DefaultDeliveryMaxHours        = 24
	DefaultUserpilotRowsPerMinute  = 1200 // how fast Userpilot works through a bulk job (docs/sdk-facts.md#up-bulk-identify)
)

// Config is the relay's configuration, read from Worker variables (docs/contract.md §6).
type Config struct {
	AppID                   string
	HeapAPIURL              string
	AllowedOrigins          []string
	IdentitySecret          string
	MaxBodyBytes            int64
	ClientPerMinute         int
	IdentityEventsPerMinute int
	HeapDeadline            time.Duration
	// TrustCFConnectingIP takes the client's address for its rate limit from CF-Connecting-IP. Set
	// it only where Cloudflare sets that header (relay/worker does; local workerd does not set it):
	// anywhere else a caller can send any address in it and get a fresh budget each time. Unset,
	// the connection's address is used.
	TrustCFConnectingIP bool

	// POST /v1/heap/segments (docs/contract.md §8) answers 404 unless both WebhookSecret and
	// UserpilotAPIKey are set; /v1/events does not need them.
	WebhookSecret        string // HEAP_WEBHOOK_SECRET: the key of Heap's Heap-Hash signature
	UserpilotAPIKey      string // USERPILOT_API_KEY
	UserpilotAPIURL      string // USERPILOT_API_URL
	UserpilotDeadline    time.Duration
	SegmentsMaxBodyBytes int64

	// The queue (docs/contract.md §10): what the relay's own sending to Heap stays under, and how
	// long a queued event is tried.
	HeapEventsPerMinute         int           // HEAP_EVENTS_PER_MINUTE, for the whole app
	HeapIdentityEventsPerMinute int           // HEAP_IDENTITY_EVENTS_PER_MINUTE
	DeliveryMaxAge              time.Duration // DELIVERY_MAX_HOURS
	UserpilotRowsPerMinute      int           // USERPILOT_ROWS_PER_MINUTE: paces the segment jobs
}

// ConfigFromEnv reads the relay's configuration with getenv, naming the variable in any error.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		AppID:                strings.TrimSpace(getenv("HEAP_APP_ID")),
		HeapAPIURL:           strings.TrimSpace(getenv("HEAP_API_URL")),
		IdentitySecret:       getenv("IDENTITY_SECRET"),
		HeapDeadline:         DefaultHeapDeadline,
		WebhookSecret:        getenv("HEAP_WEBHOOK_SECRET"),
		UserpilotAPIKey:      strings.TrimSpace(getenv("USERPILOT_API_KEY")),
		UserpilotAPIURL:      strings.TrimSpace(getenv("USERPILOT_API_URL")),
		UserpilotDeadline:    DefaultUserpilotDeadline,
		SegmentsMaxBodyBytes: DefaultSegmentsMaxBodyBytes,
	}
	var errs []error
	if cfg.AppID == "" {
		errs = append(errs, errors.New("HEAP_APP_ID is required and is empty"))
	}
	if cfg.HeapAPIURL == "" {
		cfg.HeapAPIURL = DefaultHeapAPIURL
	}
	if why := checkAPIURL(cfg.HeapAPIURL); why != "" {
		errs = append(errs, fmt.Errorf("HEAP_API_URL %q %s", cfg.HeapAPIURL, why))
	}
	cfg.HeapAPIURL = strings.TrimRight(cfg.HeapAPIURL, "/")
	if cfg.UserpilotAPIURL == "" {
		cfg.UserpilotAPIURL = DefaultUserpilotAPIURL
	}
	if why := checkAPIURL(cfg.UserpilotAPIURL); why != "" {
		errs = append(errs, fmt.Errorf("USERPILOT_API_URL %q %s", cfg.UserpilotAPIURL, why))
	}
	cfg.UserpilotAPIURL = strings.TrimRight(cfg.UserpilotAPIURL, "/")
	if strings.ContainsFunc(cfg.UserpilotAPIKey, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		errs = append(errs, errors.New("USERPILOT_API_KEY holds a control character, which no HTTP header may carry"))
	}
	for _, o := range strings.Split(getenv("ALLOWED_ORIGINS"), ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if why := checkOrigin(o); why != "" {
			errs = append(errs, fmt.Errorf("ALLOWED_ORIGINS entry %q %s", o, why))
			continue
		}
		cfg.AllowedOrigins = append(cfg.AllowedOrigins, o)
	}
	var err error
	if cfg.MaxBodyBytes, err = positiveInt("MAX_BODY_BYTES", getenv, DefaultMaxBodyBytes); err != nil {
		errs = append(errs, err)
	}
	n, err := positiveInt("RATE_CLIENT_PER_MINUTE", getenv, DefaultClientPerMinute)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.ClientPerMinute = int(n)
	n, err = positiveInt("RATE_IDENTITY_EVENTS_PER_MINUTE", getenv, DefaultIdentityEventsPerMinute)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.IdentityEventsPerMinute = int(n)
	n, err = positiveInt("HEAP_EVENTS_PER_MINUTE", getenv, DefaultHeapEventsPerMinute)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.HeapEventsPerMinute = int(n)
	n, err = positiveInt("HEAP_IDENTITY_EVENTS_PER_MINUTE", getenv, DefaultIdentityEventsPerMinute)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.HeapIdentityEventsPerMinute = int(n)
	n, err = positiveInt("DELIVERY_MAX_HOURS", getenv, DefaultDeliveryMaxHours)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.DeliveryMaxAge = time.Duration(n) * time.Hour
	n, err = positiveInt("USERPILOT_ROWS_PER_MINUTE", getenv, DefaultUserpilotRowsPerMinute)
	if err != nil {
		errs = append(errs, err)
	}
	cfg.UserpilotRowsPerMinute = int(n)
	if cfg.AppID != "" && !isDigits(cfg.AppID) {
		errs = append(errs, fmt.Errorf("HEAP_APP_ID %q is not a Heap app id: Heap's app ids are numbers (Heap's Projects page shows yours; %q is the example's placeholder)", cfg.AppID, "YOUR_HEAP_APP_ID"))
	}
	return cfg, joinErrors(errs)
}

// isDigits reports whether s is one or more ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// joinErrors joins errors on one line, so a Worker log or a JSON answer shows them all.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	texts := make([]string, len(errs))
	for i, err := range errs {
		texts[i] = err.Error()
	}
	return errors.New(strings.Join(texts, "; "))
}

// checkAPIURL returns why raw is not an http or https base URL, or "".
func checkAPIURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "does not parse as a URL: " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return "must start with http:// or https://"
	case u.Host == "":
		return "has no host"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not have a query or fragment"
	}
	return ""
}

// checkOrigin returns why o is not a browser origin (scheme://host[:port], no path), or "".
func checkOrigin(o string) string {
	u, err := url.Parse(o)
	switch {
	case err != nil:
		return "does not parse: " + err.Error()
	case u.Scheme != "http" && u.Scheme != "https":
		return "must start with http:// or https://"
	case u.Host == "" || u.Hostname() == "":
		return "has no host"
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(o, "?") || strings.HasSuffix(o, "#"):
		return "must be an origin like https://app.example.com, with no path, query or user"
	case u.Port() != "" && !validPort(u.Port()):
		return "has an invalid port"
	case strings.ToLower(o) != o:
		return "must be lower case, as browsers send it"
	}
	return ""
}

// validPort reports whether p is a port number browsers would send.
func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536
}

// positiveInt reads an optional positive whole number, or def when the variable is unset.
func positiveInt(name string, getenv func(string) string, def int64) (int64, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n <= 0 || n > 1<<31-1 {
		return def, fmt.Errorf("%s %q must be a whole number above 0", name, raw)
	}
	return n, nil
}
