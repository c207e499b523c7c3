package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entry is what a test remembers of one directory entry.
type entry struct {
	Mode    fs.FileMode
	Content string
	Link    string
}

// snapshot records every entry of dir, so a test can assert that a failed
// write changed nothing and left no temporary file behind.
func snapshot(t *testing.T, dir string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := entry{Mode: info.Mode()}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			if e.Link, err = os.Readlink(p); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.Content = string(b)
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWrite(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name     string
		existing string // content of an existing target, "" for none
		mode     fs.FileMode
	}{
		{name: "new_file"},
		{name: "replaces_existing_file", existing: "OLD=1\n", mode: 0o644},
		{name: "replaces_read_only_file", existing: "OLD=1\n", mode: 0o400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "aws.env")
			if tc.existing != "" {
				if err := os.WriteFile(path, []byte(tc.existing), tc.mode); err != nil {
					t.Fatal(err)
				}
			}

			if err := Write(path, []byte("NEW=1\n"), 0o600); err != nil {
				t.Fatalf("Write: %v", err)
			}

			want := map[string]entry{"aws.env": {Mode: 0o600, Content: "NEW=1\n"}}
			if diff := cmp.Diff(want, snapshot(t, dir)); diff != "" {
				t.Errorf("directory (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWrite_refusals(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name   string
		setup  func(t *testing.T, dir string) string // returns the path to write
		reason Reason
	}{
		{
			name: "directory",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "aws.env")
				mustMkdir(t, p)
				return p
			},
			reason: ReasonDirectory,
		},
		{
			name: "symlink_to_file",
			setup: func(t *testing.T, dir string) string {
				mustWrite(t, filepath.Join(dir, "real.env"), "REAL=1\n")
				p := filepath.Join(dir, "aws.env")
				mustSymlink(t, "real.env", p)
				return p
			},
			reason: ReasonSymlink,
		},
		{
			name: "dangling_symlink",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "aws.env")
				mustSymlink(t, "nowhere.env", p)
				return p
			},
			reason: ReasonSymlink,
		},
		{
			name: "symlink_to_directory",
			setup: func(t *testing.T, dir string) string {
				mustMkdir(t, filepath.Join(dir, "sub"))
				p := filepath.Join(dir, "aws.env")
				mustSymlink(t, "sub", p)
				return p
			},
			reason: ReasonSymlink,
		},
		{
			name: "missing_parent",
			setup: func(t *testing.T, dir string) string {
				return filepath.Join(dir, "missing", "aws.env")
			},
			reason: ReasonNoParent,
		},
		{
			name:   "dot",
			setup:  func(t *testing.T, dir string) string { return filepath.Join(dir, ".") },
			reason: ReasonDirectory,
		},
		{
			name: "parent_is_a_file",
			setup: func(t *testing.T, dir string) string {
				mustWrite(t, filepath.Join(dir, "file"), "x")
				return filepath.Join(dir, "file", "aws.env")
			},
			reason: ReasonParentNotDirectory,
		},
		{
			name: "named_pipe",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "aws.env")
				mustMkfifo(t, p)
				return p
			},
			reason: ReasonNotRegular,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := tc.setup(t, dir)
			before := snapshot(t, dir)

			err := Write(path, []byte("NEW=1\n"), 0o600)

			var refused *RefusedError
			if !errors.As(err, &refused) {
				t.Fatalf("Write error = %v, want *RefusedError", err)
			}
			if diff := cmp.Diff(tc.reason, refused.Reason); diff != "" {
				t.Errorf("reason (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the path %q", err, path)
			}
			if refused.Hint() == "" {
				t.Error("refusal has no fix")
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("directory changed (-before +after):\n%s", diff)
			}
		})
	}
}

// faultyFile wraps a real temporary file and fails one chosen step.
type faultyFile struct {
	*os.File
	fail string
}

var errInjected = errors.New("injected failure")

func (f *faultyFile) Write(p []byte) (int, error) {
	if f.fail == "write" {
		// A short write, as a full disk gives.
		n, _ := f.File.Write(p[:len(p)/2])
		return n, errInjected
	}
	return f.File.Write(p)
}

func (f *faultyFile) Sync() error {
	if f.fail == "sync" {
		return errInjected
	}
	return f.File.Sync()
}

func (f *faultyFile) Chmod(mode os.FileMode) error {
	if f.fail == "chmod" {
		return errInjected
	}
	return f.File.Chmod(mode)
}

func (f *faultyFile) Close() error {
	err := f.File.Close()
	if f.fail == "close" {
		return errInjected
	}
	return err
}

func TestWrite_failures_leave_target_untouched(t *testing.T) {
	t.Parallel()

	for _, step := range []string{"create", "write", "sync", "chmod", "close", "rename"} {
		for _, existing := range []bool{false, true} {
			name := step + "_new_file"
			if existing {
				name = step + "_existing_file"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				path := filepath.Join(dir, "aws.env")
				if existing {
					mustWrite(t, path, "OLD=1\n")
				}
				before := snapshot(t, dir)

				fsys := osFS
				fsys.createTemp = func(dir, pattern string) (tempFile, error) {
					if step == "create" {
						return nil, errInjected
					}
					f, err := os.CreateTemp(dir, pattern)
					if err != nil {
						return nil, err
					}
					return &faultyFile{File: f, fail: step}, nil
				}
				fsys.rename = func(oldpath, newpath string) error {
					if step == "rename" {
						return errInjected
					}
					return os.Rename(oldpath, newpath)
				}

				err := fsys.write(path, []byte("NEW=1\n"), 0o600)
				if !errors.Is(err, errInjected) {
					t.Fatalf("write error = %v, want the injected failure", err)
				}
				if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
					t.Errorf("directory changed (-before +after):\n%s", diff)
				}
			})
		}
	}
}

func TestWrite_directory_sync_failure_is_reported(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "aws.env")

	fsys := osFS
	fsys.syncDir = func(string) error { return errInjected }

	err := fsys.write(path, []byte("NEW=1\n"), 0o600)
	if !errors.Is(err, errInjected) {
		t.Fatalf("write error = %v, want the injected failure", err)
	}
	// The rename already happened: the new content is there, whole, and no
	// temporary file is left.
	want := map[string]entry{"aws.env": {Mode: 0o600, Content: "NEW=1\n"}}
	if diff := cmp.Diff(want, snapshot(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
}

func TestEmptyPath(t *testing.T) {
	t.Parallel()
	var refused *RefusedError
	if err := Write("", []byte("x"), 0o600); !errors.As(err, &refused) || refused.Reason != ReasonEmpty {
		t.Errorf("Write(\"\") error = %v, want a refusal", err)
	}
	if _, _, err := ReadExisting("", 0); !errors.As(err, &refused) || refused.Reason != ReasonEmpty {
		t.Errorf("ReadExisting(\"\") error = %v, want a refusal", err)
	}
}

func TestReadExisting(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name     string
		setup    func(t *testing.T, dir string) string
		max      int64
		want     string
		wantOK   bool
		wantRefu Reason
	}{
		{
			name:  "missing",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "aws.env") },
		},
		{
			name: "regular_file",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "aws.env")
				mustWrite(t, p, "A=1\n")
				return p
			},
			want:   "A=1\n",
			wantOK: true,
		},
		{
			name: "exactly_max_bytes",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "aws.env")
				mustWrite(t, p, "A=1\n")
				return p
			},
			max:    4,
			want:   "A=1\n",
			wantOK: true,
		},
		{
			name: "over_max_bytes",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "aws.env")
				mustWrite(t, p, "A=12\n")
				return p
			},
			max:      4,
			wantRefu: ReasonTooLarge,
		},
		{
			name: "symlink",
			setup: func(t *testing.T, dir string) string {
				mustWrite(t, filepath.Join(dir, "real.env"), "A=1\n")
				p := filepath.Join(dir, "aws.env")
				mustSymlink(t, "real.env", p)
				return p
			},
			wantRefu: ReasonSymlink,
		},
		{
			name: "directory",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "aws.env")
				mustMkdir(t, p)
				return p
			},
			wantRefu: ReasonDirectory,
		},
		{
			name: "named_pipe",
			setup: func(t *testing.T, dir string) string {
				p := filepath.Join(dir, "aws.env")
				mustMkfifo(t, p)
				return p
			},
			wantRefu: ReasonNotRegular,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tc.setup(t, t.TempDir())

			got, ok, err := ReadExisting(path, tc.max)

			if tc.wantRefu != "" {
				var refused *RefusedError
				if !errors.As(err, &refused) {
					t.Fatalf("ReadExisting error = %v, want *RefusedError", err)
				}
				if diff := cmp.Diff(tc.wantRefu, refused.Reason); diff != "" {
					t.Errorf("reason (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadExisting: %v", err)
			}
			if diff := cmp.Diff(tc.wantOK, ok); diff != "" {
				t.Errorf("exists (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("content (-want +got):\n%s", diff)
			}
		})
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustMkdir(t *testing.T, path string) {
	t.Helper()
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
