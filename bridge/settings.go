package bridge

import (
	"sort"
	"strings"
)

// Settings are the page's window.userpilotHeapBridgeSettings after validation.
type Settings struct {
	WasmURL string
	Debug   bool
	// ExtraEvents are undocumented Userpilot `on` event names to forward as "Userpilot Event (<name>)".
	ExtraEvents []string
}

// settingKinds lists every accepted key and the kind of value it takes.
var settingKinds = map[string]Kind{
	"wasmUrl":     KindString,
	"debug":       KindBool,
	"extraEvents": KindArray,
}

// ParseSettings validates the settings object. Each unknown key or wrongly typed value yields one
// message naming it and what is allowed; the rest of the settings still apply.
func ParseSettings(v Value) (Settings, []string) { //nolint:gocyclo // one case per setting
	var s Settings
	var problems []string
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
			problems = append(problems, "unknown setting "+quote(key)+" ignored; allowed settings are "+allowedSettings())
			continue
		}
		if val.Kind == KindUndefined {
			continue
		}
		if val.Kind != want {
			problems = append(problems, "setting "+quote(key)+" is "+describe(val)+"; expected "+kindName(want)+", using the default")
			continue
		}
		switch key {
		case "wasmUrl":
			if strings.TrimSpace(val.Str) == "" {
				problems = append(problems, `setting "wasmUrl" is empty; using the module next to the loader`)
				continue
			}
			s.WasmURL = val.Str
		case "debug":
			s.Debug = val.Bool
		case "extraEvents":
			for _, item := range val.Items {
				name := strings.TrimSpace(item.Str)
				if item.Kind != KindString || name == "" || UTF16Len(name) > 100 {
					problems = append(problems, `setting "extraEvents" has an entry that is `+describe(item)+"; expected non-empty event names of at most 100 characters")
					continue
				}
				if _, documented := experienceEvents[name]; !documented && !contains(s.ExtraEvents, name) {
					s.ExtraEvents = append(s.ExtraEvents, name)
				}
			}
		}
	}
	return s, problems
}

func allowedSettings() string {
	keys := make([]string, 0, len(settingKinds))
	for k := range settingKinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
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
