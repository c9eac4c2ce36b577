//go:build !js

package wasm

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryFileIsWasmOnly tests that each Go file under wasm/ builds only for js/wasm, so
// nothing here leaks into a native build of the core.
func TestEveryFileIsWasmOnly(t *testing.T) {
	err := filepath.Walk(".", func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") || path == "tags_test.go" {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(string(src), "//go:build js && wasm\n") {
			t.Errorf("%s does not start with //go:build js && wasm", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
