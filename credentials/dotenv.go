package credentials

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/joho/godotenv"
)

// DotEnv yields the first of names found in the .env file at path ("" means
// ".env" in the working directory). The file is parsed with godotenv's
// parser (the one godotenv.Read uses) from a bounded read of the file; the
// process environment is never modified. A missing file is a place with no
// key, not an error. godotenv's own parse errors quote the rest of the file,
// which may hold secrets, so they are never passed on.
func DotEnv(path string, names ...string) Provider {
	return ProviderFunc(func(context.Context) (Credential, error) {
		p := path
		if p == "" {
			p = ".env"
		}
		p = absPath(p)
		src := func(name string) Source {
			return Source{Kind: KindDotEnv, Detail: fmt.Sprintf("%s (%s)", p, name)}
		}
		fileSrc := Source{Kind: KindDotEnv, Detail: p}
		fix := fmt.Sprintf("add %s=… to %s", strings.Join(names, "/"), p)
		b, _, err := readFile(p)
		if errors.Is(err, errNoFile) {
			return Credential{}, notFound(fileSrc, "no such file", fix)
		}
		if err != nil {
			return Credential{}, notFound(fileSrc, err.Error(), "")
		}
		vars, err := parseDotEnv(b)
		if err != nil {
			return Credential{}, fmt.Errorf("%s: %w", fileSrc, err)
		}
		var tried []Attempt
		for _, name := range names {
			v, ok := vars[name]
			if !ok || v == "" {
				why := "not in the file"
				if ok {
					why = "set but empty"
				}
				tried = append(tried, Attempt{src(name), why, fmt.Sprintf("add %s=… to %s", name, p)})
				continue
			}
			if raw, ok := rawDotEnvValue(b, name); ok && strings.Contains(raw, "$") && v != raw {
				return Credential{}, fmt.Errorf("%s: the value contains $, which .env files expand as a variable, so the key was changed when read; put the value in single quotes: %s='…'", src(name), name)
			}
			return found(v, src(name))
		}
		return Credential{}, &NotFoundError{Tried: tried}
	})
}

// parseDotEnv parses b with godotenv, replacing its error text (which quotes
// the file) with one that does not.
func parseDotEnv(b []byte) (vars map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil { // a parser bug must not crash the caller
			vars, err = nil, errors.New("not a valid .env file")
		}
	}()
	vars, err = godotenv.UnmarshalBytes(b)
	if err != nil {
		return nil, errors.New("not a valid .env file: check for an unclosed quote or a line that is not NAME=value")
	}
	return vars, nil
}

// rawDotEnvValue returns the text after NAME= on the last line that sets
// name, unquoted when it is single-quoted (godotenv does not expand those,
// so a $ there is kept) — or double-quoted, which godotenv does expand.
func rawDotEnvValue(b []byte, name string) (string, bool) {
	var val string
	found := false
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), maxFileBytes)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			k, v, ok = strings.Cut(line, ":")
		}
		if !ok || strings.TrimSpace(k) != name {
			continue
		}
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			return "", false // single quotes: no expansion happened
		case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
			v = v[1 : len(v)-1]
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		val, found = v, true
	}
	return val, found
}
