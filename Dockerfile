# Builds Wake's images for real registries:
#   docker build --build-arg CMD=controller -t $IMG-controller .
#   docker build --build-arg CMD=activator  -t $IMG-activator .
#   docker build --build-arg CMD=dispatcher -t $IMG-dispatcher .
# (The local cluster builds the same static binaries into images without
# Docker; see hack/.)
FROM golang:1.26 AS build
ARG CMD=controller
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/
RUN CGO_ENABLED=0 go build -trimpath -ldflags=-s -o /out/wake ./cmd/${CMD}

FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/wake /wake
USER 65532:65532
ENTRYPOINT ["/wake"]
