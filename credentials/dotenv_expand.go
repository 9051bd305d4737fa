package credentials

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"strings"
)

// dotEnvRef finds the names godotenv may expand: $NAME, ${NAME}, and the
// forms its pattern also matches; a superset is harmless.
var dotEnvRef = regexp.MustCompile(`\$\(?\{?([A-Z0-9_]+)`)

// expansionDamage reports whether godotenv changed the value of name by
// expanding a $NAME or ${NAME} that the file does not define above that
// line (godotenv looks only at the file, never the environment, and puts
// nothing in its place). Expanding a name defined earlier is deliberate
// interpolation, and single quotes or a backslash (\$) keep a $ as it is:
// neither is damage.
//
// It asks godotenv itself, so quoting, escapes, comments and multi-line
// values are judged exactly as they were read: it parses the file again
// with every name that follows a $ defined first, as a marker, at the top.
// A name the file defines above the reference overrides its marker; a
// value that holds a marker was given nothing in the real parse.
func expansionDamage(b []byte, name string) error {
	if !bytes.Contains(b, []byte("$")) {
		return nil
	}
	refs := dotEnvRef.FindAllSubmatch(b, -1)
	if len(refs) == 0 {
		return nil
	}
	base := "\x00apikit-undefined"
	for bytes.Contains(b, []byte(base)) {
		base += "-"
	}
	var twin bytes.Buffer
	seen := map[string]bool{}
	var names []string
	for _, m := range refs {
		n := string(m[1])
		if seen[n] {
			continue
		}
		seen[n] = true
		names = append(names, n)
		fmt.Fprintf(&twin, "%s='%s-%d\x00'\n", n, base, len(names)-1)
	}
	twin.Write(b)
	vars, err := parseDotEnv(twin.Bytes())
	if err != nil {
		return nil // cannot happen (the lines added are valid); do not guess
	}
	v := vars[name]
	if !strings.Contains(v, base) {
		return nil
	}
	// The whole value is one reference: it was meant as one.
	for i, n := range names {
		if v != fmt.Sprintf("%s-%d\x00", base, i) {
			continue
		}
		// Named only when written as ${NAME}: then it is plainly a name.
		if raw, ok := rawDotEnvValue(b, name); ok && raw == "${"+n+"}" && len(n) <= 64 {
			return malformedf("the value is ${%s}, but %s is not defined above it in the file, so it reads as empty "+
				"(a .env file expands only names defined earlier in the same file, never the process environment); "+
				"define %s above this line, or put the key itself here", n, n, n)
		}
		return malformedf("the value is a $ reference to a variable that is not defined above it in the file, so it reads as empty " +
			"(a .env file expands only names defined earlier in the same file, never the process environment); " +
			"define that variable above this line, or put the key itself here")
	}
	return malformedf("the value contains a $ followed by a name that is not defined above it in the file, so the .env parser "+
		"replaced it with nothing and the key was changed; if the $ is part of the key, quote the value with single quotes "+
		"(%s='…'), which the parser reads as written; if it names a variable, define that variable above this line", name)
}

// rawDotEnvValue returns the text after NAME= on the last line that sets
// name, as written: without surrounding double quotes, and without a
// trailing " # comment" when unquoted. A single-quoted value gives
// ("", false): godotenv does not expand those. It reads lines only (a value
// spanning lines is not followed), so it serves for the wording of
// messages, never to decide what the value is.
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
		case strings.HasPrefix(v, "'"):
			val, found = "", false // single quotes: no expansion happens
			continue
		case strings.HasPrefix(v, `"`):
			if end := strings.LastIndexByte(v, '"'); end > 0 {
				v = v[1:end]
			}
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		val, found = v, true
	}
	return val, found
}
