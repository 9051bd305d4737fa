package credentials

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/apikit/apikit-go/internal/suggest"
)

var (
	yamlLine    = regexp.MustCompile(`line (\d+)`)
	yamlField   = regexp.MustCompile(`field (.*) not found in type (\S+)`)
	yamlIntoTyp = regexp.MustCompile(`into (\S+)`)
	// fieldName is what an unknown field's name must look like to be
	// shown: a short identifier. Anything else may be a value (a key) put
	// where a name goes.
	fieldName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,23}$`)
)

// The fields a config file may hold, by level, for "did you mean".
var (
	topFields     = []string{"profiles"}
	serviceFields = []string{"api_key", "api_key_command", "base_url"}
)

// maxYAMLProblems bounds how many problems one config error lists.
const maxYAMLProblems = 5

// sanitizeYAMLError rewrites a yaml.v3 error (whose text can quote the
// offending value, which may be a key) as "line N: what is wrong".
func sanitizeYAMLError(err error) error {
	var lines []string
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		where := ""
		if l := yamlLine.FindStringSubmatch(m); l != nil {
			where = "line " + l[1] + ": "
		}
		switch {
		case yamlField.MatchString(m):
			f := yamlField.FindStringSubmatch(m)
			lines = append(lines, where+unknownField(f[1], f[2]))
		case strings.Contains(m, "cannot unmarshal"):
			want := "another type"
			if t := yamlIntoTyp.FindStringSubmatch(m); t != nil {
				want = friendlyType(t[1])
			}
			lines = append(lines, where+"wrong type: want "+want)
		case strings.Contains(m, "already defined"), strings.Contains(m, "already set"):
			lines = append(lines, where+"a key is repeated")
		default:
			lines = append(lines, where+"not valid YAML")
		}
	}
	if len(lines) > maxYAMLProblems {
		lines = append(lines[:maxYAMLProblems], fmt.Sprintf("and %d more problems", len(lines)-maxYAMLProblems))
	}
	return errors.New(strings.Join(lines, "; "))
}

// unknownField describes an unknown field of typ: its name only when it is
// a short identifier that is not key-shaped (a key pasted where a field name
// goes must not be printed), a suggestion for a near miss, and the fields
// that are known there.
func unknownField(name, typ string) string {
	known := serviceFields
	where := "per service"
	if !strings.HasSuffix(typ, "ServiceConfig") {
		known, where = topFields, "at the top"
	}
	list := fmt.Sprintf(" (known %s: %s)", where, strings.Join(known, ", "))
	if !safeName(name) {
		return "an unknown field" + list
	}
	msg := "unknown field " + name
	if s := suggest.Nearest(name, known); s != "" {
		msg += "; did you mean " + s + "?"
	}
	return msg + list
}

// safeName reports whether a name from the file may be shown: a short
// identifier that is not a key by any built-in format and holds no built-in
// key prefix.
func safeName(name string) bool {
	return fieldName.MatchString(name) && !keyShaped(name, false)
}

// friendlyType names a Go type for a person who writes YAML.
func friendlyType(t string) string {
	switch {
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map"), strings.Contains(t, "Config"):
		return "a mapping"
	case t == "string":
		return "a string"
	}
	return t
}

// shownName is a profile or service name from the file as messages show
// it: as it is when it is safe (at most 32 letters, digits, "_", "-" and
// ".", and not key-shaped, see redactKeys), else a placeholder that says
// why it is not shown.
func shownName(name string) string {
	if len(name) <= 32 && profileName.MatchString(name) && !keyShaped(name, true) {
		return name
	}
	return "(a name not shown: it looks like a key)"
}

// profileName is what a profile or service name must look like to be
// shown.
var profileName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
