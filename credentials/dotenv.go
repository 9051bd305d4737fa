package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// DotEnv yields the first of names found in the .env file at path ("" means
// ".env" in the working directory). The file is parsed with godotenv's
// parser (the one godotenv.Read uses) from a bounded read of the file; the
// process environment is never modified.
//
// The file is UTF-8, with or without a byte-order mark, or UTF-16 with a
// byte-order mark (what PowerShell 5.1's `>` writes); the error for any
// other encoding says which it looks like.
//
// A missing file, or a file without any of names (or with them empty), is a
// place with no key. A file that exists but cannot be read (permission
// denied, a directory or a named pipe in its place, an I/O error) or parsed
// is a *SourceError, as is a value the parser changed by expanding a
// $NAME that the file does not define above it (a key that contains $).
// godotenv's own parse errors quote the rest of the file, which may hold
// secrets, so they are never passed on: the error gives the line instead.
func DotEnv(path string, names ...string) Provider {
	return dotEnv{path: path, names: append([]string(nil), names...), read: readFile}
}

// dotEnv is the Provider DotEnv returns; read is a seam for tests.
type dotEnv struct {
	path  string
	names []string
	read  readFunc
}

// Retrieve reads the file now; see DotEnv.
func (d dotEnv) Retrieve(ctx context.Context) (Credential, error) {
	p := d.path
	if p == "" {
		p = ".env"
	}
	p = absPath(p)
	src := func(name string) Source {
		return Source{Kind: KindDotEnv, Detail: fmt.Sprintf("%s (%s)", p, name)}
	}
	fileSrc := Source{Kind: KindDotEnv, Detail: p}
	if err := ctx.Err(); err != nil {
		return Credential{}, sourceError(fileSrc, fmt.Errorf("not read: %w", err))
	}
	b, _, err := d.read(p)
	if errors.Is(err, errNoFile) {
		return Credential{}, notFound(fileSrc, "no such file", fmt.Sprintf("add %s=… to %s", strings.Join(d.names, "/"), p))
	}
	if err != nil {
		return Credential{}, sourceError(fileSrc, err)
	}
	if b, err = dotEnvText(b); err != nil {
		return Credential{}, sourceError(fileSrc, err)
	}
	vars, err := parseDotEnv(b)
	if err != nil {
		return Credential{}, sourceError(fileSrc, err)
	}
	var tried []Attempt
	for _, name := range d.names {
		v, ok := vars[name]
		if ok {
			if err := expansionDamage(b, name); err != nil {
				return Credential{}, sourceError(src(name), err)
			}
		}
		if !ok || v == "" {
			why := "not in the file"
			if ok {
				why = "set but empty"
			}
			tried = append(tried, attempt(src(name), why, fmt.Sprintf("add %s=… to %s", name, p)))
			continue
		}
		return found(v, src(name))
	}
	return Credential{}, &NotFoundError{Tried: tried}
}

// ReadDotEnv reads every variable of the .env file at path ("" means ".env"
// in the working directory) exactly as DotEnv reads it: a bounded read,
// UTF-8 with or without a byte-order mark or UTF-16 with one, godotenv's
// parser, and errors (*SourceError) that quote nothing of the file. The
// process environment is not modified. It is for tools that inspect a
// .env file, such as apikit doctor, so that they see what the SDK sees; the
// values it returns may be keys.
func ReadDotEnv(path string) (map[string]string, error) {
	if path == "" {
		path = ".env"
	}
	p := absPath(path)
	src := Source{Kind: KindDotEnv, Detail: p}
	b, _, err := readFile(p)
	if err != nil {
		return nil, sourceError(src, err)
	}
	if b, err = dotEnvText(b); err != nil {
		return nil, sourceError(src, err)
	}
	vars, err := parseDotEnv(b)
	if err != nil {
		return nil, sourceError(src, err)
	}
	return vars, nil
}
