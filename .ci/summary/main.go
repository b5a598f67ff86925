// Command summary reads `go test -json` on standard input and prints what a person needs from
// a CI run: each package's result, the whole output of every failed test, and a closing line
// "N passed, N failed, N skipped". It exits 1 when anything failed.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

func main() {
	outputs := map[string][]string{} // by package/test: the lines of tests still running
	var passed, failed, skipped int
	var failedOut []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Println(sc.Text()) // a build error or other plain line: show it as it is
			continue
		}
		key := e.Package + "/" + e.Test
		switch e.Action {
		case "output":
			if e.Test != "" {
				outputs[key] = append(outputs[key], e.Output)
			} else if strings.HasPrefix(e.Output, "ok") || strings.HasPrefix(e.Output, "FAIL") ||
				strings.HasPrefix(e.Output, "?") || strings.HasPrefix(e.Output, "panic") || strings.Contains(e.Output, "[build failed]") {
				fmt.Print(e.Output)
			}
		case "pass", "skip", "fail":
			if e.Test == "" {
				if e.Action == "fail" {
					failed++ // a package that failed to build or panicked outside a test
				}
				continue
			}
			switch e.Action {
			case "pass":
				passed++
			case "skip":
				skipped++
			case "fail":
				failed++
				failedOut = append(failedOut, outputs[key]...)
			}
			delete(outputs, key)
		}
	}
	if len(failedOut) > 0 {
		fmt.Println("\n== output of the failed tests")
		fmt.Print(strings.Join(failedOut, ""))
	}
	fmt.Printf("\ngo test: %d passed, %d failed, %d skipped\n", passed, failed, skipped)
	if failed > 0 || sc.Err() != nil {
		os.Exit(1)
	}
}
