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

func TestSoftLimit(t *testing.T) {
	tests := []struct {
		name, gomemlimit, container string
		want                        int64
		wantOK                      bool
	}{
		{name: "512 MiB", container: "536870912", want: 536870912 / 100 * 85, wantOK: true},
		{name: "GOMEMLIMIT wins", gomemlimit: "400MiB", container: "536870912"},
		{name: "no container limit", container: ""},
		{name: "garbage", container: "512Mi"},
		{name: "zero", container: "0"},
		{name: "negative", container: "-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := softLimit(tt.gomemlimit, tt.container)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("softLimit(%q, %q) = %d, %v; want %d, %v", tt.gomemlimit, tt.container, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
