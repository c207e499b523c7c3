//go:build !unix

package atomicfile

import "os"

// openNoFollow is not available here; the Lstat and Stat checks remain.
const openNoFollow = 0

// openNonBlock: no named pipes to wait for here.
const openNonBlock = 0

// syncDir is a no-op where directories cannot be opened for syncing.
func syncDir(string) error { return nil }

// syscallRmdir removes an empty directory (os.Remove refuses a non-empty one).
func syscallRmdir(dir string) error { return os.Remove(dir) }
