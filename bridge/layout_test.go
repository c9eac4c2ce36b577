package bridge

import (
	"os"
	"path/filepath"
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
