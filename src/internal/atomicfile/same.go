package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ReasonSameFile: two outputs of one run name the same file.
const ReasonSameFile Reason = "same_file"

// Named is a file output with the flag or variable that named it.
type Named struct {
	// By is the flag or variable, for the error: --dotenv-file, GITHUB_ENV.
	By   string
	Path string
	// Append: the output appends lines (GITHUB_ENV, GITHUB_OUTPUT); two
	// such outputs may share a file, as they lose nothing.
	Append bool
}

// CheckDistinct refuses outputs of which two are one file, however they
// are spelt: ./f and f, a folder reached through a symbolic link, a hard
// link or a bind mount of an existing file. Each would replace the other's
// content, and the run would lose one with exit 0. Entries with an empty
// path are skipped.
func CheckDistinct(files ...Named) error {
	type seen struct {
		Named
		resolved string
		info     fs.FileInfo
	}
	var all []seen
	for _, f := range files {
		if f.Path == "" {
			continue
		}
		resolved, err := resolve(f.Path)
		if err != nil {
			return err
		}
		info, _ := os.Stat(resolved)
		s := seen{Named: f, resolved: resolved, info: info}
		for _, o := range all {
			if o.Append && s.Append {
				continue
			}
			if o.resolved == s.resolved || (o.info != nil && s.info != nil && os.SameFile(o.info, s.info)) {
				return &RefusedError{Path: f.Path, Reason: ReasonSameFile,
					Detail: fmt.Sprintf("%s names the same file as %s %q, and each would overwrite the other", f.By, o.By, o.Path),
					Fix:    fmt.Sprintf("give %s and %s different files", f.By, o.By)}
			}
		}
		all = append(all, s)
	}
	return nil
}

// resolve makes path absolute and clean and resolves the symbolic links of
// its deepest folder that exists; the missing rest is appended as given.
// The file itself is not followed: the writers refuse a link there.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("failed to resolve %q: %w", path, err)
	}
	dir, rest := filepath.Dir(abs), filepath.Base(abs)
	for {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			// Not resolvable (a loop, no permission): compare as spelt.
			return abs, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}
