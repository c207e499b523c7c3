package output

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
)

// RemoveDotenv takes the variables named keys out of the dotenv file at
// path, for `aws-oidc cleanup`: the lines of every other variable stay
// byte for byte and in order, and a file left with none is deleted. It
// reports how many variables it removed and whether it deleted the file. A
// missing file is nothing to remove. A file that is not a dotenv file by
// GitLab's rules (which every file aws-oidc writes or merges into is) is
// refused and left alone: it is not ours to edit.
func RemoveDotenv(path string, keys []string) (removed int, deleted bool, err error) {
	existing, ok, err := atomicfile.ReadExisting(path, 1<<20)
	if err != nil {
		var refused *atomicfile.RefusedError
		if errors.As(err, &refused) {
			return 0, false, err
		}
		return 0, false, fmt.Errorf("failed to read the dotenv file: %w", err)
	}
	if !ok {
		return 0, false, nil
	}
	vars, err := ParseDotenv(existing)
	if err != nil {
		return 0, false, withPath(err, path)
	}
	var b bytes.Buffer
	for _, v := range vars {
		if slices.Contains(keys, v.Key) {
			removed++
			continue
		}
		// ParseDotenv accepts only lines that read back as written.
		b.WriteString(v.Key)
		b.WriteByte('=')
		b.WriteString(v.Value)
		b.WriteByte('\n')
	}
	switch {
	case removed == 0:
		return 0, false, nil
	case b.Len() == 0:
		if err := os.Remove(path); err != nil {
			return 0, false, fmt.Errorf("failed to delete the dotenv file: %w", err)
		}
		return removed, true, nil
	}
	return removed, false, atomicfile.Write(path, b.Bytes(), dotenvMode)
}
