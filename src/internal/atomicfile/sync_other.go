//go:build !unix

package atomicfile

// openNoFollow is not available here; the Lstat and Stat checks remain.
const openNoFollow = 0

// syncDir is a no-op where directories cannot be opened for syncing.
func syncDir(string) error { return nil }
