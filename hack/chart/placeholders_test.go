package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	tests := []struct {
		name    string
		build   func(t *templater) map[string]any
		want    string
		wantErr string
	}{{
		name: "inline",
		build: func(t *templater) map[string]any {
			return map[string]any{"replicas": t.text(inline, "{{ .Values.replicas }}")}
		},
		want: "replicas: {{ .Values.replicas }}\n",
	}, {
		name: "inline token in two places",
		build: func(t *templater) map[string]any {
			ns := t.once(inline, "{{ .Values.namespace }}")
			return map[string]any{"a": ns(), "b": map[string]any{"c": ns()}}
		},
		want: "a: {{ .Values.namespace }}\nb:\n  c: {{ .Values.namespace }}\n",
	}, {
		name: "value below its key, indented",
		build: func(t *templater) map[string]any {
			return map[string]any{"spec": map[string]any{"resources": t.token(value, func(indent int) []string {
				return []string{fmt.Sprintf("{{- toYaml .Values.resources | nindent %d }}", indent)}
			})}}
		},
		want: "spec:\n  resources:\n    {{- toYaml .Values.resources | nindent 4 }}\n",
	}, {
		name: "map entry, after the real keys",
		build: func(t *templater) map[string]any {
			return map[string]any{"labels": map[string]any{"zone": "a", t.text(entry, "{{- if .x }}", "x: y", "{{- end }}"): ""}}
		},
		want: "labels:\n  zone: a\n  {{- if .x }}\n  x: y\n  {{- end }}\n",
	}, {
		name: "list item",
		build: func(t *templater) map[string]any {
			return map[string]any{"args": []any{"--a", t.text(entry, "{{- if .x }}", "- --b", "{{- end }}")}}
		},
		want: "args:\n- --a\n{{- if .x }}\n- --b\n{{- end }}\n",
	}, {
		name: "a value token as a list item",
		build: func(t *templater) map[string]any {
			return map[string]any{"args": []any{t.text(value, "x")}}
		},
		wantErr: "not a map value",
	}, {
		name: "an entry token as a value",
		build: func(t *templater) map[string]any {
			return map[string]any{"a": t.text(entry, "x")}
		},
		wantErr: "not a map key or list item",
	}, {
		name: "a token never placed",
		build: func(t *templater) map[string]any {
			t.text(inline, "x")
			return map[string]any{"a": "b"}
		},
		wantErr: "0 of 1 placeholders",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tm := newTemplater()
			got, err := tm.expand(tc.build(tm))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("expand: %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("expand:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}
