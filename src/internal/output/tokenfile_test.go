package output

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gitlab.com/aws-oidc/aws-oidc/src/testing/tokentest"
)

// TestOurTokenFile: only a file of mode 0600 holding one JWT and nothing
// else is the token file's; RemoveTokenFile deletes that one alone.
func TestOurTokenFile(t *testing.T) {
	t.Parallel()
	jwt := tokentest.Mint(t, nil)
	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		missing       bool
		ours          bool
	}{
		{name: "missing", missing: true},
		{name: "one_jwt", content: jwt, mode: 0o600, ours: true},
		{name: "jwt_readable_by_others", content: jwt, mode: 0o644},
		{name: "jwt_and_a_line_break", content: jwt + "\n", mode: 0o600},
		{name: "jwt_and_more", content: jwt + "\nsecond line\n", mode: 0o600},
		{name: "notes", content: "my notes\n", mode: 0o600},
		{name: "empty", content: "", mode: 0o600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "token")
			if !tc.missing {
				if err := os.WriteFile(path, []byte(tc.content), tc.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			exists, ours, err := OurTokenFile(path)
			if err != nil || exists == tc.missing || ours != tc.ours {
				t.Fatalf("OurTokenFile = exists %v, ours %v, err %v; want exists %v, ours %v", exists, ours, err, !tc.missing, tc.ours)
			}
			removed, err := RemoveTokenFile(path)
			switch {
			case tc.missing && (removed || err != nil):
				t.Errorf("missing file: removed %v, err %v", removed, err)
			case tc.ours && (!removed || err != nil):
				t.Errorf("our file: removed %v, err %v", removed, err)
			case !tc.missing && !tc.ours && (removed || !errors.Is(err, ErrNotOurTokenFile)):
				t.Errorf("someone else's file: removed %v, err %v; want ErrNotOurTokenFile", removed, err)
			}
			_, statErr := os.Stat(path)
			if gone := os.IsNotExist(statErr); gone != (tc.missing || tc.ours) {
				t.Errorf("file gone = %v", gone)
			}
			if !tc.missing && !tc.ours {
				if got, _ := os.ReadFile(path); string(got) != tc.content {
					t.Errorf("the file now holds %q", got)
				}
			}
		})
	}
}
