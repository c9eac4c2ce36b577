package relay

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestConfigFromEnvDefaults tests the defaults of the optional variables.
func TestConfigFromEnvDefaults(t *testing.T) {
	cfg, err := ConfigFromEnv(env(map[string]string{"HEAP_APP_ID": " 123 "}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{AppID: "123", HeapAPIURL: "https://heapanalytics.com", MaxBodyBytes: 262144,
		ClientPerMinute: 120, IdentityEventsPerMinute: 1000, HeapDeadline: 8 * time.Second}
	if cfg.AppID != want.AppID || cfg.HeapAPIURL != want.HeapAPIURL || cfg.MaxBodyBytes != want.MaxBodyBytes ||
		cfg.ClientPerMinute != want.ClientPerMinute || cfg.IdentityEventsPerMinute != want.IdentityEventsPerMinute ||
		cfg.HeapDeadline != want.HeapDeadline || cfg.AllowedOrigins != nil || cfg.IdentitySecret != "" {
		t.Errorf("got %+v, want %+v", cfg, want)
	}
}

// TestConfigFromEnvValues tests that set variables are read, trimmed and normalised.
func TestConfigFromEnvValues(t *testing.T) {
	cfg, err := ConfigFromEnv(env(map[string]string{
		"HEAP_APP_ID":                     "123",
		"HEAP_API_URL":                    "http://127.0.0.1:9999/",
		"ALLOWED_ORIGINS":                 " https://app.example.com , http://127.0.0.1:8080,,",
		"IDENTITY_SECRET":                 "s3cret",
		"MAX_BODY_BYTES":                  "1000",
		"RATE_CLIENT_PER_MINUTE":          "5",
		"RATE_IDENTITY_EVENTS_PER_MINUTE": "50",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HeapAPIURL != "http://127.0.0.1:9999" {
		t.Errorf("HeapAPIURL %q, want the trailing slash dropped", cfg.HeapAPIURL)
	}
	if !slices.Equal(cfg.AllowedOrigins, []string{"https://app.example.com", "http://127.0.0.1:8080"}) {
		t.Errorf("AllowedOrigins %q", cfg.AllowedOrigins)
	}
	if cfg.IdentitySecret != "s3cret" || cfg.MaxBodyBytes != 1000 || cfg.ClientPerMinute != 5 || cfg.IdentityEventsPerMinute != 50 {
		t.Errorf("got %+v", cfg)
	}
}

// TestConfigFromEnvErrors tests that every bad variable gives an error naming it and the problem.
func TestConfigFromEnvErrors(t *testing.T) {
	tests := []struct {
		name, key, value string
		want             []string // substrings of the error
	}{
		{"missing app id", "HEAP_APP_ID", "", []string{"HEAP_APP_ID", "required"}},
		{"blank app id", "HEAP_APP_ID", "  ", []string{"HEAP_APP_ID", "required"}},
		{"ftp API URL", "HEAP_API_URL", "ftp://heap.example", []string{"HEAP_API_URL", "http"}},
		{"API URL without scheme", "HEAP_API_URL", "heapanalytics.com", []string{"HEAP_API_URL"}},
		{"API URL that does not parse", "HEAP_API_URL", "http://[::1", []string{"HEAP_API_URL", "parse"}},
		{"API URL with a query", "HEAP_API_URL", "https://heap.example/?x=1", []string{"HEAP_API_URL", "query"}},
		{"origin with a path", "ALLOWED_ORIGINS", "https://app.example.com/", []string{"ALLOWED_ORIGINS", "https://app.example.com/", "no path"}},
		{"origin without scheme", "ALLOWED_ORIGINS", "app.example.com", []string{"ALLOWED_ORIGINS", "http"}},
		{"origin with a bad port", "ALLOWED_ORIGINS", "http://127.0.0.1:99999", []string{"ALLOWED_ORIGINS", "port"}},
		{"origin in upper case", "ALLOWED_ORIGINS", "https://App.example.com", []string{"ALLOWED_ORIGINS", "lower case"}},
		{"second origin bad", "ALLOWED_ORIGINS", "https://a.example, https://b.example/x", []string{"https://b.example/x"}},
		{"body cap not a number", "MAX_BODY_BYTES", "lots", []string{"MAX_BODY_BYTES", "whole number"}},
		{"body cap zero", "MAX_BODY_BYTES", "0", []string{"MAX_BODY_BYTES", "above 0"}},
		{"client rate negative", "RATE_CLIENT_PER_MINUTE", "-1", []string{"RATE_CLIENT_PER_MINUTE"}},
		{"identity rate fraction", "RATE_IDENTITY_EVENTS_PER_MINUTE", "1.5", []string{"RATE_IDENTITY_EVENTS_PER_MINUTE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"HEAP_APP_ID": "123", tt.key: tt.value}
			_, err := ConfigFromEnv(env(vars))
			if err == nil {
				t.Fatalf("%s=%q gave no error", tt.key, tt.value)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestConfigErrorHandler tests that a misconfigured relay answers 500 naming the problem.
func TestConfigErrorHandler(t *testing.T) {
	_, err := ConfigFromEnv(env(nil))
	rg := &rig{h: ConfigErrorHandler(err)}
	for _, target := range []string{"/v1/events", "/v1/health", "/else"} {
		text := errorText(t, rg.do("GET", target, ""), 500)
		if !strings.Contains(text, "relay is misconfigured: ") || !strings.Contains(text, "HEAP_APP_ID") {
			t.Errorf("%s: error %q", target, text)
		}
	}
	// A hand-built Config without an app id gets the same answer rather than posting app_id "".
	rg.h = NewHandler(Config{}, Deps{})
	if text := errorText(t, rg.post(batch(ev("a"))), 500); !strings.Contains(text, "HEAP_APP_ID") {
		t.Errorf("NewHandler without AppID: %q", text)
	}
}

// TestConfigFromEnvAllErrors tests that every bad variable is reported at once, on one line.
func TestConfigFromEnvAllErrors(t *testing.T) {
	_, err := ConfigFromEnv(env(map[string]string{"HEAP_API_URL": "ftp://x", "MAX_BODY_BYTES": "x"}))
	if err == nil || strings.Contains(err.Error(), "\n") || strings.Count(err.Error(), "; ") != 2 {
		t.Errorf("error %q, want three problems on one line", err)
	}
}
