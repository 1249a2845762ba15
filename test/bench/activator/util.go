package main

import (
	"runtime"

	"github.com/wakefn/wake/internal/activator/throttler"
)

type throttlerEndpoint = throttler.Endpoint

func goVersion() string { return runtime.Version() }
