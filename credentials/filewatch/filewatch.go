// Package filewatch reads an API key from a file that may change under a
// running process — a Kubernetes secret volume, a file a deploy step
// rewrites — and says when it does, so that processes move to a rotated
// key without a restart.
//
//	f, err := filewatch.New("/var/run/secrets/hypedata/api-key")
//	c, err := client.New(client.WithCredentials(f))
//	w, err := f.Watch(ctx, c.ResetCredential) // the next request reads the new key
//	defer w.Close()
//
// Watch watches the file's directory, not the file: the kubelet updates a
// secret volume by writing a new timestamped directory and swapping the
// ..data symlink to it, so a watch on the file itself would stay on the
// old, deleted one. Every event in the directory makes it read the file
// again; it calls back only when the key in it changed.
//
// It is a module of its own (github.com/fsnotify/fsnotify is not a
// dependency of the SDK).
package filewatch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fsnotify/fsnotify"

	"github.com/apikit/apikit-go/credentials"
	"github.com/apikit/apikit-go/keys"
)

// Kind is the credentials.Source kind of a key read by a File.
const Kind = "watched file"

// maxBytes bounds the file read: nothing that large is a key.
const maxBytes = 64 << 10

// File is a credentials.Provider that reads the key from one file, whole
// (one trailing newline allowed). Use it with client.WithCredentials, and
// Watch to hear when it changes. It is safe for concurrent use.
type File struct {
	path string
	src  credentials.Source

	mu   sync.Mutex
	last [sha256.Size]byte // of the key last read
}

var _ credentials.Provider = (*File)(nil)

// New returns the provider of the key in the file at path (made absolute).
// The file need not exist yet: Retrieve says so until it does.
func New(path string) (*File, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("filewatch: New: the path is empty")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("filewatch: New(%q): %w", path, err)
	}
	return &File{path: abs, src: credentials.Source{Kind: Kind, Detail: abs}}, nil
}

// Path is the file's absolute path.
func (f *File) Path() string { return f.path }

// Retrieve reads the key from the file. A missing file is a
// *credentials.NotFoundError (so a credentials.Chain goes on to its next
// provider); a file that holds no valid key is an error naming the file,
// never showing what it holds.
func (f *File) Retrieve(context.Context) (credentials.Credential, error) {
	raw, err := f.read()
	if errors.Is(err, os.ErrNotExist) {
		return credentials.Credential{}, &credentials.NotFoundError{Tried: []credentials.Attempt{{
			Source: f.src, Why: "no such file", Fix: "mount or write the key at " + f.path}}}
	}
	if err != nil {
		return credentials.Credential{}, &credentials.SourceError{Source: f.src, Err: err}
	}
	k, err := parse(raw)
	if err != nil {
		return credentials.Credential{}, &credentials.SourceError{Source: f.src, Err: err}
	}
	f.mu.Lock()
	f.last = sha256.Sum256([]byte(k.Reveal()))
	f.mu.Unlock()
	return credentials.Credential{Key: k, Source: f.src}, nil
}

// read reads the file, following symlinks, bounded. What the path names is
// checked before it is opened: opening a named pipe would block until
// something writes to it. It is checked again once open, in case it was
// swapped in between.
func (f *File) read() ([]byte, error) {
	if info, err := os.Stat(f.path); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	}
	fh, err := os.Open(f.path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", info.Mode().Type())
	}
	b, err := io.ReadAll(io.LimitReader(fh, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBytes {
		return nil, fmt.Errorf("larger than %d bytes: not a key file", maxBytes)
	}
	return b, nil
}

// parse reads a key file's content: the key, and at most one line ending
// after it (what `echo key > file` leaves).
func parse(b []byte) (keys.Key, error) {
	raw := string(b)
	raw = strings.TrimSuffix(raw, "\n")
	raw = strings.TrimSuffix(raw, "\r")
	if raw == "" {
		return keys.Key{}, errors.New("the file is empty: write the key into it")
	}
	if strings.TrimSpace(raw) == "" {
		return keys.Key{}, errors.New("the file holds only whitespace: write the key into it")
	}
	if k, err := keys.Parse(raw); err == nil {
		return k, nil // a built-in format: the key knows its prefix and environment
	}
	return keys.Parse(raw, keys.Opaque)
}

// Watch watches the file's directory until ctx ends or Close is called,
// and calls changed (on its own goroutine, one call at a time) each time
// the file holds a different valid key than the one last read; pass the
// client's ResetCredential. A file changed between the last Retrieve and
// Watch counts too.
func (f *File) Watch(ctx context.Context, changed func()) (*Watch, error) {
	if changed == nil {
		return nil, errors.New("filewatch: Watch: changed is nil (pass the client's ResetCredential)")
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("filewatch: watching %s: %w", f.path, err)
	}
	dir := filepath.Dir(f.path)
	if err := fw.Add(dir); err != nil {
		fw.Close()
		return nil, fmt.Errorf("filewatch: watching the directory %s: %w", dir, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &Watch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		defer fw.Close()
		f.check(changed) // what changed before the watch began
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-fw.Events:
				if !ok {
					return
				}
				f.check(changed)
			case err, ok := <-fw.Errors:
				if !ok {
					return
				}
				w.setErr(err)
			}
		}
	}()
	return w, nil
}

// check reads the file and calls changed when it holds a valid key other
// than the last one read. A file missing or half-written for a moment is
// not a change.
func (f *File) check(changed func()) {
	raw, err := f.read()
	if err != nil {
		return
	}
	k, err := parse(raw)
	if err != nil {
		return
	}
	sum := sha256.Sum256([]byte(k.Reveal()))
	f.mu.Lock()
	same := bytes.Equal(sum[:], f.last[:])
	f.last = sum
	f.mu.Unlock()
	if !same {
		changed()
	}
}

// Watch is a running watch; see File.Watch.
type Watch struct {
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	err    error
}

func (w *Watch) setErr(err error) {
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

// Close stops the watch and waits for it to end. It returns the first
// error the file system's watcher reported, if any (a lost event: the key
// may have changed unseen; the client still moves at its first 401).
func (w *Watch) Close() error {
	w.cancel()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return fmt.Errorf("filewatch: %w", w.err)
	}
	return nil
}
