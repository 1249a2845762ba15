// Package cmdutil holds what the mains of Wake's binaries share: their
// logger and flag defaults read from the environment. What belongs here:
// wiring a main needs twice, and nothing a library would call.
package cmdutil

import (
	"os"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// NewLogger returns a logger writing JSON lines with ISO 8601 times, or
// human-readable lines if dev.
func NewLogger(dev bool) logr.Logger {
	cfg := zap.NewProductionConfig()
	if dev {
		cfg = zap.NewDevelopmentConfig()
	}
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	z, err := cfg.Build()
	if err != nil {
		panic(err) // only an invalid fixed configuration fails
	}
	return zapr.NewLogger(z)
}

// EnvOr returns the environment variable key, or def when it is unset or
// empty: the default of a flag that a Pod's env can set.
func EnvOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
