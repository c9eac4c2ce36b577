package relay

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// module is this repository's module path, for following its own imports.
const module = "github.com/userpilot-heap-bridge/userpilot-heap-bridge"

// TestRelayIsPureGo tests that relay/, and every package of this module it imports, imports no
// syscall/js, so the relay runs natively as well as in the Worker. (The standard library's own
// js/wasm files do import it; that is the Worker's business.)
func TestRelayIsPureGo(t *testing.T) {
	seen := map[string]bool{}
	var visit func(dir string)
	visit = func(dir string) {
		if seen[dir] {
			return
		}
		seen[dir] = true
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range src.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if path == "syscall/js" {
					t.Errorf("%s imports syscall/js; the relay must stay pure Go", f)
				}
				if rest, ok := strings.CutPrefix(path, module+"/"); ok {
					visit(filepath.Join("..", filepath.FromSlash(rest)))
				}
			}
		}
	}
	visit(".")
	for _, dir := range []string{"relaytest/fakeheap", "relaytest/cmd/fakeheap", "relaytest/fakeuserpilot", "relaytest/cmd/fakeuserpilot"} {
		visit(dir)
	}
	if !seen[filepath.Join("..", "bridge")] {
		t.Errorf("the scan did not reach bridge/; it is not following imports")
	}
}
