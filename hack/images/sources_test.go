package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestPickSourcesExplicit(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "queue")
	if err := os.WriteFile(bin, []byte("#!/bin/true\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		module  string
		args    []string
		want    []source
		wantErr string
	}{
		{name: "prebuilt binary", args: []string{"queue=" + bin},
			want: []source{{Name: "queue", Binary: bin}}},
		{name: "package in another module", module: dir, args: []string{"controller=knative.dev/serving/cmd/controller", "queue=./cmd/queue"},
			want: []source{{Name: "controller", Module: dir, Package: "knative.dev/serving/cmd/controller"}, {Name: "queue", Module: dir, Package: "./cmd/queue"}}},
		{name: "missing binary", args: []string{"queue=" + filepath.Join(dir, "nope")}, wantErr: "no such file"},
		{name: "folder is no binary", args: []string{"queue=" + dir}, wantErr: "not a regular file"},
		{name: "empty value", args: []string{"queue="}, wantErr: "want name=package"},
		{name: "bad image name", args: []string{"Queue/../x=" + bin}, wantErr: "want name=package"},
		{name: "name twice", args: []string{"q=" + bin, "q=" + bin}, wantErr: "two images named"},
		{name: "module without explicit names", module: dir, args: []string{"pause"}, wantErr: "-module needs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pickSources(".", tc.module, tc.args)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("source %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestMakeImagePacksPrebuiltBinary(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "queue")
	if err := os.WriteFile(bin, []byte("not built here\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	const ref = "wake-bench/knative-queue:v0.42.2"
	if err := makeImage(source{Name: "queue", Binary: bin, User: "65532"}, dir, ref, ""); err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(filepath.Join(dir, "queue.tar"), &tag)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Config.Entrypoint, " "); got != "/ko-app/queue" {
		t.Fatalf("entrypoint %q, want /ko-app/queue", got)
	}
	if cfg.Config.User != "65532" {
		t.Fatalf("user %q, want 65532", cfg.Config.User)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin", "queue")); !os.IsNotExist(err) {
		t.Fatalf("a binary was built for a prebuilt source (stat: %v)", err)
	}
}

func TestDiscoverSkipsKubectlPlugins(t *testing.T) {
	repo := t.TempDir()
	for _, pkg := range []string{"cmd/controller", "cmd/kubectl-wake", "test/images/hello"} {
		if err := os.MkdirAll(filepath.Join(repo, pkg), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, pkg, "main.go"), []byte("package main\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := discover(repo)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	if want := "controller hello pause"; strings.Join(names, " ") != want {
		t.Errorf("images %v, want %s", names, want)
	}
}
