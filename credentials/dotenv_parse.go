package credentials

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/joho/godotenv"
)

// parseDotEnv parses b with godotenv, replacing its error text (which quotes
// the file) with one that gives the line and the kind of problem only.
func parseDotEnv(b []byte) (vars map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil { // a parser bug must not crash the caller
			vars, err = nil, errors.New("not a valid .env file")
		}
	}()
	vars, err = godotenv.UnmarshalBytes(b)
	if err != nil {
		return nil, dotEnvError(b, err)
	}
	return vars, nil
}

var (
	// godotenv: `unexpected character %q in variable name near %q`, the
	// second %q being the rest of the file from the statement on.
	dotEnvBadName = regexp.MustCompile(`(?s)^unexpected character .* in variable name near (".*")$`)
	// godotenv: "unterminated quoted value %s", the value from its opening
	// quote to the end of that line.
	dotEnvUnclosed = regexp.MustCompile(`(?s)^unterminated quoted value (.*)$`)
)

// dotEnvError turns a godotenv error into "not a valid .env file: line N:
// what is wrong", quoting nothing. The line is computed from the text
// godotenv quotes (where in the file it stopped); when that fails, the
// message goes without a line.
func dotEnvError(b []byte, err error) error {
	norm := bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) // what godotenv parses
	msg := err.Error()
	if m := dotEnvBadName.FindStringSubmatch(msg); m != nil {
		if rest, uerr := strconv.Unquote(m[1]); uerr == nil && bytes.HasSuffix(norm, []byte(rest)) {
			return fmt.Errorf("not a valid .env file: line %d: not a NAME=value line (a name holds only letters, digits, _ and .; a comment starts with #)",
				lineAt(norm, len(norm)-len(rest)))
		}
		return errors.New("not a valid .env file: a line that is not NAME=value (a name holds only letters, digits, _ and .)")
	}
	if m := dotEnvUnclosed.FindStringSubmatch(msg); m != nil {
		if at := unclosedQuoteAt(norm, m[1]); at >= 0 {
			return fmt.Errorf("not a valid .env file: line %d: a quoted value is not closed; end it with the quote it starts with", lineAt(norm, at))
		}
		return errors.New("not a valid .env file: a quoted value is not closed; end it with the quote it starts with")
	}
	return errors.New("not a valid .env file: check for an unclosed quote or a line that is not NAME=value")
}

// lineAt is the 1-based line of byte offset at in b.
func lineAt(b []byte, at int) int {
	return bytes.Count(b[:at], []byte("\n")) + 1
}

// unclosedQuoteAt finds the offset of the quote that godotenv reports as
// never closed, given the text it quotes (from that quote to the end of its
// line): the first place that text starts after which that quote character
// never appears again unescaped. -1 when there is none.
func unclosedQuoteAt(b []byte, quoted string) int {
	if quoted == "" || (quoted[0] != '"' && quoted[0] != '\'') {
		return -1
	}
	q := quoted[0]
	for from := 0; from < len(b); {
		i := bytes.Index(b[from:], []byte(quoted))
		if i < 0 {
			return -1
		}
		at := from + i
		closed := false
		for j := at + 1; j < len(b); j++ {
			if b[j] == q && b[j-1] != '\\' {
				closed = true
				break
			}
		}
		if !closed {
			return at
		}
		from = at + 1
	}
	return -1
}
