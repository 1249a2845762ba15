package main

import (
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// placeholder marks a place in an object where template text goes. The
// object is marshalled to YAML with the placeholder's token in it, and
// expand replaces the token's line by the text. Tokens start with "zzz" so
// that, as a map key, a token sorts after every real key and never lands on
// a list item's "- " line.
type placeholder struct {
	kind placeKind
	// lines renders the template text, given the column its lines start
	// at (what nindent needs).
	lines func(indent int) []string
}

type placeKind int

const (
	// inline: the token is a scalar value and is replaced in place by the
	// single line lines returns.
	inline placeKind = iota
	// value: the token is the value of "key: token"; the key stays and the
	// lines go below it, two columns further in.
	value
	// entry: the token is a map key ("token: ''") or a list item
	// ("- token"); the lines replace that line at its indentation.
	entry
)

// tokenRE matches a token; tokens are numbered with an end mark so that
// token 1 is not a prefix of token 12.
var tokenRE = regexp.MustCompile(`zzzwakechart[0-9]+z`)

// templater hands out tokens for one object and expands them.
type templater struct {
	places map[string]placeholder
}

func newTemplater() *templater { return &templater{places: map[string]placeholder{}} }

// token returns a new token that expand replaces as kind with lines.
func (t *templater) token(kind placeKind, lines func(indent int) []string) string {
	tok := fmt.Sprintf("zzzwakechart%dz", len(t.places))
	t.places[tok] = placeholder{kind: kind, lines: lines}
	return tok
}

// text returns a token for fixed template text: one line for inline, any
// number for entry (all at the token's indentation).
func (t *templater) text(kind placeKind, lines ...string) string {
	return t.token(kind, func(int) []string { return lines })
}

// once returns a function that hands out one token for fixed text, made
// on its first call: an inline token may stand in many places, and a token
// never placed would fail expand.
func (t *templater) once(kind placeKind, lines ...string) func() string {
	tok := ""
	return func() string {
		if tok == "" {
			tok = t.text(kind, lines...)
		}
		return tok
	}
}

// expand marshals obj to YAML and replaces every token in it.
func (t *templater) expand(obj map[string]any) (string, error) {
	b, err := yaml.Marshal(obj)
	if err != nil {
		return "", err
	}
	var out []string
	used := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		tok := tokenRE.FindString(line)
		if tok == "" {
			out = append(out, line)
			continue
		}
		p, ok := t.places[tok]
		if !ok {
			return "", fmt.Errorf("unknown token %s", tok)
		}
		used[tok] = true
		expanded, err := p.expand(line, tok)
		if err != nil {
			return "", err
		}
		out = append(out, expanded...)
	}
	if len(used) != len(t.places) {
		return "", fmt.Errorf("%d of %d placeholders expanded (one was quoted or lost)", len(used), len(t.places))
	}
	return strings.Join(out, "\n") + "\n", nil
}

// expand returns what replaces line, which holds tok.
func (p placeholder) expand(line, tok string) ([]string, error) {
	body := strings.TrimLeft(line, " ")
	indent := len(line) - len(body)
	pad := strings.Repeat(" ", indent)
	switch p.kind {
	case inline:
		l := p.lines(indent)
		if len(l) != 1 {
			return nil, fmt.Errorf("inline placeholder %s has %d lines", tok, len(l))
		}
		return []string{strings.Replace(line, tok, l[0], 1)}, nil
	case value:
		key, ok := strings.CutSuffix(body, ": "+tok)
		if !ok {
			return nil, fmt.Errorf("placeholder %s is not a map value: %q", tok, line)
		}
		out := []string{pad + key + ":"}
		for _, l := range p.lines(indent + 2) {
			out = append(out, pad+"  "+l)
		}
		return out, nil
	default:
		if body != tok+`: ""` && body != "- "+tok {
			return nil, fmt.Errorf("placeholder %s is not a map key or list item: %q", tok, line)
		}
		out := make([]string, 0, 4)
		for _, l := range p.lines(indent) {
			out = append(out, pad+l)
		}
		return out, nil
	}
}
