package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// entrypointDir is where the binary sits inside the image.
const entrypointDir = "/ko-app"

// writeImage packs the binary into a one-layer image tagged ref, whose
// entrypoint is the binary and whose user is user (empty: the runtime's
// default, root), and writes it as a docker-archive tarball.
func writeImage(binary, ref, user, out string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("parse image name %s: %w", ref, err)
	}
	layer, err := binaryLayer(binary)
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return fmt.Errorf("add layer to %s: %w", ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return fmt.Errorf("read config of %s: %w", ref, err)
	}
	cfg = cfg.DeepCopy()
	cfg.Architecture = runtime.GOARCH
	cfg.OS = "linux"
	cfg.Config.Entrypoint = []string{path.Join(entrypointDir, path.Base(binary))}
	cfg.Config.Env = []string{"PATH=" + entrypointDir + ":/usr/local/bin:/usr/bin:/bin"}
	cfg.Config.WorkingDir = "/"
	cfg.Config.User = user
	cfg.Config.Labels = map[string]string{"dev.wake.image": path.Base(binary)}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return fmt.Errorf("set config of %s: %w", ref, err)
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return fmt.Errorf("write %s to %s: %w", ref, out, err)
	}
	return nil
}

// binaryLayer returns a layer holding the binary at entrypointDir, plus a /tmp
// folder for programs that write temporary files.
func binaryLayer(binary string) (v1.Layer, error) {
	data, err := os.ReadFile(binary)
	if err != nil {
		return nil, fmt.Errorf("read binary: %w", err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// A fixed time keeps the layer digest a function of the binary only.
	mtime := time.Unix(0, 0)
	entries := []struct {
		hdr  tar.Header
		data []byte
	}{
		{hdr: tar.Header{Name: "ko-app/", Typeflag: tar.TypeDir, Mode: 0o755}},
		{hdr: tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}},
		{hdr: tar.Header{Name: "ko-app/" + path.Base(binary), Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data))}, data: data},
	}
	for _, e := range entries {
		e.hdr.ModTime = mtime
		e.hdr.Format = tar.FormatPAX
		if err := tw.WriteHeader(&e.hdr); err != nil {
			return nil, fmt.Errorf("write layer header %s: %w", e.hdr.Name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("write layer file %s: %w", e.hdr.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close layer: %w", err)
	}
	layerBytes := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("make layer: %w", err)
	}
	return layer, nil
}
