package cli

import (
	"fmt"

	"gitlab.com/aws-oidc/aws-oidc/src/internal/atomicfile"
	"gitlab.com/aws-oidc/aws-oidc/src/internal/output"
)

// checkTokenOutputFile refuses a --token-output-file that holds a file
// aws-oidc did not write (see output.OurTokenFile): replacing it would
// lose it.
func checkTokenOutputFile(path string) error {
	exists, ours, err := output.OurTokenFile(path)
	if err != nil || !exists || ours {
		return err
	}
	return &OwnFileError{Field: "token-output-file", Path: path, Err: output.ErrNotOurTokenFile,
		Fix: "choose another --token-output-file ($AWS_OIDC_TOKEN_OUTPUT_FILE), or move the file away if it is yours to lose"}
}

// prepareTokenFile checks the token output file's path and keeps its
// current content for Undo.
func prepareTokenFile(path, tok string) (*atomicfile.Replacement, error) {
	if err := checkTokenOutputFile(path); err != nil {
		return nil, err
	}
	return output.PrepareTokenFile(path, tok)
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
