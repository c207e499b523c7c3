package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestCheckDistinct(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "d"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("d", filepath.Join(dir, "e")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	j := func(p ...string) string { return filepath.Join(append([]string{dir}, p...)...) }
	cases := []struct {
		name  string
		files []Named
		same  bool
	}{
		{"different", []Named{{By: "x", Path: j("f")}, {By: "y", Path: j("g")}}, false},
		{"dot_slash", []Named{{By: "x", Path: j("f")}, {By: "y", Path: j(".", "f")}}, true},
		{"symlinked_folder", []Named{{By: "x", Path: j("d", "f")}, {By: "y", Path: j("e", "f")}}, true},
		{"missing_folders_alike", []Named{{By: "x", Path: j("e", "m", "f")}, {By: "y", Path: j("d", "m", "f")}}, true},
		{"hard_link", []Named{{By: "x", Path: j("a")}, {By: "y", Path: j("b")}}, true},
		{"empty_skipped", []Named{{By: "x", Path: ""}, {By: "y", Path: ""}}, false},
		{"two_appends_may_share", []Named{{By: "x", Path: j("f"), Append: true}, {By: "y", Path: j("f"), Append: true}}, false},
		{"append_and_replace", []Named{{By: "x", Path: j("f"), Append: true}, {By: "y", Path: j("f")}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckDistinct(tc.files...)
			var refused *RefusedError
			if got := errors.As(err, &refused) && refused.Reason == ReasonSameFile; got != tc.same {
				t.Errorf("CheckDistinct = %v, want same file %v", err, tc.same)
			}
		})
	}
}

func TestRemoveStale(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "aws.env")
	for _, name := range []string{".aws.env.tmp-123", ".aws.env.tmp-456", ".aws.env.probe-1", ".other.tmp-1", "aws.env"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if got := RemoveStale(path); len(got) != 2 {
		t.Errorf("removed %v, want the two .aws.env.tmp-* files", got)
	}
	for _, name := range []string{".aws.env.probe-1", ".other.tmp-1", "aws.env"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s went: %v", name, err)
		}
	}
}
