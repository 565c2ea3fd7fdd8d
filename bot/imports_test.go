package bot_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreImportsNoPlatformOrStorage: the core (every package under bot/)
// depends on no conversational flow, store, adapter or badger; the wiring
// lives in cmd/yishi/app.
func TestCoreImportsNoPlatformOrStorage(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/yishi-community/yishi/bot/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/yishi-community/yishi/flows", "github.com/yishi-community/yishi/storage", "github.com/yishi-community/yishi/adapters", "github.com/yishi-community/yishi/cmd", "github.com/dgraph-io/badger"} {
			if dep == banned || strings.HasPrefix(dep, banned+"/") {
				t.Errorf("a package under bot/ depends on %s", dep)
			}
		}
	}
}
