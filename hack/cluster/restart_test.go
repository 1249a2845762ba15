package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRestart: restart stops a running component and starts a new process
// of it, refuses components that are unknown or not running, and reports a
// health check that never passes.
func TestRestart(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	tests := []struct {
		name    string
		restart string
		start   bool
		check   func(context.Context) error
		wantErr string
	}{
		{name: "running", restart: "sleeper", start: true},
		{name: "healthy", restart: "sleeper", start: true, check: func(context.Context) error { return nil }},
		{name: "unknown", restart: "nope", start: true, wantErr: `unknown component "nope" (one of sleeper)`},
		{name: "stopped", restart: "sleeper", wantErr: "not running"},
		{name: "never healthy", restart: "sleeper", start: true, check: func(context.Context) error { return errors.New("down") }, wantErr: "down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{Root: t.TempDir()}
			p := &Process{Name: "sleeper", Binary: sleep, Args: []string{"60"}, StopTimeout: 5 * time.Second}
			t.Cleanup(func() { _ = p.Stop(cfg) })
			var before int
			if tt.start {
				if err := p.Start(cfg); err != nil {
					t.Fatal(err)
				}
				before, _ = p.Running(cfg)
			}
			checks := map[string]func(context.Context) error{}
			if tt.check != nil {
				checks["sleeper"] = tt.check
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			err := restart(ctx, cfg, []*Process{p}, tt.restart, checks)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("restart: %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("restart: %v", err)
			}
			after, ok := p.Running(cfg)
			if !ok || after == before {
				t.Fatalf("after restart: pid %d running %v, before %d; want a new running process", after, ok, before)
			}
			if isOurProcess(before, sleep) {
				t.Errorf("old process %d still runs", before)
			}
		})
	}
}
