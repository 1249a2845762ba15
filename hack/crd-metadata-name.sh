#!/usr/bin/env bash
# Declares metadata.name (a string, nothing more) in the root schema of each
# CRD given. controller-gen always writes the root metadata schema as
# {type: object}, and the API server accepts an x-kubernetes-validations
# fieldPath only when it resolves in the schema: without this, a rule on the
# root cannot report ".metadata.name". The rules themselves stay in the
# +kubebuilder markers of api/.
set -euo pipefail

for f in "$@"; do
	root='          metadata:\n            type: object\n'
	n=$(grep -c -x '          metadata:' "$f" || true)
	if [[ "$n" != 1 ]]; then
		echo "$f: want one root metadata schema, found $n" >&2
		exit 1
	fi
	sed -i -z "s|${root}|          metadata:\n            properties:\n              name:\n                type: string\n            type: object\n|" "$f"
	grep -A1 -x '          metadata:' "$f" | grep -q -x '            properties:' ||
		{ echo "$f: metadata.name not declared" >&2; exit 1; }
done
