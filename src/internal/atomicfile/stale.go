package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
)

// tempPattern is the name of Write's temporary file for path (see write).
func tempPattern(path string) string {
	return "." + filepath.Base(path) + ".tmp-*"
}

// RemoveStale deletes the temporary files that a Write of path left behind
// when its process was killed (SIGKILL, an OOM kill, a lost runner) between
// creating and renaming them: they hold a run's credentials, mode 0600. It
// must be called with the lock of path's folder held (see Lock): every
// Write runs under that lock, so no temporary file found then is still
// being written. Only regular files of this user, named as Write names
// them for this path, are deleted; it returns their names.
func RemoveStale(path string) []string {
	if path == "" {
		return nil
	}
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), tempPattern(path)))
	if err != nil {
		return nil
	}
	var removed []string
	for _, m := range matches {
		info, err := os.Lstat(m)
		if err != nil || !info.Mode().IsRegular() || !strings.HasPrefix(filepath.Base(m), "."+filepath.Base(path)+".tmp-") {
			continue
		}
		if uid, _, ok := owner(info); ok && uid != os.Geteuid() {
			continue
		}
		if os.Remove(m) == nil {
			removed = append(removed, m)
		}
	}
	return removed
}
