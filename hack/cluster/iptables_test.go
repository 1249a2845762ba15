package main

import (
	"reflect"
	"testing"
)

func TestSplitRule(t *testing.T) {
	tests := []struct {
		name string
		line string
		want []string
	}{
		{
			name: "plain",
			line: "-A PREROUTING -j KUBE-SERVICES",
			want: []string{"-A", "PREROUTING", "-j", "KUBE-SERVICES"},
		},
		{
			name: "quoted comment",
			line: `-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
			want: []string{"-A", "OUTPUT", "-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"},
		},
		{
			name: "escaped quote",
			line: `-A X --comment "a \"b\"" -j ACCEPT`,
			want: []string{"-A", "X", "--comment", `a "b"`, "-j", "ACCEPT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitRule(tt.line); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitRule(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
}

func TestJumpsToOwned(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"-A", "PREROUTING", "-j", "KUBE-SERVICES"}, true},
		{[]string{"-A", "POSTROUTING", "-j", "CNI-HOSTPORT-MASQ"}, true},
		{[]string{"-A", "FORWARD", "-j", "DOCKER-USER"}, false},
		{[]string{"-A", "INPUT", "-j", "ACCEPT"}, false},
	}
	for _, tt := range tests {
		if got := jumpsToOwned(tt.args); got != tt.want {
			t.Errorf("jumpsToOwned(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
