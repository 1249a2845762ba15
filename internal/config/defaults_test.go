package config

import (
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// pinnedDefaults pins every default, as literals, so that changing one in code
// (package defaults) fails a test: the wake-config key,
// the Config field it sets, and the default as the README's Configuration
// table gives it.
var pinnedDefaults = []struct {
	key   string
	field string // path in Config
	want  any
}{
	{KeyDomain, "Domain", "example.com"},
	{KeyDomainPolicy, "DomainPolicy", "claims"},
	{KeyMinScale, "Autoscaler.MinScale", int32(0)},
	{KeyMaxScale, "Autoscaler.MaxScale", int32(0)},
	{KeyInitialScale, "Autoscaler.InitialScale", int32(1)},
	{KeyContainerConcurrencyTargetDefault, "Autoscaler.ContainerConcurrencyTargetDefault", 100.0},
	{KeyTargetUtilizationPercentage, "Autoscaler.TargetUtilizationPercentage", 70.0},
	{KeyStableWindow, "Autoscaler.StableWindow", 60 * time.Second},
	{KeyPanicWindowPercentage, "Autoscaler.PanicWindowPercentage", 10.0},
	{KeyPanicThresholdPercentage, "Autoscaler.PanicThresholdPercentage", 200.0},
	{KeyScaleToZeroGracePeriod, "Autoscaler.ScaleToZeroGracePeriod", 30 * time.Second},
	{KeyScaleDownDelay, "Autoscaler.ScaleDownDelay", time.Duration(0)},
	{KeyMaxScaleUpRate, "Autoscaler.MaxScaleUpRate", 1000.0},
	{KeyMaxScaleDownRate, "Autoscaler.MaxScaleDownRate", 2.0},
	{KeyQueueDepth, "Activator.QueueDepth", 10000},
	{KeyProbePeriod, "Activator.ProbePeriod", 25 * time.Millisecond},
	{KeyDrainTimeout, "Activator.DrainTimeout", 30 * time.Second},
	{KeyTrustedProxies, "Activator.TrustedProxies", []netip.Prefix(nil)},
	{KeyMaxConnections, "Activator.MaxConnections", 10000},
	{KeyMaxHeldRequests, "Activator.MaxHeldRequests", 10000},
	{KeyMaxHeldRequestsPerNamespace, "Activator.MaxHeldRequestsPerNamespace", 2500},
	{KeyTenantMaxInFlight, "Tenant.MaxInFlight", int32(0)},
	{KeyTenantMaxHeldRequests, "Tenant.MaxHeldRequests", int32(0)},
	{KeyTenantRequestsPerSecond, "Tenant.RequestsPerSecond", int32(0)},
	{KeyTenantBurst, "Tenant.Burst", int32(0)},
	{KeyTenantMaxPods, "Tenant.MaxPods", int32(0)},
	{KeyTenantMaxScaleUpPerMinute, "Tenant.MaxScaleUpPerMinute", int32(0)},
	{KeyMeteringMode, "Metering.Mode", "request"},
	{KeyMeteringWindow, "Metering.Window", time.Minute},
	{KeyMeteringColdStartBillable, "Metering.ColdStartBillable", false},
	{KeyMeteringDefaultMemory, "Metering.DefaultMemoryBytes", int64(128 << 20)},
	{KeyMeteringDefaultCPU, "Metering.DefaultMilliCPU", int64(100)},
	{KeyMeteringJSONLines, "Metering.JSONLines", ""},
	{KeyMeteringWebhookURL, "Metering.WebhookURL", ""},
	{KeyMeteringWebhookSecret, "Metering.WebhookSecret", "wake-metering-webhook"},
}

func TestDefaults(t *testing.T) {
	d := reflect.ValueOf(Default()).Elem()
	for _, tt := range pinnedDefaults {
		t.Run(tt.key, func(t *testing.T) {
			v := fieldOf(d, tt.field)
			if !v.IsValid() {
				t.Fatalf("Config has no field %s", tt.field)
			}
			if got := v.Interface(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("default %s (%s) = %#v, want %#v", tt.key, tt.field, got, tt.want)
			}
		})
	}

	// A field added to Config without a pinned default fails here.
	var pinned []string
	for _, tt := range pinnedDefaults {
		pinned = append(pinned, tt.field)
	}
	fields := leafFields(reflect.TypeFor[Config](), "")
	slices.Sort(pinned)
	slices.Sort(fields)
	if diff := cmp.Diff(fields, pinned); diff != "" {
		t.Errorf("Config fields (-in Config +pinned here):\n%s", diff)
	}
}

// fieldOf returns the field of the struct v at path ("Activator.QueueDepth"),
// or the zero Value if there is none.
func fieldOf(v reflect.Value, path string) reflect.Value {
	for name := range strings.SplitSeq(path, ".") {
		if !v.IsValid() {
			break
		}
		v = v.FieldByName(name)
	}
	return v
}

// leafFields returns the paths of t's fields, descending into this
// package's structs.
func leafFields(t reflect.Type, prefix string) []string {
	var out []string
	for f := range t.Fields() {
		if f.Type.Kind() == reflect.Struct && f.Type.PkgPath() == t.PkgPath() {
			out = append(out, leafFields(f.Type, prefix+f.Name+".")...)
			continue
		}
		out = append(out, prefix+f.Name)
	}
	return out
}

// TestShippedConfigMap: config/default/wake-config.yaml promises to list
// every key with its default. It lists exactly the keys the code knows, and
// its values parse to the defaults.
func TestShippedConfigMap(t *testing.T) {
	raw, err := os.ReadFile("../../config/default/wake-config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{}
	if err := yaml.UnmarshalStrict(raw, cm); err != nil {
		t.Fatalf("parse wake-config.yaml: %v", err)
	}
	if cm.Name != Name {
		t.Errorf("name = %q, want %q", cm.Name, Name)
	}

	var known []string
	for _, tt := range pinnedDefaults {
		known = append(known, tt.key)
	}
	var listed []string
	for k := range cm.Data {
		listed = append(listed, k)
	}
	slices.Sort(known)
	slices.Sort(listed)
	if diff := cmp.Diff(known, listed); diff != "" {
		t.Errorf("keys in wake-config.yaml (-known to the code +listed):\n%s", diff)
	}

	// Each value on its own, on top of a configuration in which no field
	// has its default, must set its field to the default: a value parsed
	// as a different one, or one Parse refuses, fails.
	for _, tt := range pinnedDefaults {
		t.Run(tt.key, func(t *testing.T) {
			v, ok := cm.Data[tt.key]
			if !ok {
				return // the key diff above fails the test
			}
			got, err := Parse(map[string]string{tt.key: v}, notDefault())
			if err != nil {
				t.Fatalf("%s: %q: %v", tt.key, v, err)
			}
			want := notDefault()
			fieldOf(reflect.ValueOf(want).Elem(), tt.field).Set(fieldOf(reflect.ValueOf(Default()).Elem(), tt.field))
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("%s: %q (-default +parsed):\n%s", tt.key, v, diff)
			}
		})
	}
}

// notDefault returns a valid configuration in which every field differs
// from its default.
func notDefault() *Config {
	return &Config{
		Domain:       "other.example.org",
		DomainPolicy: DomainPolicyFirstCome,
		Autoscaler: Autoscaler{
			MinScale: 2, MaxScale: 7, InitialScale: 3, ContainerConcurrencyTargetDefault: 42,
			TargetUtilizationPercentage: 55, StableWindow: 2 * time.Minute, PanicWindowPercentage: 12,
			PanicThresholdPercentage: 250, ScaleToZeroGracePeriod: 45 * time.Second,
			ScaleDownDelay: 10 * time.Second, MaxScaleUpRate: 5, MaxScaleDownRate: 3,
		},
		Activator: Activator{
			QueueDepth: 7, ProbePeriod: 40 * time.Millisecond, DrainTimeout: 5 * time.Second,
			TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
			MaxConnections: 11, MaxHeldRequests: 13, MaxHeldRequestsPerNamespace: 5,
		},
		Tenant: Tenant{
			MaxInFlight: 17, MaxHeldRequests: 19, RequestsPerSecond: 23, Burst: 29, MaxPods: 31, MaxScaleUpPerMinute: 37,
		},
		Metering: Metering{
			Mode: "instance", Window: 5 * time.Minute, ColdStartBillable: true, DefaultMemoryBytes: 1 << 30, DefaultMilliCPU: 250,
			JSONLines: "/var/log/wake/usage.jsonl", WebhookURL: "https://billing.example.org/wake", WebhookSecret: "billing-key",
		},
	}
}

func TestNotDefaultDiffersEverywhere(t *testing.T) {
	d, n := reflect.ValueOf(Default()).Elem(), reflect.ValueOf(notDefault()).Elem()
	for _, tt := range pinnedDefaults {
		dv, nv := fieldOf(d, tt.field), fieldOf(n, tt.field)
		if reflect.DeepEqual(dv.Interface(), nv.Interface()) {
			t.Errorf("notDefault().%s = %v is the default", tt.field, nv.Interface())
		}
	}
}
