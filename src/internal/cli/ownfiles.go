package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/token"
)

// errNotOurTokenFile is a file at the token output path that aws-oidc did
// not write: assume does not overwrite it and cleanup does not delete it.
var errNotOurTokenFile = errors.New("it is not a token file aws-oidc wrote (a file of mode 0600, owned by this user, holding one JWT and nothing else)")

// ourTokenFile reports whether a file is at path (exists), and whether it
// is one --output token-file wrote: a regular file of mode 0600 owned by
// this user, holding one JWT and nothing else, as assume writes it. A file
// of someone else's (notes, a key, a token another tool left readable by
// others) fails one of those, and is neither overwritten nor deleted.
func ourTokenFile(path string) (exists, ours bool, err error) {
	data, exists, err := atomicfile.ReadExisting(path, maxTokenOutputBytes)
	if err != nil || !exists {
		return exists, false, err
	}
	info, err := os.Lstat(path)
	if err != nil {
		return true, false, err
	}
	if info.Mode().Perm() != tokenFileMode || !ownedByUs(info) {
		return true, false, nil
	}
	raw := string(data)
	if strings.TrimSpace(raw) != raw || raw == "" {
		return true, false, nil
	}
	if _, err := token.Parse(raw); err != nil {
		return true, false, nil
	}
	return true, true, nil
}

// checkTokenOutputFile refuses a --token-output-file that holds a file
// aws-oidc did not write: replacing it would lose it.
func checkTokenOutputFile(path string) error {
	exists, ours, err := ourTokenFile(path)
	if err != nil || !exists || ours {
		return err
	}
	return &OwnFileError{Field: "token-output-file", Path: path, Err: errNotOurTokenFile,
		Fix: "choose another --token-output-file ($AWS_OIDC_TOKEN_OUTPUT_FILE), or move the file away if it is yours to lose"}
}

// OwnFileError is a file or a part of one that aws-oidc would replace but
// did not write: it is left as it was, and the run exits 2.
type OwnFileError struct {
	// Field is the flag that names the file or the part.
	Field string
	Path  string
	Err   error
	Fix   string
}

func (e *OwnFileError) Error() string {
	return fmt.Sprintf("refusing to replace %q (--%s): %v", e.Path, e.Field, e.Err)
}
func (e *OwnFileError) Unwrap() error { return e.Err }

// ExitCode is a configuration error's: the flag names the wrong file.
func (e *OwnFileError) ExitCode() int { return ExitConfig }

// Hint says how to go on without losing the file.
func (e *OwnFileError) Hint() string { return e.Fix }
