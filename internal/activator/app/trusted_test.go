package app

import (
	"testing"

	"github.com/wakefn/wake/internal/config"
)

// TestTrustedProxiesFollowConfig: wake-config's trusted-proxies reaches the
// activator and changes to it apply at runtime.
func TestTrustedProxiesFollowConfig(t *testing.T) {
	store := config.NewStore()
	tp := trustedProxies(store)
	const client = "10.1.2.3:4567"
	steps := []struct {
		data map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{config.KeyTrustedProxies: "10.0.0.0/8"}, true},
		{map[string]string{config.KeyTrustedProxies: "10.0.0.0/8, not-a-cidr"}, true}, // malformed: last good kept
		{map[string]string{config.KeyTrustedProxies: ""}, false},
	}
	for i, s := range steps {
		_ = store.Update(s.data)
		if got := tp.Contains(client); got != s.want {
			t.Errorf("step %d: trusted %v, want %v", i, got, s.want)
		}
	}
}
