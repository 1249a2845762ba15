// Command wake-images builds Wake's container images without Docker.
//
// For every main package under cmd/ and test/images/ of the repository (and
// the sandbox image "pause" from this module) it builds a static binary
// (CGO_ENABLED=0), packs it into a single-layer image whose entrypoint is that
// binary, writes the image as a tarball into -out, and, when -containerd is
// set, imports it into that containerd's k8s.io namespace with ctr.
//
//	wake-images -repo . -out bin/images -containerd /var/lib/wake-cluster/containerd/containerd.sock [name...]
//
// With names, only those images are built (for example "pause"). With
// name=value arguments it packs other programs instead: with -module DIR,
// value is a main package built in the Go module at DIR; without, value is a
// prebuilt static binary. make bench-knative packs Knative Serving this way:
//
//	wake-images -prefix wake-bench/knative- -tag v0.42.2 -user 65532 -out bin/knative/images queue=bin/knative/bin/queue
package main

import (
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	repo := flag.String("repo", ".", "root of the Wake repository (the main module)")
	out := flag.String("out", "bin/images", "folder for image tarballs and the binaries in them")
	prefix := flag.String("prefix", "wake/", "image repository prefix")
	tag := flag.String("tag", "dev", "image tag")
	address := flag.String("containerd", "", "containerd socket to import into (empty: only write tarballs)")
	module := flag.String("module", "", "with name=package arguments: the Go module to build them in")
	user := flag.String("user", "", "the images' user, like 65532 (empty: root)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("wake-images: ")

	if err := run(*repo, *out, *prefix, *tag, *address, *module, *user, flag.Args()); err != nil {
		log.Fatal(err)
	}
}

func run(repo, out, prefix, tag, address, module, user string, only []string) error {
	repo, err := filepath.Abs(repo)
	if err != nil {
		return fmt.Errorf("resolve repository root: %w", err)
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("resolve output folder: %w", err)
	}
	sources, err := pickSources(repo, module, only)
	if err != nil {
		return err
	}
	for i := range sources {
		sources[i].User = user
	}
	if err := os.MkdirAll(filepath.Join(out, "bin"), 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	// One broken package (say a cmd/ someone is editing) must not keep the
	// others from being built, so every image is attempted.
	var errs []error
	for _, src := range sources {
		if err := makeImage(src, out, prefix+src.Name+":"+tag, address); err != nil {
			log.Printf("image %s failed: %v", src.Name, err)
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d images failed: %w", len(errs), len(sources), errors.Join(errs...))
	}
	return nil
}

// pickSources returns the sources that args name: name=value arguments
// (see explicitSources), or else the repository's images, all or only
// those named.
func pickSources(repo, module string, args []string) ([]source, error) {
	if len(args) > 0 && strings.Contains(args[0], "=") {
		if module != "" {
			abs, err := filepath.Abs(module)
			if err != nil {
				return nil, fmt.Errorf("resolve module folder: %w", err)
			}
			module = abs
		}
		return explicitSources(args, module)
	}
	if module != "" {
		return nil, errors.New("-module needs name=package arguments")
	}
	sources, err := discover(repo)
	if err != nil {
		return nil, err
	}
	return selectSources(sources, args)
}

// makeImage builds one binary (or takes the prebuilt one), packs it as ref into <out>/<name>.tar, and
// imports it when address is set.
func makeImage(src source, out, ref, address string) error {
	start := time.Now()
	binary := src.Binary
	if binary == "" {
		binary = filepath.Join(out, "bin", src.Name)
		if err := buildStatic(src, binary); err != nil {
			return err
		}
	}
	tarball := filepath.Join(out, src.Name+".tar")
	if err := writeImage(binary, ref, src.User, tarball); err != nil {
		return err
	}
	if address != "" {
		if err := importImage(address, tarball); err != nil {
			return err
		}
	}
	log.Printf("image %s ready in %s (%s)", ref, time.Since(start).Round(time.Millisecond), tarball)
	return nil
}
