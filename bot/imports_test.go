package bot_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The import graph points inward (docs/architecture.md): the core knows no transport and no
// assistant, the domain packages know no chat, and concrete parts are put together only in
// cmd/innobot. This reads the imports of every package's non-test files.
func TestImportsPointInward(t *testing.T) {
	imports := map[string][]string{} // by package path, innobot's own imports
	root := ".."
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			if own, ok := strings.CutPrefix(p, "innobot/"); ok && !slices.Contains(imports[pkg], own) {
				imports[pkg] = append(imports[pkg], own)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	under := func(p string, roots ...string) bool {
		return slices.ContainsFunc(roots, func(r string) bool { return p == r || strings.HasPrefix(p, r+"/") })
	}
	concrete := []string{"storage/bolt", "storage/redis", "bot/wechat", "bot/sim"}
	for pkg, deps := range imports {
		for _, dep := range deps {
			var rule string
			switch {
			case pkg == "bot" && dep != "storage":
				rule = "bot, the core, imports only storage"
			case under(pkg, "dialog", "survey", "ledger", "reminders", "storage", "period", "roster", "config", "invite") && under(dep, "bot", "assistant"):
				rule = "the domain packages know nothing of chats"
			case under(dep, concrete...) && pkg != "cmd/innobot" && !under(pkg, dep):
				rule = "concrete parts are wired in cmd/innobot only"
			}
			if rule != "" {
				t.Errorf("%s imports %s: %s", pkg, dep, rule)
			}
		}
	}
	if len(imports["assistant"]) == 0 || len(imports["cmd/innobot"]) == 0 {
		t.Fatalf("read no imports of assistant or cmd/innobot: %v", imports)
	}
}
