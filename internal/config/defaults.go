package config

import "github.com/wakefn/wake/internal/config/defaults"

// Default returns the configuration used for every key wake-config lacks.
func Default() *Config {
	return &Config{
		Domain:       defaults.Domain,
		DomainPolicy: defaults.DomainPolicy,
		Autoscaler: Autoscaler{
			InitialScale:                      defaults.InitialScale,
			ContainerConcurrencyTargetDefault: defaults.ContainerConcurrencyTarget,
			TargetUtilizationPercentage:       defaults.TargetUtilizationPercentage,
			StableWindow:                      defaults.StableWindow,
			PanicWindowPercentage:             defaults.PanicWindowPercentage,
			PanicThresholdPercentage:          defaults.PanicThresholdPercentage,
			ScaleToZeroGracePeriod:            defaults.ScaleToZeroGracePeriod,
			MaxScaleUpRate:                    defaults.MaxScaleUpRate,
			MaxScaleDownRate:                  defaults.MaxScaleDownRate,
		},
		Activator: Activator{
			QueueDepth:                  defaults.QueueDepth,
			ProbePeriod:                 defaults.ProbePeriod,
			DrainTimeout:                defaults.DrainTimeout,
			MaxConnections:              defaults.MaxConnections,
			MaxHeldRequests:             defaults.MaxHeldRequests,
			MaxHeldRequestsPerNamespace: defaults.MaxHeldRequestsPerNamespace,
		},
		Metering: Metering{
			Mode:               defaults.MeteringMode,
			Window:             defaults.MeteringWindow,
			DefaultMemoryBytes: defaults.MeteringDefaultMemoryBytes,
			DefaultMilliCPU:    defaults.MeteringDefaultMilliCPU,
			WebhookSecret:      defaults.MeteringWebhookSecret,
		},
	}
}
