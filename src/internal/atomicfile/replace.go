package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Replacement is a file's new content, checked and ready to be put in
// place, with what Undo puts back. Callers with several outputs prepare a
// Replacement for each, commit them in turn, and undo the committed ones
// when a later one fails, so that a run writes all of its outputs or none.
type Replacement struct {
	Path string
	Data []byte
	Perm os.FileMode
	// Old is the content the file had; Existed false means there was no
	// file, and Undo removes it.
	Old     []byte
	Existed bool

	written bool
	saved   *Saved
}

// Commit replaces the file with Data (see Write), with mode Perm whatever
// mode the file had: it holds credentials. Undo gives the old mode back.
func (r *Replacement) Commit() error {
	if r.Existed {
		r.saved = Save(r.Path)
	}
	if err := Write(r.Path, r.Data, r.Perm); err != nil {
		return err
	}
	r.written = true
	return nil
}

// Undo puts the file back as it was before Commit, content, mode and
// owner (where this process may give a file away); it does nothing when
// Commit did not succeed. It is best effort: the error is returned for the
// log, the caller's first error stays the one to report.
func (r *Replacement) Undo() error {
	if r == nil || !r.written {
		return nil
	}
	r.written = false
	if r.Existed {
		if r.saved == nil {
			return Write(r.Path, r.Old, r.Perm)
		}
		return r.saved.Restore(r.Path, r.Old)
	}
	if err := os.Remove(r.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// CheckWritable makes sure that a file can be written at path later: the
// target is absent or a regular file (never a link, directory or device),
// its directory exists and a file can be created in it (a probe file is
// created and removed at once). It writes nothing else.
func CheckWritable(path string) error {
	dir, err := checkDestination(path)
	if err != nil {
		return err
	}
	probe, err := os.CreateTemp(dir, "."+filepath.Base(path)+".probe-*")
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return &RefusedError{Path: path, Reason: ReasonNotWritable,
				Detail: fmt.Sprintf("its directory %q is not writable", dir),
				Fix:    "give a path in a directory this job's user can write to"}
		}
		return fmt.Errorf("failed to create a file in %q: %w", dir, err)
	}
	name := probe.Name()
	_ = probe.Close()
	return os.Remove(name)
}

// MakeParents creates the missing directories above path, each with mode
// 0700, and returns the ones it created, outermost first, for RemoveDirs.
// A path that exists but is not a directory is refused.
func MakeParents(path string) ([]string, error) {
	if path == "" {
		return nil, emptyPath()
	}
	var missing []string
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err == nil {
			if !info.IsDir() {
				return nil, &RefusedError{Path: path, Reason: ReasonParentNotDirectory,
					Detail: fmt.Sprintf("%q is not a directory", dir),
					Fix:    "give a path inside a directory"}
			}
			break
		}
		// ENOTDIR: a level above is no directory, found further up.
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return nil, fmt.Errorf("failed to inspect %q: %w", dir, err)
		}
		missing = append(missing, dir)
		if parent := filepath.Dir(dir); parent == dir {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			RemoveDirs(created)
			if errors.Is(err, fs.ErrPermission) {
				return nil, &RefusedError{Path: path, Reason: ReasonNotWritable,
					Detail: fmt.Sprintf("its directory %q does not exist and cannot be created", missing[i]),
					Fix:    fmt.Sprintf("create it first (mkdir -p %q) or give a path in a directory this job's user can write to", filepath.Dir(path))}
			}
			return nil, fmt.Errorf("failed to create %q: %w", missing[i], err)
		} else if err == nil {
			created = append(created, missing[i])
		}
	}
	return created, nil
}

// RemoveDirs removes directories that MakeParents created, innermost
// first, as long as they are empty; it never removes anything else.
func RemoveDirs(created []string) {
	for i := len(created) - 1; i >= 0; i-- {
		_ = syscallRmdir(created[i])
	}
}
