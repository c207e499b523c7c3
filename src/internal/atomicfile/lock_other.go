//go:build !unix

package atomicfile

import "os"

// tryLock does nothing where flock(2) does not exist: runs that write the
// same files at once are not kept apart there.
func tryLock(*os.File) error { return nil }

func release(*os.File) {}

func lockUnsupported(error) bool { return false }
