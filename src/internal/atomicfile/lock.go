package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// lockFileName is the file locked in a directory whose file system refuses
// locks on directories. It is empty and stays: removing a lock file while
// another process waits for it would let two writers in at once.
const lockFileName = ".aws-oidc.lock"

// Lock takes an exclusive lock on the directory of each path, so that two
// runs that read, merge and replace the same files (two roles writing one
// dotenv file, two jobs writing one AWS config file) take turns instead of
// losing each other's changes. It locks each directory once, in sorted
// order, so that two callers never wait for each other in a circle. It
// waits until ctx ends; the locks are advisory (flock(2)) and hold between
// aws-oidc processes. A directory that does not exist is skipped: nothing
// in it can be read or replaced.
//
// The lock is on the directory itself, so nothing is left behind; where
// the file system refuses that, on a .aws-oidc.lock file in it. Release
// the locks with the returned function, once.
func Lock(ctx context.Context, paths ...string) (func(), error) {
	var dirs []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		d, err := filepath.Abs(filepath.Dir(p))
		if err != nil {
			return nil, fmt.Errorf("failed to resolve the directory of %q: %w", p, err)
		}
		// One folder reached through a symbolic link is locked once: a
		// second flock on another descriptor of it would wait for the
		// first, held by this very process, until the deadline.
		if real, err := filepath.EvalSymlinks(d); err == nil {
			d = real
		}
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	slices.Sort(dirs)
	var held []*os.File
	unlock := func() {
		for i := len(held) - 1; i >= 0; i-- {
			release(held[i])
			_ = held[i].Close()
		}
		held = nil
	}
	for _, d := range dirs {
		if info, err := os.Stat(d); err == nil && slices.ContainsFunc(held, func(h *os.File) bool {
			hi, err := h.Stat()
			return err == nil && os.SameFile(hi, info)
		}) {
			continue // the same folder by another path (a bind mount)
		}
		f, err := lockDir(ctx, d)
		if err != nil {
			unlock()
			return nil, err
		}
		if f != nil {
			held = append(held, f)
		}
	}
	return unlock, nil
}

// lockDir locks dir, waiting until ctx ends, and returns the open file that
// holds the lock (nil for a missing directory).
func lockDir(ctx context.Context, dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to open %q to lock it: %w", dir, err)
	}
	err = waitLock(ctx, f)
	if err == nil || !lockUnsupported(err) {
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("failed to lock %q: %w", dir, err)
		}
		return f, nil
	}
	_ = f.Close()
	path := filepath.Join(dir, lockFileName)
	f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|openNoFollow, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open the lock file %q: %w", path, err)
	}
	if err := waitLock(ctx, f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("failed to lock %q: %w", path, err)
	}
	return f, nil
}

// waitLock tries the lock without blocking, then again after short pauses
// that grow to a tenth of a second, until ctx ends: a blocking flock could
// not be given up at the deadline.
func waitLock(ctx context.Context, f *os.File) error {
	pause := 5 * time.Millisecond
	for {
		err := tryLock(f)
		if !errors.Is(err, errLocked) {
			return err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return &LockError{Err: context.Cause(ctx)}
		case <-t.C:
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// LockError is a lock another process held until the deadline.
type LockError struct{ Err error }

func (e *LockError) Error() string {
	return fmt.Sprintf("another process holds the lock: %v", e.Err)
}
func (e *LockError) Unwrap() error { return e.Err }

// Hint says what to do about the wait.
func (e *LockError) Hint() string { return e.HintFor(func(name string) string { return "--" + name }) }

// HintFor is Hint naming the tool's settings by flag, which is given a
// flag's name without dashes: "--timeout" on the command line, the input
// or variable that sets it in the assume-role component.
func (e *LockError) HintFor(flag func(name string) string) string {
	return "another aws-oidc run (or a cleanup) writing files in the same folder held its lock until " + flag("timeout") + ": " +
		"runs sharing a file take turns; raise " + flag("timeout") + ", or give each run its own files " +
		"(" + flag("dotenv-file") + ", " + flag("aws-config-file") + ", " + flag("aws-credentials-file") + "). A process that is stuck holds the lock until it ends"
}

// errLocked: another process holds the lock.
var errLocked = errors.New("locked")
