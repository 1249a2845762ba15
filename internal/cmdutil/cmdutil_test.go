package cmdutil

import "testing"

func TestEnvOr(t *testing.T) {
	tests := []struct {
		name, value, want string
	}{
		{"unset", "", "default"},
		{"set", "from-env", "from-env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("WAKE_CMDUTIL_TEST", tt.value)
			if got := EnvOr("WAKE_CMDUTIL_TEST", "default"); got != tt.want {
				t.Errorf("EnvOr = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewLogger(t *testing.T) {
	for _, dev := range []bool{false, true} {
		if l := NewLogger(dev); l.GetSink() == nil {
			t.Errorf("NewLogger(%v) has no sink", dev)
		}
	}
}
