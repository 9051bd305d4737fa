package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Key-management answers as real services send them: the object bare or
// wrapped ({"data": {...}}, as OpenAPI mocks and Hypersave answer;
// {"key": {...}}), a list bare or in "data" or "keys", and member names in
// snake_case (created_at, as docs/PROTOCOL.md spells them) or camelCase
// (createdAt). The functions here find the object and read it whichever
// way it is spelled, and say what the answer held when they cannot: a
// NewKey with an empty id must never look like success.

// wrappers are the members that may hold the object itself.
var objectWrappers = [...]string{"data", "key"}

// listWrappers are the members that may hold the list.
var listWrappers = [...]string{"data", "keys"}

// unwrapObject returns the key object of an answer and the answer's own
// members (where a secret may sit beside the wrapped object).
func unwrapObject(b []byte) (obj map[string]json.RawMessage, outer map[string]json.RawMessage, err error) {
	if err := json.Unmarshal(b, &outer); err != nil || outer == nil {
		return nil, nil, fmt.Errorf("the answer is not a JSON object (%s)", jsonKind(b))
	}
	for _, w := range objectWrappers {
		if v, ok := outer[w]; ok && jsonKind(v) == "an object" {
			if err := json.Unmarshal(v, &obj); err == nil {
				return obj, outer, nil
			}
		}
	}
	return outer, outer, nil
}

// unwrapList returns the elements of a list answer.
func unwrapList(b []byte) ([]json.RawMessage, error) {
	var list []json.RawMessage
	if jsonKind(b) == "a list" {
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, fmt.Errorf("the answer is not a valid JSON list: %w", err)
		}
		return list, nil
	}
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(b, &outer); err != nil || outer == nil {
		return nil, fmt.Errorf("the answer is not a JSON object or list (%s)", jsonKind(b))
	}
	for _, w := range listWrappers {
		if v, ok := outer[w]; ok && jsonKind(v) == "a list" {
			if err := json.Unmarshal(v, &list); err == nil {
				return list, nil
			}
		}
	}
	return nil, fmt.Errorf("the answer holds no list of keys (%s; want a list, bare or in \"data\" or \"keys\")", members(outer))
}

// decodeCanonical reads the object obj into out (a pointer to a struct),
// matching each member to a field by its JSON name in snake_case or
// camelCase, in any letter case: created_at, createdAt and CreatedAt all
// fill CreatedAt. A member spelled exactly as the field's tag wins over
// another spelling of it.
func decodeCanonical(obj map[string]json.RawMessage, out any) error {
	names := tagNames(reflect.TypeOf(out).Elem())
	canon := make(map[string]json.RawMessage, len(obj))
	from := make(map[string]string, len(obj)) // tag → the member that filled it
	for k, v := range obj {
		tag, ok := names[fold(k)]
		if !ok {
			continue
		}
		// The exact spelling wins; between two others, the first in order,
		// so that the answer never depends on map order.
		if prev, seen := from[tag]; seen && (prev == tag || k != tag && prev < k) {
			continue
		}
		canon[tag], from[tag] = v, k
	}
	b, err := json.Marshal(canon)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// tagNames maps the folded JSON name of each field of the struct type t
// (and of the structs it embeds) to the name in its tag.
func tagNames(t reflect.Type) map[string]string {
	out := make(map[string]string)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for k, v := range tagNames(f.Type) {
				out[k] = v
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[fold(name)] = name
	}
	return out
}

// fold is a JSON name without its case and underscores: created_at,
// createdAt and CreatedAt are all "createdat".
func fold(name string) string {
	return strings.ToLower(strings.ReplaceAll(name, "_", ""))
}

// secretOf returns the new key's secret from the object or, failing that,
// from beside it in the answer: "secret", or "key" when it is a string.
func secretOf(obj, outer map[string]json.RawMessage) string {
	for _, m := range [...]map[string]json.RawMessage{obj, outer} {
		for _, name := range [...]string{"secret", "key"} {
			var s string
			if v, ok := m[name]; ok && json.Unmarshal(v, &s) == nil && s != "" {
				return s
			}
		}
	}
	return ""
}

// members names the members of an answer, for an error that must say what
// came back without quoting a value (a secret may be one).
func members(m map[string]json.RawMessage) string {
	if len(m) == 0 {
		return "an empty object"
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, fmt.Sprintf("%q (%s)", k, jsonKind(m[k])))
	}
	sort.Strings(names)
	return "its members: " + strings.Join(names, ", ")
}

// jsonKind says what a JSON value is, without its content.
func jsonKind(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// readIdentity reads a whoami answer, bare or wrapped, in either spelling.
func readIdentity(raw []byte) (*Identity, error) {
	obj, _, err := unwrapObject(raw)
	if err != nil {
		return nil, err
	}
	var id Identity
	if err := decodeCanonical(obj, &id); err != nil {
		return nil, fmt.Errorf("not an identity object: %w", err)
	}
	return &id, nil
}
