package credentials

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/apikit/apikit-go/keys"
)

// bothReaders reads path as a .env file and as a config file.
func bothReaders(path string) map[string]Provider {
	return map[string]Provider{
		".env":   DotEnv(path, "HYPEDATA_API_KEY"),
		"config": ConfigFile(path, "default", "hypedata"),
	}
}

// A device is not a credentials file either.
func TestFileDevice(t *testing.T) {
	if _, err := os.Stat(os.DevNull); err != nil || runtime.GOOS == "windows" {
		t.Skip("no", os.DevNull)
	}
	for name, prov := range bothReaders(os.DevNull) {
		_, err := prov.Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), "is a device") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// One rule for both files: a file that is there but cannot be read is an
// error naming it (the chain stops there); only a missing file is a place
// with no key.
func TestFileUnreadableIsAnError(t *testing.T) {
	dir := isolate(t)
	if err := os.Mkdir(filepath.Join(dir, ".env"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "config.yaml", "profiles:\n  default:\n    hypedata: { api_key: "+fileKey+" }\n", 0o600)
	_, err := defaultChain().Retrieve(context.Background())
	var se *SourceError
	if err == nil || !errors.As(err, &se) || se.Source.Kind != KindDotEnv || !strings.Contains(err.Error(), "unreadable: is a directory") {
		t.Fatalf("a directory in place of .env: err = %v (the chain must not fall through to the config file)", err)
	}
	r := Diagnose(context.Background(), keys.Hypedata, defaultChain())
	if out := r.String(); !strings.Contains(out, "2. .env file "+filepath.Join(dir, ".env")+": error: unreadable: is a directory") || r.Winner != 1 {
		t.Errorf("Diagnose:\n%s", out)
	}
	if err := os.Remove(filepath.Join(dir, ".env")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "config.yaml.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("APIKIT_CONFIG_FILE", filepath.Join(dir, "config.yaml.d"))
	_, err = defaultChain().Retrieve(context.Background())
	if err == nil || !errors.As(err, &se) || se.Source.Kind != KindConfig || !strings.Contains(err.Error(), "unreadable: is a directory") {
		t.Fatalf("a directory in place of the config file: err = %v", err)
	}
}

// An I/O error (injected: no file system gives one on demand) is an error
// naming the source, for both readers, and Diagnose shows it.
func TestFileReadErrorInjected(t *testing.T) {
	dir := t.TempDir()
	eio := func(string) ([]byte, fs.FileInfo, error) {
		return nil, nil, fileReason(&fs.PathError{Op: "read", Path: "x", Err: syscall.EIO})
	}
	eacces := func(string) ([]byte, fs.FileInfo, error) {
		return nil, nil, fileReason(&fs.PathError{Op: "open", Path: "x", Err: syscall.EACCES})
	}
	for _, tc := range []struct {
		read readFunc
		want string
	}{{eio, "unreadable: input/output error"}, {eacces, "unreadable: permission denied"}} {
		provs := []Provider{
			dotEnv{path: filepath.Join(dir, ".env"), names: []string{"HYPEDATA_API_KEY"}, read: tc.read},
			configFile{path: filepath.Join(dir, "config.yaml"), profile: "default", service: "hypedata", read: tc.read},
		}
		for _, p := range provs {
			_, err := Chain(p, Static(envKey)).Retrieve(context.Background())
			var se *SourceError
			if err == nil || !errors.As(err, &se) || !strings.HasSuffix(err.Error(), tc.want) {
				t.Errorf("%T: err = %v, want …%q", p, err, tc.want)
			}
			if tc.want == "unreadable: permission denied" && !errors.Is(err, fs.ErrPermission) {
				t.Errorf("%T: errors.Is(err, fs.ErrPermission) is false: %v", p, err)
			}
			out := Diagnose(context.Background(), nil, p).String()
			if !strings.Contains(out, dir) || !strings.Contains(out, "error: "+tc.want) {
				t.Errorf("Diagnose: %s", out)
			}
		}
	}
}

// A real permission error, where the file system gives one.
func TestFilePermissionDenied(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX permissions")
	}
	if os.Geteuid() == 0 {
		t.Skip("running as root, which reads any file, so the file system never says permission denied; TestFileReadErrorInjected covers the same path")
	}
	p := writeFile(t, t.TempDir(), "private", "HYPEDATA_API_KEY="+dotKey+"\n", 0o000)
	for name, prov := range bothReaders(p) {
		_, err := prov.Retrieve(context.Background())
		if err == nil || !strings.Contains(err.Error(), p) || !strings.HasSuffix(err.Error(), ": unreadable: permission denied") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

// A missing file is no error: the search goes on.
func TestFileMissingIsNotThere(t *testing.T) {
	dir := t.TempDir()
	for name, prov := range bothReaders(filepath.Join(dir, "absent")) {
		cred, err := Chain(prov, Static(envKey)).Retrieve(context.Background())
		if err != nil || cred.Key.Reveal() != envKey {
			t.Errorf("%s: %v, %v", name, cred, err)
		}
	}
	_, err := LoadConfig(filepath.Join(dir, "absent"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadConfig: %v", err)
	}
}
