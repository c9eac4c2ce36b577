package bridge

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCoreIsPureGo tests that no file in the core imports syscall/js, so it runs anywhere.
func TestCoreIsPureGo(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "\"syscall"+"/js\"") {
			t.Errorf("%s imports syscall/js; the core must stay pure Go", f)
		}
	}
}

// TestLoaderListensToCoreEvents tests that the loader subscribes to exactly the events the core maps.
func TestLoaderListensToCoreEvents(t *testing.T) {
	src, err := os.ReadFile("../js/src/hooks.js")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`export var EVENTS = \[([^\]]*)\];`).FindSubmatch(src)
	if m == nil {
		t.Fatal("js/src/hooks.js has no EVENTS list")
	}
	var names []string
	for _, q := range regexp.MustCompile(`'([^']+)'`).FindAllSubmatch(m[1], -1) {
		names = append(names, string(q[1]))
	}
	if strings.Join(names, ",") != strings.Join(SubscribedEvents(), ",") {
		t.Errorf("loader listens to %v, core maps %v", names, SubscribedEvents())
	}
}
