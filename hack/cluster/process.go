package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is one long-running component that up starts in the background,
// with its log file and PID file under the cluster root.
type Process struct {
	// Name names the log file (logs/<name>.log) and PID file (run/<name>.pid).
	Name string
	// Binary is the absolute path of the executable.
	Binary string
	// Args are its arguments.
	Args []string
	// StopTimeout is how long to wait after SIGTERM before SIGKILL.
	StopTimeout time.Duration
}

func (p *Process) pidFile(cfg *Config) string { return cfg.Path("run", p.Name+".pid") }

// LogFile is the path of the component's log.
func (p *Process) LogFile(cfg *Config) string { return cfg.Path("logs", p.Name+".log") }

// Start launches the process in its own session, detached from the caller,
// unless the PID file already names a live instance of it.
func (p *Process) Start(cfg *Config) error {
	if pid, ok := p.Running(cfg); ok {
		slog.Info("already running", "component", p.Name, "pid", pid)
		return nil
	}
	if _, err := os.Stat(p.Binary); err != nil {
		return fmt.Errorf("start %s: %w (build it with make cluster-up)", p.Name, err)
	}
	for _, dir := range []string{cfg.Path("logs"), cfg.Path("run")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("start %s: %w", p.Name, err)
		}
	}
	logFile, err := os.OpenFile(p.LogFile(cfg), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", p.Name, err)
	}
	defer func() { _ = logFile.Close() }()
	_, _ = fmt.Fprintf(logFile, "==== %s starting %s %s\n", time.Now().Format(time.RFC3339), p.Binary, strings.Join(p.Args, " "))

	cmd := exec.Command(p.Binary, p.Args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Dir = cfg.Root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(p.pidFile(cfg), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("write PID file of %s: %w", p.Name, err)
	}
	_ = cmd.Process.Release()
	slog.Info("started", "component", p.Name, "pid", pid, "log", p.LogFile(cfg))
	return nil
}

// Running reports the PID from the PID file if that process is alive and
// still runs this component's binary (so a reused PID is never mistaken for
// ours).
func (p *Process) Running(cfg *Config) (int, bool) {
	data, err := os.ReadFile(p.pidFile(cfg))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return 0, false
	}
	return pid, isOurProcess(pid, p.Binary)
}

// Stop sends SIGTERM to the process named by the PID file, waits for it to
// exit, and sends SIGKILL after StopTimeout. It never signals a process that
// does not run this component's binary.
func (p *Process) Stop(cfg *Config) error {
	pid, ok := p.Running(cfg)
	if !ok {
		_ = os.Remove(p.pidFile(cfg))
		return nil
	}
	timeout := p.StopTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	slog.Info("stopping", "component", p.Name, "pid", pid)
	if err := signalAndWait(pid, p.Binary, timeout); err != nil {
		return fmt.Errorf("stop %s: %w", p.Name, err)
	}
	if err := os.Remove(p.pidFile(cfg)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove PID file of %s: %w", p.Name, err)
	}
	return nil
}

// signalAndWait stops pid (checked to run binary) with SIGTERM, then SIGKILL.
func signalAndWait(pid int, binary string, timeout time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGTERM %d: %w", pid, err)
	}
	if waitExit(pid, binary, timeout) {
		return nil
	}
	slog.Warn("did not exit after SIGTERM, sending SIGKILL", "pid", pid, "binary", binary)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("SIGKILL %d: %w", pid, err)
	}
	if !waitExit(pid, binary, 10*time.Second) {
		return fmt.Errorf("process %d still running after SIGKILL", pid)
	}
	return nil
}

func waitExit(pid int, binary string, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !isOurProcess(pid, binary) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return !isOurProcess(pid, binary)
}

// isOurProcess reports whether pid is alive (not a zombie) and executes binary.
// The kernel names a process's executable by its resolved path, so binary is
// resolved too: a -bin directory reached through a symlink (a worktree's bin
// linked to another checkout's) names the same files.
func isOurProcess(pid int, binary string) bool {
	exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
	if err != nil {
		return false
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	if resolved, err := filepath.EvalSymlinks(binary); err == nil {
		binary = resolved
	}
	if exe != binary {
		return false
	}
	return !isZombie(pid)
}

func isZombie(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	return stat[i+2] == 'Z'
}
