// Command shape prints the figures issue 11 asks a redesign to report, so a
// before and an after come from the same code: our production packages, the
// import edges between them, the largest file and function, the share of
// lines in the cli package, and the start-up time of `aws-oidc version`
// against a Go hello world, measured alternately in the same run.
//
//	go run ./tests/shape [-runs N] [-bin bin/aws-oidc]
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

const module = "gitlab.com/aws-oidc/aws-oidc/"

func main() {
	runs := flag.Int("runs", 200, "start-ups of each program to time")
	bin := flag.String("bin", "bin/aws-oidc", "the built aws-oidc binary")
	flag.Parse()
	if err := report(*runs, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "shape:", err)
		os.Exit(1)
	}
}

type pkg struct {
	path    string
	imports []string
	lines   int
}

func report(runs int, bin string) error {
	pkgs, err := production()
	if err != nil {
		return err
	}
	total, edges := 0, 0
	var cli int
	var names []string
	for _, p := range pkgs {
		total += p.lines
		edges += len(p.imports)
		names = append(names, strings.TrimPrefix(p.path, module+"src/"))
		if strings.HasSuffix(p.path, "/internal/cli") {
			cli = p.lines
		}
	}
	fmt.Printf("packages: %d (production code under src/, test helpers excluded)\n  %s\n", len(pkgs), strings.Join(names, " "))
	fmt.Printf("import edges between them: %d\n", edges)
	fmt.Printf("lines: %d; in cli: %d (%.0f%%)\n", total, cli, 100*float64(cli)/float64(total))
	file, flines, fn, fnlines, err := largest(pkgs)
	if err != nil {
		return err
	}
	fmt.Printf("largest file: %s (%d lines)\nlargest function: %s (%d lines)\n", file, flines, fn, fnlines)
	if runs > 0 {
		return startup(runs, bin)
	}
	return nil
}

// production lists the module's non-test packages under src/ that the
// binary links, skipping fakes that only tests import.
func production() ([]pkg, error) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}\t{{join .Imports \" \"}}\t{{join .GoFiles \" \"}}\t{{.Dir}}", "./src/cmd/aws-oidc").Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w", err)
	}
	var pkgs []pkg
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if !strings.HasPrefix(f[0], module) {
			continue
		}
		p := pkg{path: f[0]}
		for _, imp := range strings.Fields(f[1]) {
			if strings.HasPrefix(imp, module) {
				p.imports = append(p.imports, imp)
			}
		}
		for _, name := range strings.Fields(f[2]) {
			b, err := os.ReadFile(filepath.Join(f[3], name))
			if err != nil {
				return nil, err
			}
			p.lines += strings.Count(string(b), "\n")
		}
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].path < pkgs[j].path })
	return pkgs, nil
}

func largest(pkgs []pkg) (file string, flines int, fn string, fnlines int, err error) {
	for _, p := range pkgs {
		dir := strings.TrimPrefix(p.path, module)
		entries, err := os.ReadDir(dir)
		if err != nil {
			return "", 0, "", 0, err
		}
		for _, e := range entries {
			name := filepath.Join(dir, e.Name())
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				return "", 0, "", 0, err
			}
			if n := fset.File(f.Pos()).LineCount(); n > flines {
				file, flines = name, n
			}
			for _, d := range f.Decls {
				d, ok := d.(*ast.FuncDecl)
				if !ok {
					continue
				}
				n := fset.Position(d.End()).Line - fset.Position(d.Pos()).Line + 1
				if n > fnlines {
					fn, fnlines = dir+"."+d.Name.Name, n
				}
			}
		}
	}
	return file, flines, fn, fnlines, nil
}

const hello = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

// startup times `aws-oidc version` and a Go hello world built the same way,
// alternating so both see the same machine, and prints the medians.
func startup(runs int, bin string) error {
	dir, err := os.MkdirTemp("", "shape")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "hello.go")
	if err := os.WriteFile(src, []byte(hello), 0o644); err != nil {
		return err
	}
	helloBin := filepath.Join(dir, "hello")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", helloBin, src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("build hello world: %v: %s", err, out)
	}
	var ours, theirs []time.Duration
	for range runs {
		for _, c := range []struct {
			into *[]time.Duration
			argv []string
		}{{&ours, []string{bin, "version"}}, {&theirs, []string{helloBin}}} {
			cmd := exec.Command(c.argv[0], c.argv[1:]...)
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("%s: %w", strings.Join(c.argv, " "), err)
			}
			*c.into = append(*c.into, time.Since(start))
		}
	}
	a, b := median(ours), median(theirs)
	fmt.Printf("start-up (median of %d, alternated): aws-oidc version %v, hello world %v, ratio %.2f\n",
		runs, a.Round(10*time.Microsecond), b.Round(10*time.Microsecond), float64(a)/float64(b))
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
