// Module images builds Wake's container images without Docker: static Go
// binaries packed into single-layer images with go-containerregistry and
// imported into the local cluster's containerd. It is a separate module so
// that go-containerregistry never enters the main module.
module github.com/wakefn/wake/hack/images

go 1.26.0

require github.com/google/go-containerregistry v0.22.1

require (
	github.com/klauspost/compress v1.19.2 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	github.com/opencontainers/image-spec v1.1.1 // indirect
)
