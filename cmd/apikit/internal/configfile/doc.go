// Package configfile edits apikit's config file (the file the SDK's
// credentials.LoadConfig reads) the way a person would: as a YAML node tree,
// so that the user's comments, blank lines and key order survive an edit,
// and writes it atomically (write, fsync, rename) under a file lock, so that
// no reader ever sees half a file and no concurrent writer loses another's
// change.
//
// The file's shape is the SDK's:
//
//	profiles:
//	  <profile>:
//	    <service>:
//	      api_key: ...
//	      api_key_command: [program, arg, ...]
//	      base_url: https://...
package configfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Doc is a config file held as a YAML node tree. The zero Doc is not
// usable; get one from Parse.
type Doc struct {
	root *yaml.Node // a DocumentNode whose one child is the top mapping
}

// Parse reads b as a config document. Empty input (or only comments) is an
// empty document. Errors give the line and never quote the file's values.
// Parse checks the shape the editing needs (mappings where profiles and
// services go), not the SDK's field rules: the writer checks those.
func Parse(b []byte) (d *Doc, err error) {
	defer func() {
		if r := recover(); r != nil { // a yaml.v3 bug reachable by hostile input
			d, err = nil, errors.New("not valid YAML")
		}
	}()
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) { // no document: nothing, or comments alone
			d := newEmpty(nil)
			d.root.HeadComment = commentsOf(b)
			return d, nil
		}
		return nil, sanitize(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil && !emptyDoc(&extra) {
		return nil, fmt.Errorf("line %d: the file holds more than one YAML document (a --- line starts another); keep one", extra.Line)
	}
	if emptyDoc(&root) {
		return newEmpty(&root), nil
	}
	top := root.Content[0]
	if err := noRepeats(top, 0); err != nil {
		return nil, err
	}
	if top.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the file should be a mapping with a profiles: key", top.Line)
	}
	d = &Doc{root: &root}
	if p := lookup(top, "profiles"); p != nil {
		if p.Kind != yaml.MappingNode && !isNull(p) {
			return nil, fmt.Errorf("line %d: profiles should be a mapping of profile names", p.Line)
		}
		toMapping(p)
		for i := 0; i+1 < len(p.Content); i += 2 {
			prof := p.Content[i+1]
			if prof.Kind != yaml.MappingNode && !isNull(prof) {
				return nil, fmt.Errorf("line %d: a profile should be a mapping of service names", prof.Line)
			}
			toMapping(prof)
			for j := 0; j+1 < len(prof.Content); j += 2 {
				s := prof.Content[j+1]
				if s.Kind != yaml.MappingNode && !isNull(s) {
					return nil, fmt.Errorf("line %d: a service should be a mapping of settings (api_key, api_key_command, base_url)", s.Line)
				}
				toMapping(s)
			}
		}
	}
	return d, nil
}

// noRepeats reports a key repeated in a mapping: an edit would change the
// first and the SDK refuses the file anyway.
func noRepeats(n *yaml.Node, depth int) error {
	if depth > 64 {
		return fmt.Errorf("line %d: nested too deep", n.Line)
	}
	if n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a key must be a plain name, not a list or mapping", k.Line)
			}
			if seen[k.Value] {
				return fmt.Errorf("line %d: a key is repeated", k.Line)
			}
			seen[k.Value] = true
		}
	}
	for _, c := range n.Content {
		if err := noRepeats(c, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// newEmpty returns a document holding an empty mapping, keeping the
// comments of root (a file of comments only) when there is one.
func newEmpty(root *yaml.Node) *Doc {
	top := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{top}}
	if root != nil {
		doc.HeadComment, doc.FootComment = root.HeadComment, root.FootComment
		if len(root.Content) == 1 {
			top.HeadComment = root.Content[0].HeadComment
			top.FootComment = root.Content[0].FootComment
			top.LineComment = root.Content[0].LineComment
		}
	}
	return &Doc{root: doc}
}

// commentsOf returns the comment lines of b (a file that holds no YAML
// document, only comments and blank lines), unindented, with one blank line
// where blank lines separated them: the head comment the rendered file
// starts with.
func commentsOf(b []byte) string {
	var lines []string
	blank := false
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "#"):
			if blank && len(lines) > 0 {
				lines = append(lines, "")
			}
			lines = append(lines, l)
			blank = false
		case l == "":
			blank = true
		}
	}
	return strings.Join(lines, "\n")
}

// toMapping turns a null node (a profile or service left empty) into an
// empty mapping in place, keeping its comments, so that it renders as {}
// and takes edits.
func toMapping(n *yaml.Node) {
	if isNull(n) {
		*n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Line: n.Line, Column: n.Column,
			HeadComment: n.HeadComment, LineComment: n.LineComment, FootComment: n.FootComment}
	}
}

func emptyDoc(n *yaml.Node) bool {
	return len(n.Content) == 0 || len(n.Content) == 1 && isNull(n.Content[0])
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

var yamlLine = regexp.MustCompile(`line (\d+)`)

// sanitize turns a yaml.v3 error (whose text can quote a value, which may be
// a key) into "line N: not valid YAML".
func sanitize(err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Errorf("line %s: not valid YAML", m[1])
	}
	return errors.New("not valid YAML")
}

// Bytes renders the document, comments and order kept, indented by two.
func (d *Doc) Bytes() ([]byte, error) {
	if len(d.top().Content) == 0 && d.root.HeadComment == "" && d.top().HeadComment == "" {
		return nil, nil
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(d.root); err != nil {
		return nil, fmt.Errorf("rendering the config file: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("rendering the config file: %w", err)
	}
	return b.Bytes(), nil
}

func (d *Doc) top() *yaml.Node { return d.root.Content[0] }

// lookup returns the value of key in mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// child returns the mapping under key in m, creating it (at the end, so
// the file's order is kept) when it is missing or null.
func child(m *yaml.Node, key string) *yaml.Node {
	if v := lookup(m, key); v != nil {
		if isNull(v) {
			*v = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", HeadComment: v.HeadComment, LineComment: v.LineComment}
		}
		if v.Style == yaml.FlowStyle && len(v.Content) == 0 {
			v.Style = 0 // an empty {} that now gets content: block style, as the rest of the file
		}
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	return v
}

// service returns the mapping of profile's service, or nil.
func (d *Doc) service(profile, service string) *yaml.Node {
	return lookup(lookup(lookup(d.top(), "profiles"), profile), service)
}

// Value is a setting as the file holds it: a string, or a list of strings.
type Value struct {
	Scalar string
	List   []string
	IsList bool
}

// Get returns a service's setting in a profile, and whether it is there.
func (d *Doc) Get(profile, service, field string) (Value, bool) {
	n := lookup(d.service(profile, service), field)
	if n == nil || isNull(n) {
		return Value{}, false
	}
	if n.Kind == yaml.SequenceNode {
		v := Value{IsList: true}
		for _, c := range n.Content {
			v.List = append(v.List, c.Value)
		}
		return v, true
	}
	return Value{Scalar: n.Value}, true
}

// Set sets a service's setting in a profile to a string, creating the
// profile and service when needed. An existing setting keeps its place and
// its comments.
func (d *Doc) Set(profile, service, field, value string) {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	d.put(profile, service, field, n)
}

// SetList sets a service's setting to a list of strings, written in flow
// style ([a, b, c]) as the SDK's documentation shows api_key_command.
func (d *Doc) SetList(profile, service, field string, values []string) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, v := range values {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
	}
	d.put(profile, service, field, n)
}

func (d *Doc) put(profile, service, field string, n *yaml.Node) {
	svc := child(child(child(d.top(), "profiles"), profile), service)
	for i := 0; i+1 < len(svc.Content); i += 2 {
		if svc.Content[i].Value == field {
			old := svc.Content[i+1]
			n.HeadComment, n.LineComment, n.FootComment = old.HeadComment, old.LineComment, old.FootComment
			svc.Content[i+1] = n
			return
		}
	}
	svc.Content = append(svc.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: field}, n)
}

// Delete removes a service's setting from a profile and reports whether it
// was there. A service left with no settings is removed, and so is a
// profile left with no services.
func (d *Doc) Delete(profile, service, field string) bool {
	profiles := lookup(d.top(), "profiles")
	prof := lookup(profiles, profile)
	svc := lookup(prof, service)
	if !remove(svc, field) {
		return false
	}
	if len(svc.Content) == 0 {
		remove(prof, service)
	}
	if prof != nil && len(prof.Content) == 0 {
		remove(profiles, profile)
	}
	return true
}

// remove deletes key from mapping m.
func remove(m *yaml.Node, key string) bool {
	if m == nil || m.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return true
		}
	}
	return false
}

// Profiles lists the file's profiles in file order.
func (d *Doc) Profiles() []string { return keysOf(lookup(d.top(), "profiles")) }

// Services lists a profile's services in file order.
func (d *Doc) Services(profile string) []string {
	return keysOf(lookup(lookup(d.top(), "profiles"), profile))
}

// Fields lists a service's settings in a profile, in file order.
func (d *Doc) Fields(profile, service string) []string { return keysOf(d.service(profile, service)) }

// Line returns the line of a service's section in a profile (0 if absent),
// for messages that send a person to the file.
func (d *Doc) Line(profile, service string) int {
	prof := lookup(lookup(d.top(), "profiles"), profile)
	if prof == nil || prof.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(prof.Content); i += 2 {
		if prof.Content[i].Value == service {
			return prof.Content[i].Line
		}
	}
	return 0
}

func keysOf(m *yaml.Node) []string {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	out := make([]string, 0, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, m.Content[i].Value)
	}
	return out
}
