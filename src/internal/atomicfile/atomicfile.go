// Package atomicfile owns replacing a file all at once: readers (and a later
// GitLab artifact upload) see either the old content or the new one, never a
// half-written file, and a failed write leaves the target exactly as it was.
//
// It refuses to write through symbolic links or onto directories, because a
// credentials file written somewhere the user did not expect is a leak.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Reason says why a path was refused.
type Reason string

const (
	// ReasonDirectory: the path names a directory.
	ReasonDirectory Reason = "directory"
	// ReasonSymlink: the path is a symbolic link; we never write through one.
	ReasonSymlink Reason = "symlink"
	// ReasonNotRegular: the path is a device, socket, named pipe or similar.
	ReasonNotRegular Reason = "not_regular"
	// ReasonNoParent: the directory that should hold the file does not exist.
	ReasonNoParent Reason = "no_parent"
	// ReasonParentNotDirectory: the parent path exists but is not a directory.
	ReasonParentNotDirectory Reason = "parent_not_directory"
	// ReasonTooLarge: an existing file is larger than the caller accepts.
	ReasonTooLarge Reason = "too_large"
	// ReasonEmpty: no path was given.
	ReasonEmpty Reason = "empty"
	// ReasonNotWritable: the directory cannot be written or created.
	ReasonNotWritable Reason = "not_writable"
	// ReasonReadOnly: the file exists and this user may not write it
	// (mode 0444, or another user's file in a shared folder).
	ReasonReadOnly Reason = "read_only"
)

// emptyPath refuses an empty path, which would otherwise resolve to the
// working directory.
func emptyPath() error {
	return &RefusedError{Reason: ReasonEmpty, Detail: "the path is empty", Fix: "give the path of a file"}
}

// RefusedError reports a path that is not safe or not possible to read or
// replace. Nothing was written when it is returned.
type RefusedError struct {
	// Path is the path as the caller gave it.
	Path string
	// Reason is the machine-readable cause.
	Reason Reason
	// Detail says what was found, for people.
	Detail string
	// Fix says what the user can do about it.
	Fix string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("refusing %q: %s", e.Path, e.Detail)
}

// Hint returns what the user can do about the refusal.
func (e *RefusedError) Hint() string { return e.Fix }

// Write replaces the file at path with data, all at once, with mode perm.
//
// It writes a temporary file in the same directory (a rename is only atomic
// within one file system), syncs it, sets perm, renames it over path and
// syncs the directory so that the rename survives a crash. On any failure
// before the rename the temporary file is removed and path is untouched.
func Write(path string, data []byte, perm os.FileMode) error {
	return osFS.write(path, data, perm)
}

// ReadExisting reads the regular file at path if there is one. It reports
// false, without an error, when nothing exists at path. It refuses a
// symbolic link, a directory or any other non-regular file, and a file
// larger than maxBytes (maxBytes <= 0 means no limit).
func ReadExisting(path string, maxBytes int64) ([]byte, bool, error) {
	if path == "" {
		return nil, false, emptyPath()
	}
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("failed to inspect %q: %w", path, err)
	}
	if err := checkTarget(path, info); err != nil {
		return nil, false, err
	}

	// O_NOFOLLOW closes the window between the Lstat above and the open: a
	// link swapped in meanwhile makes the open fail instead of being followed.
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return nil, false, fmt.Errorf("failed to open %q: %w", path, err)
	}
	defer f.Close()

	info, err = f.Stat()
	if err != nil {
		return nil, false, fmt.Errorf("failed to inspect %q: %w", path, err)
	}
	if err := checkTarget(path, info); err != nil {
		return nil, false, err
	}

	var r io.Reader = f
	if maxBytes > 0 {
		// Read one byte more than allowed to tell "exactly the limit" from "over".
		r = io.LimitReader(f, maxBytes+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, false, fmt.Errorf("failed to read %q: %w", path, err)
	}
	if maxBytes > 0 && int64(len(data)) > maxBytes {
		return nil, false, &RefusedError{
			Path:   path,
			Reason: ReasonTooLarge,
			Detail: fmt.Sprintf("the existing file is larger than %d bytes", maxBytes),
			Fix:    "remove or shorten the existing file, or write to another path",
		}
	}
	return data, true, nil
}

// checkTarget refuses anything at the target path but a regular file.
func checkTarget(path string, info fs.FileInfo) error {
	mode := info.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return &RefusedError{
			Path:   path,
			Reason: ReasonSymlink,
			Detail: "it is a symbolic link, and credentials are never written through a link",
			Fix:    "remove the link, or give the path of a regular file",
		}
	case mode.IsDir():
		return &RefusedError{
			Path:   path,
			Reason: ReasonDirectory,
			Detail: "it is a directory",
			Fix:    "give the path of a file, for example " + filepath.Join(path, "aws.env"),
		}
	case !mode.IsRegular():
		return &RefusedError{
			Path:   path,
			Reason: ReasonNotRegular,
			Detail: fmt.Sprintf("it is not a regular file (mode %s)", mode.Type()),
			Fix:    "give the path of a regular file",
		}
	}
	return nil
}

// checkReplaceable refuses an existing file this process may not write,
// as the shell would refuse `> file`: replacing it by a rename would
// succeed wherever the folder is writable, and silently change a file its
// owner made read-only, or take over another user's file.
func checkReplaceable(path string) error {
	if canWrite(path) {
		return nil
	}
	return &RefusedError{Path: path, Reason: ReasonReadOnly,
		Detail: "the file exists and this user may not write it (read-only, or another user's)",
		Fix:    fmt.Sprintf("make it writable (chmod u+w %q) if it is meant to be replaced, or give another path", path)}
}

// fileSystem holds the operations Write needs, so that tests can make each
// step fail without depending on file system quirks or on not being root.
type fileSystem struct {
	createTemp func(dir, pattern string) (tempFile, error)
	rename     func(oldpath, newpath string) error
	remove     func(name string) error
	syncDir    func(dir string) error
}

// tempFile is the part of *os.File that Write uses.
type tempFile interface {
	io.Writer
	Name() string
	Sync() error
	Chmod(mode os.FileMode) error
	Close() error
}

var osFS = fileSystem{
	createTemp: func(dir, pattern string) (tempFile, error) { return os.CreateTemp(dir, pattern) },
	rename:     os.Rename,
	remove:     os.Remove,
	syncDir:    syncDir,
}

func (fsys fileSystem) write(path string, data []byte, perm os.FileMode) (retErr error) {
	dir, err := checkDestination(path)
	if err != nil {
		return err
	}

	// The leading dot keeps the temporary file out of globs such as *.env
	// that a job might use to collect its outputs.
	tmp, err := fsys.createTemp(dir, tempPattern(path))
	if err != nil {
		return fmt.Errorf("failed to create a temporary file in %q: %w", dir, err)
	}
	tmpName := tmp.Name()
	closed := false
	defer func() {
		if retErr == nil {
			return
		}
		if !closed {
			_ = tmp.Close()
		}
		_ = fsys.remove(tmpName)
	}()

	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("failed to write %q: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("failed to sync %q: %w", tmpName, err)
	}
	// CreateTemp already uses 0600; Chmod makes perm exact whatever the umask.
	if err := tmp.Chmod(perm); err != nil {
		return fmt.Errorf("failed to set the mode of %q: %w", tmpName, err)
	}
	closed = true
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("failed to close %q: %w", tmpName, err)
	}
	// rename(2) replaces a symbolic link swapped in since the Lstat above; it
	// never follows it, so this cannot write through a link either.
	if err := fsys.rename(tmpName, path); err != nil {
		return fmt.Errorf("failed to move %q over %q: %w", tmpName, path, err)
	}
	// From here on the new content is in place; only its durability after a
	// power loss is in doubt, which the error says.
	if err := fsys.syncDir(dir); err != nil {
		return fmt.Errorf("wrote %q but failed to sync its directory: %w", path, err)
	}
	return nil
}

// checkParent makes sure the directory that will hold path exists, with an
// error that says how to fix it rather than a bare ENOENT from CreateTemp.
func checkParent(path, dir string) error {
	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &RefusedError{
			Path:   path,
			Reason: ReasonNoParent,
			Detail: fmt.Sprintf("its directory %q does not exist", dir),
			Fix:    fmt.Sprintf("create it first (mkdir -p %q) or give a path in an existing directory", dir),
		}
	}
	if err != nil {
		return fmt.Errorf("failed to inspect %q: %w", dir, err)
	}
	if !info.IsDir() {
		return &RefusedError{
			Path:   path,
			Reason: ReasonParentNotDirectory,
			Detail: fmt.Sprintf("%q is not a directory", dir),
			Fix:    "give a path inside a directory",
		}
	}
	return nil
}

// checkDestination checks that a file may be written at path: its folder
// is a real directory, and the path is absent or a regular file this user
// may replace. It returns the folder.
func checkDestination(path string) (string, error) {
	if path == "" {
		return "", emptyPath()
	}
	dir := filepath.Dir(path)
	if err := checkParent(path, dir); err != nil {
		return "", err
	}
	info, err := os.Lstat(path)
	switch {
	case err == nil:
		if err := checkTarget(path, info); err != nil {
			return "", err
		}
		if err := checkReplaceable(path); err != nil {
			return "", err
		}
	case errors.Is(err, fs.ErrNotExist):
		// A new file.
	default:
		return "", fmt.Errorf("failed to inspect %q: %w", path, err)
	}
	return dir, nil
}
