{{- /* Copied by hack/chart (make chart) from hack/chart/static/templates/_helpers.tpl: edit that, not this file. */ -}}
{{/*
The labels the chart adds to every object's metadata, besides config/'s own
(pod templates and selectors keep only config/'s, so that an upgrade of the
chart alone rolls out no pod).
*/}}
{{- define "wake.labels" -}}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/*
A wake-config value as the ConfigMap's string. A values file's numbers
arrive as float64: whole ones are written without an exponent (10000000,
not 1e+07).
*/}}
{{- define "wake.configValue" -}}
{{- if and (kindIs "float64" .) (eq (. | int64 | float64) .) -}}
{{- int64 . | toString | quote -}}
{{- else -}}
{{- toString . | quote -}}
{{- end -}}
{{- end }}
