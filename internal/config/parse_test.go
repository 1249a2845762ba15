package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		data    map[string]string
		last    *Config
		mutate  func(*Config) // applied to the expected config, starting from last or Default()
		wantErr []string      // substrings, one per error
	}{{
		// The defaults themselves are pinned in TestDefaults.
		name:   "empty changes nothing",
		data:   nil,
		mutate: func(*Config) {},
	}, {
		name: "every key",
		data: map[string]string{
			KeyDomain: "fn.example.org", KeyMinScale: "1", KeyMaxScale: "20", KeyInitialScale: "2",
			KeyContainerConcurrencyTargetDefault: "50", KeyTargetUtilizationPercentage: "80",
			KeyStableWindow: "2m", KeyPanicWindowPercentage: "20", KeyPanicThresholdPercentage: "300",
			KeyScaleToZeroGracePeriod: "45s", KeyScaleDownDelay: "10s", KeyMaxScaleUpRate: "10",
			KeyMaxScaleDownRate: "4", KeyQueueDepth: "50", KeyProbePeriod: "10ms", KeyDrainTimeout: "5s",
			KeyMaxConnections: "500", KeyMaxHeldRequests: "300", KeyMaxHeldRequestsPerNamespace: "100",
		},
		mutate: func(c *Config) {
			c.Domain = "fn.example.org"
			c.Autoscaler = Autoscaler{
				MinScale: 1, MaxScale: 20, InitialScale: 2, ContainerConcurrencyTargetDefault: 50,
				TargetUtilizationPercentage: 80, StableWindow: 2 * time.Minute, PanicWindowPercentage: 20,
				PanicThresholdPercentage: 300, ScaleToZeroGracePeriod: 45 * time.Second,
				ScaleDownDelay: 10 * time.Second, MaxScaleUpRate: 10, MaxScaleDownRate: 4,
			}
			c.Activator = Activator{QueueDepth: 50, ProbePeriod: 10 * time.Millisecond, DrainTimeout: 5 * time.Second,
				MaxConnections: 500, MaxHeldRequests: 300, MaxHeldRequestsPerNamespace: 100}
		},
	}, {
		name:    "malformed values keep the last good ones",
		data:    map[string]string{KeyStableWindow: "soon", KeyMaxScale: "-1", KeyDomain: "Not A Domain", KeyTargetUtilizationPercentage: "NaN", KeyInitialScale: "3"},
		last:    func() *Config { c := Default(); c.Autoscaler.StableWindow = 90 * time.Second; return c }(),
		mutate:  func(c *Config) { c.Autoscaler.InitialScale = 3 },
		wantErr: []string{`domain: invalid value "Not A Domain"`, `max-scale: invalid value "-1"`, `target-utilization-percentage: invalid value "NaN"`, `stable-window: invalid value "soon"`},
	}, {
		name:    "out of range",
		data:    map[string]string{KeyStableWindow: "1s", KeyPanicThresholdPercentage: "100", KeyQueueDepth: "0", KeyMaxConnections: "0", KeyMaxHeldRequests: "-5"},
		mutate:  func(*Config) {},
		wantErr: []string{"panic-threshold-percentage", "stable-window", "activator-queue-depth", "activator-max-connections", "activator-max-held-requests"},
	}, {
		name: "trusted proxies",
		data: map[string]string{KeyTrustedProxies: " 10.0.0.0/8, 192.168.1.7,fd00::1/64 ,"},
		mutate: func(c *Config) {
			c.Activator.TrustedProxies = []netip.Prefix{
				netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("fd00::/64"),
			}
		},
	}, {
		name: "malformed trusted proxies keep the last good ones",
		data: map[string]string{KeyTrustedProxies: "10.0.0.0/8, example.com"},
		last: func() *Config {
			c := Default()
			c.Activator.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}
			return c
		}(),
		mutate:  func(*Config) {},
		wantErr: []string{`trusted-proxies: invalid value "10.0.0.0/8, example.com": not a CIDR: "example.com"`},
	}, {
		name:    "min above max keeps both",
		data:    map[string]string{KeyMinScale: "5", KeyMaxScale: "2"},
		mutate:  func(*Config) {},
		wantErr: []string{"min-scale: invalid value \"5\": greater than max-scale 2"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.last
			if base == nil {
				base = Default()
			}
			want := *base
			tt.mutate(&want)
			got, err := Parse(tt.data, tt.last)
			if diff := cmp.Diff(&want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; want %q", tt.wantErr)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.wantErr) {
				t.Errorf("got %d errors, want %d: %v", len(lines), len(tt.wantErr), err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
