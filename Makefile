# Wake's Makefile. `make help` lists the targets.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

BIN := $(abspath bin)
export PATH := $(BIN):$(PATH)

K8S_VERSION := v1.36.3
ETCD_VERSION := v3.6.16
IMG ?= wake
TAG ?= latest

CONTROLLER_GEN := $(BIN)/controller-gen
GOLANGCI_LINT := $(BIN)/golangci-lint
HELM := $(BIN)/helm
KUBECTL := $(BIN)/kubectl
KUBE_APISERVER := $(BIN)/kube-apiserver
ETCD := $(BIN)/etcd

# Tests run against the real etcd and kube-apiserver built into bin/.
export KUBEBUILDER_ASSETS := $(BIN)

K8S_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 \
	-X k8s.io/component-base/version.gitMinor=36 \
	-X k8s.io/client-go/pkg/version.gitVersion=$(K8S_VERSION)

.PHONY: help
help: ## List the targets.
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

##@ Development

.PHONY: test
test: verify lint test-chart test-go test-e2e ## Everything CI checks: generated files, lint, the Helm chart, unit, integration and e2e tests (e2e needs root).

# GO_TEST_TIMEOUT fails a hung test binary (one per package) instead of
# letting it run for go test's default 10 minutes. The slowest package,
# internal/autoscaler/kube, took 33 s with -race on a quiet 2-core machine
# and 36 to 39 s with both cores kept busy by other processes: 5 minutes is
# a margin of more than 7.
GO_TEST_TIMEOUT ?= 5m

.PHONY: test-go
test-go: envtest ## Unit and envtest integration tests, with the race detector.
	go test -race -count=1 -timeout $(GO_TEST_TIMEOUT) ./...

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deep-copy code.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs and RBAC.
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	hack/crd-metadata-name.sh config/crd/bases/*.yaml
	$(CONTROLLER_GEN) rbac:roleName=wake-controller paths=./controllers/... paths=./internal/config/... paths=./internal/autoscaler/... output:rbac:artifacts:config=config/rbac
	$(CONTROLLER_GEN) rbac:roleName=wake-activator paths=./internal/activator/... output:rbac:artifacts:config=config/rbac/activator
	$(CONTROLLER_GEN) rbac:roleName=wake-dispatcher paths=./internal/dispatcher/... output:rbac:artifacts:config=config/dispatcher

.PHONY: chart
chart: $(KUBECTL) ## Render the Helm chart charts/wake from config/default (hack/chart).
	go run ./hack/chart -kubectl $(KUBECTL) -config config/default -out charts/wake

.PHONY: test-chart
test-chart: $(HELM) $(KUBECTL) envtest ## Lint the Helm chart and run its tests (test/chart: same objects as config/default, golden renders, schema, a takeover on envtest).
	$(HELM) lint --strict charts/wake
	$(HELM) lint --strict charts/wake -f test/chart/testdata/values-all.yaml
	WAKE_REQUIRE_TOOLS=1 go test -count=1 ./test/chart/

.PHONY: verify
verify: generate manifests chart ## Fail when generated files are stale or go.mod is untidy.
	@git diff --exit-code -- api config charts || { echo "generated files are stale: run 'make generate manifests chart' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- api config charts)" || { git status --porcelain -- api config charts; echo "untracked generated files: commit them"; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	@go mod tidy -diff || { echo "go.mod is not tidy: run 'go mod tidy'"; exit 1; }

.PHONY: lint
lint: $(GOLANGCI_LINT) ## Run golangci-lint.
	$(GOLANGCI_LINT) run ./...

.PHONY: build
build: ## Build every binary of cmd/ into bin/: the controller, activator, dispatcher, broker and the kubectl plugin (bin/kubectl-wake).
	CGO_ENABLED=0 go build -o $(BIN)/ ./cmd/...

.PHONY: bench-activator
bench-activator: ## Benchmark the activator's request path against direct and a bare proxy (BENCH_ARGS=-quick for a short run).
	go run ./test/bench/activator $(BENCH_ARGS)

.PHONY: bench-tenants
bench-tenants: ## One tenant's flood vs another tenant's warm latency and cold starts, two activators measured at once (BENCH_ARGS=-quick for a short run).
	go run ./test/bench/tenants $(BENCH_ARGS)

.PHONY: bench-coldstart
bench-coldstart: ## Cold start on the local cluster (make dev first): plain Deployment 0→1 vs a Wake Function at zero, alternating (BENCH_ARGS=-runs N).
	KUBECONFIG=$(CLUSTER_KUBECONFIG) go run -tags e2e ./test/bench/coldstart $(BENCH_ARGS)

.PHONY: bench-kafka
bench-kafka: ## Kafka triggers on the local cluster (make dev first): produce-to-first-delivery at zero vs a plain Deployment 0→1, alternating; dispatcher msg/s with and without a reply topic vs HTTP req/s through the activator to one warm pod (BENCH_ARGS=-runs N -rounds R -n MESSAGES -inflight 20,100).
	KUBECONFIG=$(CLUSTER_KUBECONFIG) go run -tags e2e ./test/bench/kafka $(BENCH_ARGS)

# N is how many Functions bench-scale creates.
N ?= 1000

.PHONY: bench-scale
bench-scale: ## N Functions at zero on the local cluster (make dev first): time to all Ready, memory, API objects, one cold start, 50 woken vs 50 Deployments (BENCH_ARGS=-cleanup removes a run's leftovers).
	KUBECONFIG=$(CLUSTER_KUBECONFIG) go run -tags e2e ./test/bench/scale -n $(N) $(BENCH_ARGS)

# Knative Serving, built from hack/knative's module and installed next to
# Wake only for the length of bench-knative (make cluster-down removes it
# too: it deletes every pod and the cluster's etcd and images).
KNATIVE_VERSION := v0.42.2
KNATIVE_CMDS := activator autoscaler controller queue webhook
KNATIVE_DIR := $(BIN)/knative
KNATIVE_BINS := $(KNATIVE_CMDS:%=$(KNATIVE_DIR)/bin/%)

.PHONY: bench-knative
bench-knative: $(KNATIVE_BINS) ## Knative Serving side by side with Wake on the local cluster (make dev first): installs Knative, benchmarks, removes it (BENCH_ARGS for test/bench/knative).
	go build -C hack/images -o $(WAKE_IMAGES) .
	$(WAKE_IMAGES) -out $(KNATIVE_DIR)/images -prefix wake-bench/knative- -tag $(KNATIVE_VERSION) -user 65532 \
	  -containerd $(CLUSTER_SOCKET) $(foreach c,$(KNATIVE_CMDS),$(c)=$(KNATIVE_DIR)/bin/$(c))
	hack/knative/render.sh $(KNATIVE_DIR) $(KUBECTL)
	go build -tags e2e -o $(KNATIVE_DIR)/knative-bench ./test/bench/knative
	trap '$(KUBECTL_LOCAL) delete --ignore-not-found --timeout=120s -f $(KNATIVE_DIR)/serving.yaml' EXIT; \
	  $(KUBECTL_LOCAL) apply --server-side -f $(KNATIVE_DIR)/serving.yaml; \
	  $(KUBECTL_LOCAL) -n knative-serving wait --for=condition=Available deployment --all --timeout=300s; \
	  KUBECONFIG=$(CLUSTER_KUBECONFIG) $(KNATIVE_DIR)/knative-bench $(BENCH_ARGS)

$(KNATIVE_DIR)/bin/%: hack/knative/go.mod
	CGO_ENABLED=0 go build -C hack/knative -trimpath -ldflags "-s -w" -o $@ knative.dev/serving/cmd/$*

.PHONY: deploy
deploy: ## Install Wake into kubectl's current cluster with images $(IMG)/controller:$(TAG), $(IMG)/activator:$(TAG) and $(IMG)/dispatcher:$(TAG).
	mkdir -p $(BIN)/deploy
	printf 'resources:\n- ../../config/default\nimages:\n- name: wake/controller\n  newName: %s/controller\n  newTag: %s\n- name: wake/activator\n  newName: %s/activator\n  newTag: %s\n- name: wake/dispatcher\n  newName: %s/dispatcher\n  newTag: %s\n' \
	  '$(IMG)' '$(TAG)' '$(IMG)' '$(TAG)' '$(IMG)' '$(TAG)' > $(BIN)/deploy/kustomization.yaml
	kubectl apply --server-side -k $(BIN)/deploy

##@ Tools (built from pinned Go modules into bin/, reused when present)

.PHONY: envtest
envtest: $(KUBE_APISERVER) $(ETCD) ## Build etcd and kube-apiserver for envtest.

$(KUBE_APISERVER): hack/k8s/go.mod
	go build -C hack/k8s -ldflags "$(K8S_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(BIN)/kube-%: hack/k8s/go.mod
	go build -C hack/k8s -ldflags "$(K8S_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kube-$*

$(ETCD): hack/etcd/go.mod
	go build -C hack/etcd -o $@ go.etcd.io/etcd/server/v3

$(CONTROLLER_GEN): hack/tools/go.mod
	go build -C hack/tools -o $@ sigs.k8s.io/controller-tools/cmd/controller-gen

$(GOLANGCI_LINT): hack/tools/go.mod
	go build -C hack/tools -o $@ github.com/golangci/golangci-lint/v2/cmd/golangci-lint

$(HELM): hack/tools/go.mod
	go build -C hack/tools -o $@ helm.sh/helm/v3/cmd/helm

##@ Local cluster (a real single-node Kubernetes on this machine; see hack/cluster)

KUBELET := $(BIN)/kubelet
COREDNS := $(BIN)/coredns
WAKE_CLUSTER := $(BIN)/wake-cluster
WAKE_IMAGES := $(BIN)/wake-images
IMAGES_DIR := $(BIN)/images
CLUSTER_ROOT ?= /var/lib/wake-cluster
CLUSTER_KUBECONFIG ?= $(BIN)/kubeconfig
CLUSTER_SOCKET := $(CLUSTER_ROOT)/containerd/containerd.sock
CLUSTER_BINS := $(ETCD) $(KUBE_APISERVER) $(BIN)/kube-controller-manager $(BIN)/kube-scheduler \
	$(KUBELET) $(BIN)/kube-proxy $(COREDNS) $(KUBECTL)
CLUSTER_FLAGS = -root $(CLUSTER_ROOT) -bin $(BIN) -kubeconfig $(CLUSTER_KUBECONFIG) \
	-pause-image $(IMAGES_DIR)/pause.tar

KUBECTL_LOCAL = $(KUBECTL) --kubeconfig $(CLUSTER_KUBECONFIG)

.PHONY: dev
dev: cluster-up images ## Local cluster up, Wake installed from config/local, the sample Function served.
	$(KUBECTL_LOCAL) apply --server-side -k config/local
	$(KUBECTL_LOCAL) -n wake-system rollout restart deployment wake-controller wake-activator wake-dispatcher
	$(KUBECTL_LOCAL) -n wake-system rollout restart statefulset wake-broker
	$(KUBECTL_LOCAL) -n wake-system rollout status deployment/wake-controller --timeout=300s
	$(KUBECTL_LOCAL) -n wake-system rollout status deployment/wake-activator --timeout=300s
	$(KUBECTL_LOCAL) -n wake-system rollout status deployment/wake-dispatcher --timeout=300s
	$(KUBECTL_LOCAL) -n wake-system rollout status statefulset/wake-broker --timeout=300s
	$(KUBECTL_LOCAL) apply --server-side -f config/local/sample.yaml
	$(KUBECTL_LOCAL) wait --for=condition=Ready function/hello --timeout=300s
	@ip=$$($(KUBECTL_LOCAL) -n wake-system get service wake-activator -o jsonpath='{.spec.clusterIP}'); \
	  echo; echo "Wake is running. Try:"; \
	  echo "  curl -H 'Host: hello.default.example.com' http://$$ip/"; \
	  echo "  export KUBECONFIG=$(CLUSTER_KUBECONFIG); bin/kubectl get fn,rev,rt -A"

.PHONY: e2e
e2e: dev $(HELM) ## End-to-end tests (test/e2e) against the local cluster, brought up with Wake if needed.
	KUBECONFIG=$(CLUSTER_KUBECONFIG) go test -tags e2e -count=1 -timeout 30m ./test/e2e/...

.PHONY: test-e2e
test-e2e: cluster-tools ## The e2e tier as `make test` runs it: `make e2e`, then cluster-down if the cluster was not running before.
	@if $(WAKE_CLUSTER) $(CLUSTER_FLAGS) status >/dev/null; then \
	  $(MAKE) e2e; \
	else \
	  trap '$(MAKE) cluster-down' EXIT; \
	  $(MAKE) e2e; \
	fi

.PHONY: cluster-up
cluster-up: cluster-tools ## Start the local cluster (builds missing binaries, installs containerd & co.).
	$(WAKE_IMAGES) -repo . -out $(IMAGES_DIR) pause
	$(WAKE_CLUSTER) $(CLUSTER_FLAGS) up

.PHONY: cluster-down
cluster-down: ## Stop the local cluster and remove everything cluster-up created.
	go build -o $(WAKE_CLUSTER) ./hack/cluster
	$(WAKE_CLUSTER) $(CLUSTER_FLAGS) down

.PHONY: cluster-status
cluster-status: ## Show which local-cluster components run.
	go build -o $(WAKE_CLUSTER) ./hack/cluster
	$(WAKE_CLUSTER) $(CLUSTER_FLAGS) status

.PHONY: images
images: ## Build wake/<name>:dev images of cmd/* and test/images/* and import them into the local cluster.
	go build -C hack/images -o $(WAKE_IMAGES) .
	$(WAKE_IMAGES) -repo . -out $(IMAGES_DIR) -containerd $(CLUSTER_SOCKET)

.PHONY: cluster-tools
cluster-tools: $(CLUSTER_BINS) ## Build the local cluster's binaries and tools into bin/.
	go build -o $(WAKE_CLUSTER) ./hack/cluster
	go build -C hack/images -o $(WAKE_IMAGES) .

$(KUBELET): hack/k8s/go.mod
	go build -C hack/k8s -ldflags "$(K8S_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kubelet

$(KUBECTL): hack/k8s/go.mod
	go build -C hack/k8s -ldflags "$(K8S_LDFLAGS)" -o $@ k8s.io/kubernetes/cmd/kubectl

$(COREDNS): hack/coredns/go.mod
	CGO_ENABLED=0 go build -C hack/coredns -o $@ github.com/coredns/coredns
