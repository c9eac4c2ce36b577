package bridge

import (
	"sort"
	"strings"
)

// Settings are the page's window.userpilotHeapBridgeSettings (or configure(settings)) after
// validation. The zero value is the default.
type Settings struct {
	WasmURL string
	// WorkerURL is where the loader fetches the worker script (the module's runtime); the loader acts on it.
	WorkerURL string
	// Thread is where the module runs: "auto" (default), "worker" or "main"; the loader acts on it.
	Thread string
	Debug  bool
	// ExtraEvents are undocumented Userpilot `on` event names to forward as "Userpilot Event (<name>)".
	ExtraEvents []string
	// Allow and Deny filter canonical event names; `*` matches any run of characters.
	Allow, Deny []string
	// Rename maps a canonical event name to the name Heap receives.
	Rename map[string]string
	// DropProperties and MaskProperties name properties (and, for a flattened object, its prefix).
	DropProperties, MaskProperties []string
	// UserProperties names the userpilot.identify properties sent with heap.addUserProperties.
	UserProperties []string
	// Identity is "sync" (default) or "off": never call identify or resetIdentity.
	Identity string
	// Consent is "granted" (default), "pending" or "denied".
	Consent string
	// Load is "eager" (default), "idle" or "first-event"; the loader acts on it.
	Load string
	// Record keeps the calls made, for UserpilotHeapBridge.history(); the loader acts on it.
	Record bool
	// Persist writes events not yet delivered to storage when the page is hidden, for a later page
	// of the origin to deliver (docs/contract.md §9); on by default, the loader acts on it.
	Persist bool
	// RelayURL is the edge relay's events endpoint; empty means no relay.
	RelayURL string
	// RelayAfter is how long, in ms from the loader's start, Heap's SDK gets to load before held
	// events go to the relay.
	RelayAfter float64
	// RelaySignature is the hex HMAC of the user's identity the relay checks, when it has a secret.
	RelaySignature string
	// ToUserpilot mirrors the page's own Heap calls to Userpilot (docs/contract.md §7).
	ToUserpilot ToUserpilotSettings
}

// Setting values with a fixed set of choices.
var (
	identityModes = []string{"sync", "off"}
	ConsentStates = []string{"granted", "pending", "denied"}
	loadModes     = []string{"eager", "idle", "first-event"}
	threadModes   = []string{"auto", "worker", "main"}
)

// settingKinds lists every accepted key and the kind of value it takes.
var settingKinds = map[string]Kind{
	"wasmUrl":        KindString,
	"workerUrl":      KindString,
	"thread":         KindString,
	"debug":          KindBool,
	"extraEvents":    KindArray,
	"events":         KindObject,
	"rename":         KindObject,
	"properties":     KindObject,
	"userProperties": KindArray,
	"identity":       KindString,
	"consent":        KindString,
	"load":           KindString,
	"record":         KindBool,
	"persist":        KindBool,
	"relayUrl":       KindString,
	"relayAfter":     KindNumber,
	"relaySignature": KindString,
	"toUserpilot":    KindObject,
}

// settingsParser collects problems, one message per wrong key or value.
type settingsParser struct{ problems []string }

func (p *settingsParser) bad(format string) { p.problems = append(p.problems, format) }

// ParseSettings validates the settings object. Each unknown key or wrong value yields one message
// naming it and what is allowed; that setting keeps its default and the rest still apply.
func ParseSettings(v Value) (Settings, []string) {
	s := Settings{Identity: "sync", Consent: "granted", Load: "eager", Thread: "auto", RelayAfter: DefaultRelayAfter, Persist: true}
	p := &settingsParser{}
	switch v.Kind {
	case KindUndefined, KindNull:
		return s, nil
	case KindObject:
	default:
		return s, []string{"window.userpilotHeapBridgeSettings is " + describe(v) + "; expected an object, using the defaults"}
	}
	for i, key := range v.Keys {
		if i >= len(v.Items) {
			break
		}
		val := v.Items[i]
		want, known := settingKinds[key]
		if !known {
			p.bad("unknown setting " + label(key) + " ignored" + didYouMean(key, settingNames()) + "; allowed settings are " + allowedSettings())
			continue
		}
		if val.Kind == KindUndefined {
			continue
		}
		if val.Kind != want {
			p.bad("setting " + quote(key) + " is " + describe(val) + "; expected " + kindName(want) + ", using the default")
			continue
		}
		p.apply(&s, key, val)
	}
	return s, p.problems
}

func (p *settingsParser) apply(s *Settings, key string, val Value) {
	switch key {
	case "wasmUrl":
		if strings.TrimSpace(val.Str) == "" {
			p.bad(`setting "wasmUrl" is empty; using the module next to the loader`)
			return
		}
		s.WasmURL = val.Str
	case "workerUrl":
		if strings.TrimSpace(val.Str) == "" {
			p.bad(`setting "workerUrl" is empty; using the worker script next to the loader`)
			return
		}
		s.WorkerURL = val.Str
	case "thread":
		s.Thread = p.choice("thread", val.Str, threadModes, s.Thread)
	case "debug":
		s.Debug = val.Bool
	case "record":
		s.Record = val.Bool
	case "persist":
		s.Persist = val.Bool
	case "extraEvents":
		for _, name := range p.names("extraEvents", val, 100) {
			if _, documented := experienceEvents[name]; !documented && !contains(s.ExtraEvents, name) {
				s.ExtraEvents = append(s.ExtraEvents, name)
			}
		}
	case "events":
		p.fields("events", val, map[string]func(Value){
			"allow": func(v Value) { s.Allow = p.names("events.allow", v, MaxEventNameLen) },
			"deny":  func(v Value) { s.Deny = p.names("events.deny", v, MaxEventNameLen) },
		})
	case "rename":
		s.Rename = map[string]string{}
		for i, from := range val.Keys {
			to := val.Items[i]
			if to.Kind != KindString || CheckEventName(to.Str) != "" {
				p.bad(`setting "rename" maps ` + label(from) + " to " + describe(to) + "; expected a non-empty event name of at most 255 characters")
				continue
			}
			s.Rename[from] = to.Str
		}
	case "properties":
		p.fields("properties", val, map[string]func(Value){
			"drop": func(v Value) { s.DropProperties = p.names("properties.drop", v, MaxPropertyKeyLen) },
			"mask": func(v Value) { s.MaskProperties = p.names("properties.mask", v, MaxPropertyKeyLen) },
		})
	case "userProperties":
		s.UserProperties = p.names("userProperties", val, MaxPropertyKeyLen)
	case "identity":
		s.Identity = p.choice("identity", val.Str, identityModes, s.Identity)
	case "consent":
		s.Consent = p.choice("consent", val.Str, ConsentStates, s.Consent)
	case "load":
		s.Load = p.choice("load", val.Str, loadModes, s.Load)
	case "relayUrl":
		if !relayURLShape(val.Str) {
			p.bad(`setting "relayUrl" is ` + label(val.Str) + `; expected an http(s) URL or a path starting with "/", without spaces; events are not relayed`)
			return
		}
		s.RelayURL = val.Str
	case "relayAfter":
		if !(val.Num >= 0 && val.Num <= MaxRelayAfterMs) {
			p.bad(`setting "relayAfter" is ` + JSNumberString(val.Num) + "; expected milliseconds from 0 to " + JSNumberString(MaxRelayAfterMs) + ", using " + JSNumberString(DefaultRelayAfter))
			return
		}
		s.RelayAfter = val.Num
	case "toUserpilot":
		t := ToUserpilotSettings{Enabled: true}
		p.fields("toUserpilot", val, map[string]func(Value){
			"events": func(v Value) { t.Events = p.names("toUserpilot.events", v, MaxEventNameLen) },
			"prefix": func(v Value) {
				if v.Kind != KindString || UTF16Len(v.Str) > 100 {
					p.bad(`setting "toUserpilot.prefix" is ` + describe(v) + "; expected a string of at most 100 characters, using none")
					return
				}
				t.Prefix = v.Str
			},
			"userProperties": func(v Value) {
				if v.Kind != KindBool {
					p.bad(`setting "toUserpilot.userProperties" is ` + describe(v) + "; expected a boolean (true or false), using false")
					return
				}
				t.UserProperties = v.Bool
			},
		})
		s.ToUserpilot = t
	case "relaySignature":
		if !isHex(val.Str, 64) {
			p.bad(`setting "relaySignature" is ` + label(val.Str) + "; expected the 64 hex digits of an HMAC-SHA256, sending without a signature")
			return
		}
		s.RelaySignature = val.Str
	}
}

// relayURLShape accepts an absolute http(s) URL or a same-origin path; the browser resolves it.
func relayURLShape(u string) bool {
	if u == "" || len(u) > 2048 || strings.ContainsAny(u, " \t\r\n") {
		return false
	}
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") || (strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//"))
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune(hexDigits+"ABCDEF", c) {
			return false
		}
	}
	return true
}

// names reads an array of non-empty strings, reporting each bad entry.
func (p *settingsParser) names(key string, v Value, max int) []string {
	if v.Kind != KindArray {
		p.bad("setting " + quote(key) + " is " + describe(v) + "; expected an array of names")
		return nil
	}
	out := []string{}
	for _, item := range v.Items {
		name := strings.TrimSpace(item.Str)
		if item.Kind != KindString || name == "" || UTF16Len(name) > max {
			p.bad("setting " + quote(key) + " has an entry that is " + describe(item) + "; expected non-empty names of at most " + itoa(max) + " characters")
			continue
		}
		out = append(out, name)
	}
	return out
}

// fields reads a settings object whose keys are all known.
func (p *settingsParser) fields(key string, v Value, known map[string]func(Value)) {
	var allowed []string
	for k := range known {
		allowed = append(allowed, k)
	}
	sort.Strings(allowed)
	for i, k := range v.Keys {
		if f, ok := known[k]; ok {
			f(v.Items[i])
			continue
		}
		p.bad("unknown key " + label(k) + " in setting " + quote(key) + " ignored" + didYouMean(k, allowed) + "; allowed keys are " + strings.Join(allowed, ", "))
	}
}

func (p *settingsParser) choice(key, got string, allowed []string, fallback string) string {
	if contains(allowed, got) {
		return got
	}
	p.bad("setting " + quote(key) + " is " + label(got) + didYouMean(got, allowed) + "; expected one of " + strings.Join(quoteAll(allowed), ", ") + ", using " + quote(fallback))
	return fallback
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = quote(s)
	}
	return out
}

func allowedSettings() string { return strings.Join(settingNames(), ", ") }

func settingNames() []string {
	keys := make([]string, 0, len(settingKinds))
	for k := range settingKinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func kindName(k Kind) string {
	switch k {
	case KindString:
		return "a string"
	case KindBool:
		return "a boolean (true or false)"
	case KindNumber:
		return "a number"
	case KindArray:
		return "an array"
	case KindObject:
		return "an object"
	}
	return string(k)
}

// MatchName reports whether name matches pattern, where `*` matches any run of characters.
func MatchName(pattern, name string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(name, part)
		if i < 0 {
			return false
		}
		name = name[i+len(part):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

// Allowed reports whether the events setting lets a canonical event name through.
func (s Settings) Allowed(name string) bool {
	if len(s.Allow) > 0 && !matchesAny(s.Allow, name) {
		return false
	}
	return !matchesAny(s.Deny, name)
}

func matchesAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if MatchName(p, name) {
			return true
		}
	}
	return false
}
