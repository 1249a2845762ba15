package config

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Keys of wake-config.
const (
	KeyDomain                            = "domain"
	KeyDomainPolicy                      = "domain-policy"
	KeyMinScale                          = "min-scale"
	KeyMaxScale                          = "max-scale"
	KeyInitialScale                      = "initial-scale"
	KeyContainerConcurrencyTargetDefault = "container-concurrency-target-default"
	KeyTargetUtilizationPercentage       = "target-utilization-percentage"
	KeyStableWindow                      = "stable-window"
	KeyPanicWindowPercentage             = "panic-window-percentage"
	KeyPanicThresholdPercentage          = "panic-threshold-percentage"
	KeyScaleToZeroGracePeriod            = "scale-to-zero-grace-period"
	KeyScaleDownDelay                    = "scale-down-delay"
	KeyMaxScaleUpRate                    = "max-scale-up-rate"
	KeyMaxScaleDownRate                  = "max-scale-down-rate"
	KeyQueueDepth                        = "activator-queue-depth"
	KeyProbePeriod                       = "activator-probe-period"
	KeyDrainTimeout                      = "activator-drain-timeout"
	KeyTrustedProxies                    = "trusted-proxies"
	KeyMaxConnections                    = "activator-max-connections"
	KeyMaxHeldRequests                   = "activator-max-held-requests"
	KeyMaxHeldRequestsPerNamespace       = "activator-max-held-requests-per-namespace"
	KeyTenantMaxInFlight                 = "tenant-max-in-flight"
	KeyTenantMaxHeldRequests             = "tenant-max-held-requests"
	KeyTenantRequestsPerSecond           = "tenant-requests-per-second"
	KeyTenantBurst                       = "tenant-burst"
	KeyTenantMaxPods                     = "tenant-max-pods"
	KeyTenantMaxScaleUpPerMinute         = "tenant-max-scale-up-per-minute"
	KeyMeteringMode                      = "metering-mode"
	KeyMeteringWindow                    = "metering-window"
	KeyMeteringColdStartBillable         = "metering-cold-start-billable"
	KeyMeteringDefaultMemory             = "metering-default-memory"
	KeyMeteringDefaultCPU                = "metering-default-cpu"
	KeyMeteringJSONLines                 = "metering-json-lines"
	KeyMeteringWebhookURL                = "metering-webhook-url"
	KeyMeteringWebhookSecret             = "metering-webhook-secret"
)

// Parse reads wake-config's data on top of last, the last good
// configuration (nil means the defaults). A key whose value is malformed or
// out of range keeps last's value and adds an error naming the key; unknown
// keys are ignored.
func Parse(data map[string]string, last *Config) (*Config, error) {
	if last == nil {
		last = Default()
	}
	c := *last
	p := parser{data: data}
	p.str(KeyDomain, &c.Domain, checkDomain)
	p.str(KeyDomainPolicy, &c.DomainPolicy, checkDomainPolicy)
	a := &c.Autoscaler
	p.int32(KeyMinScale, &a.MinScale, 0, 1<<30)
	p.int32(KeyMaxScale, &a.MaxScale, 0, 1<<30)
	p.int32(KeyInitialScale, &a.InitialScale, 0, 1<<30)
	p.float(KeyContainerConcurrencyTargetDefault, &a.ContainerConcurrencyTargetDefault, 0.01, 10000)
	p.float(KeyTargetUtilizationPercentage, &a.TargetUtilizationPercentage, 1, 100)
	p.duration(KeyStableWindow, &a.StableWindow, 6*time.Second, time.Hour)
	p.float(KeyPanicWindowPercentage, &a.PanicWindowPercentage, 1, 100)
	p.float(KeyPanicThresholdPercentage, &a.PanicThresholdPercentage, 110, 1000)
	p.duration(KeyScaleToZeroGracePeriod, &a.ScaleToZeroGracePeriod, 0, time.Hour)
	p.duration(KeyScaleDownDelay, &a.ScaleDownDelay, 0, time.Hour)
	p.float(KeyMaxScaleUpRate, &a.MaxScaleUpRate, 1.01, 1e6)
	p.float(KeyMaxScaleDownRate, &a.MaxScaleDownRate, 1.01, 1e6)
	p.count(KeyQueueDepth, &c.Activator.QueueDepth)
	p.duration(KeyProbePeriod, &c.Activator.ProbePeriod, time.Millisecond, 10*time.Second)
	p.duration(KeyDrainTimeout, &c.Activator.DrainTimeout, 0, time.Hour)
	p.prefixes(KeyTrustedProxies, &c.Activator.TrustedProxies)
	p.count(KeyMaxConnections, &c.Activator.MaxConnections)
	p.count(KeyMaxHeldRequests, &c.Activator.MaxHeldRequests)
	p.count(KeyMaxHeldRequestsPerNamespace, &c.Activator.MaxHeldRequestsPerNamespace)
	t := &c.Tenant
	p.int32(KeyTenantMaxInFlight, &t.MaxInFlight, 0, maxCount)
	p.int32(KeyTenantMaxHeldRequests, &t.MaxHeldRequests, 0, maxCount)
	p.int32(KeyTenantRequestsPerSecond, &t.RequestsPerSecond, 0, maxCount)
	p.int32(KeyTenantBurst, &t.Burst, 0, maxCount)
	p.int32(KeyTenantMaxPods, &t.MaxPods, 0, maxCount)
	p.int32(KeyTenantMaxScaleUpPerMinute, &t.MaxScaleUpPerMinute, 0, maxCount)
	m := &c.Metering
	p.str(KeyMeteringMode, &m.Mode, checkMeteringMode)
	p.duration(KeyMeteringWindow, &m.Window, 10*time.Second, time.Hour)
	if m.Window > 0 && (24*time.Hour)%m.Window != 0 {
		p.fail(KeyMeteringWindow, m.Window.String(), errors.New("must divide a day"))
		m.Window = last.Metering.Window
	}
	p.bool(KeyMeteringColdStartBillable, &m.ColdStartBillable)
	p.quantity(KeyMeteringDefaultMemory, &m.DefaultMemoryBytes, false)
	p.quantity(KeyMeteringDefaultCPU, &m.DefaultMilliCPU, true)
	p.str(KeyMeteringJSONLines, &m.JSONLines, func(string) error { return nil })
	p.str(KeyMeteringWebhookURL, &m.WebhookURL, checkWebhookURL)
	p.str(KeyMeteringWebhookSecret, &m.WebhookSecret, checkSecretName)
	if a.MaxScale > 0 && a.MinScale > a.MaxScale {
		p.fail(KeyMinScale, strconv.Itoa(int(a.MinScale)), fmt.Errorf("greater than %s %d", KeyMaxScale, a.MaxScale))
		a.MinScale, a.MaxScale = last.Autoscaler.MinScale, last.Autoscaler.MaxScale
	}
	return &c, errors.Join(p.errs...)
}

type parser struct {
	data map[string]string
	errs []error
}

func (p *parser) fail(key, value string, err error) {
	p.errs = append(p.errs, fmt.Errorf("%s: invalid value %q: %w", key, value, err))
}

func (p *parser) str(key string, dst *string, check func(string) error) {
	v, ok := p.data[key]
	if !ok {
		return
	}
	if err := check(v); err != nil {
		p.fail(key, v, err)
		return
	}
	*dst = v
}

// maxCount bounds the counts in wake-config (queue depth, caps).
const maxCount = 1 << 24

func (p *parser) int32(key string, dst *int32, lo, hi int64) {
	v, ok := p.data[key]
	if !ok {
		return
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err == nil {
		err = inRange(float64(n), float64(lo), float64(hi))
	}
	if err != nil {
		p.fail(key, v, err)
		return
	}
	*dst = int32(n)
}

// count reads a count of at least 1 and at most maxCount.
func (p *parser) count(key string, dst *int) {
	var n int32
	before := len(p.errs)
	p.int32(key, &n, 1, maxCount)
	if _, ok := p.data[key]; ok && len(p.errs) == before {
		*dst = int(n)
	}
}

func (p *parser) float(key string, dst *float64, lo, hi float64) {
	v, ok := p.data[key]
	if !ok {
		return
	}
	f, err := strconv.ParseFloat(v, 64)
	if err == nil {
		err = inRange(f, lo, hi)
	}
	if err != nil {
		p.fail(key, v, err)
		return
	}
	*dst = f
}

func (p *parser) duration(key string, dst *time.Duration, lo, hi time.Duration) {
	v, ok := p.data[key]
	if !ok {
		return
	}
	d, err := time.ParseDuration(v)
	if err == nil && (d < lo || d > hi) {
		err = fmt.Errorf("must be between %s and %s", lo, hi)
	}
	if err != nil {
		p.fail(key, v, err)
		return
	}
	*dst = d
}

// prefixes reads a comma-separated list of CIDRs (an address alone means
// just that address); empty means none.
func (p *parser) prefixes(key string, dst *[]netip.Prefix) {
	v, ok := p.data[key]
	if !ok {
		return
	}
	var out []netip.Prefix
	for f := range strings.SplitSeq(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		pf, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				p.fail(key, v, fmt.Errorf("not a CIDR: %q", f))
				return
			}
			pf = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, pf.Masked())
	}
	*dst = out
}

func (p *parser) bool(key string, dst *bool) {
	v, ok := p.data[key]
	if !ok {
		return
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.fail(key, v, errors.New("must be true or false"))
		return
	}
	*dst = b
}

// quantity reads a positive Kubernetes quantity: its value, or its
// milli-value when milli is set.
func (p *parser) quantity(key string, dst *int64, milli bool) {
	v, ok := p.data[key]
	if !ok {
		return
	}
	q, err := resource.ParseQuantity(v)
	if err == nil && q.Sign() <= 0 {
		err = errors.New("must be positive")
	}
	if err != nil {
		p.fail(key, v, err)
		return
	}
	if milli {
		*dst = q.MilliValue()
	} else {
		*dst = q.Value()
	}
}

func inRange(f, lo, hi float64) error {
	if f != f || f < lo || f > hi { // f != f: NaN
		return fmt.Errorf("must be between %g and %g", lo, hi)
	}
	return nil
}

func checkDomainPolicy(v string) error {
	if v != DomainPolicyClaims && v != DomainPolicyFirstCome {
		return fmt.Errorf("must be %q or %q", DomainPolicyClaims, DomainPolicyFirstCome)
	}
	return nil
}

func checkMeteringMode(v string) error {
	if v != "off" && v != "request" && v != "instance" {
		return errors.New(`must be "off", "request" or "instance"`)
	}
	return nil
}

func checkWebhookURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an http or https URL")
	}
	return nil
}

func checkSecretName(v string) error {
	if errs := validation.IsDNS1123Subdomain(v); len(errs) > 0 {
		return errors.New(errs[0])
	}
	return nil
}

func checkDomain(v string) error {
	if errs := validation.IsDNS1123Subdomain(v); len(errs) > 0 {
		return errors.New(errs[0])
	}
	return nil
}
