package atomicfile

import (
	"io/fs"
	"os"
)

// Saved is how an existing file was besides its content: its mode and
// owner. Putting a file back after a failed run restores all three, so a
// rolled-back run leaves no trace, not even a 0644 file turned 0600.
type Saved struct {
	mode       fs.FileMode
	uid, gid   int
	knownOwner bool
}

// Save records the mode and owner of the regular file at path; nil when
// there is none.
func Save(path string) *Saved {
	info, err := os.Lstat(path)
	if err != nil || !info.Mode().IsRegular() {
		return nil
	}
	s := &Saved{mode: info.Mode().Perm()}
	s.uid, s.gid, s.knownOwner = owner(info)
	return s
}

// Restore replaces the file at path with data, atomically, with the saved
// mode, and gives it back to its saved owner where this process may (root
// may; anyone else can only keep a file they own). A nil s restores with
// mode 0600.
func (s *Saved) Restore(path string, data []byte) error {
	if s == nil {
		return Write(path, data, 0o600)
	}
	if err := Write(path, data, s.mode); err != nil {
		return err
	}
	if s.knownOwner {
		if info, err := os.Lstat(path); err == nil {
			if uid, gid, ok := owner(info); ok && (uid != s.uid || gid != s.gid) {
				_ = os.Lchown(path, s.uid, s.gid) // best effort: only root may give a file away
			}
		}
	}
	return nil
}
