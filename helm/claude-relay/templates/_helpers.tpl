{{/* Chart name, truncated to the 63 chars a DNS label allows. */}}
{{- define "claude-relay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource name prefix: <release>-<chart> unless the release name already contains the chart name. */}}
{{- define "claude-relay.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "claude-relay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels common to every object. */}}
{{- define "claude-relay.labels" -}}
helm.sh/chart: {{ include "claude-relay.chart" . }}
app.kubernetes.io/name: {{ include "claude-relay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: claude-relay
{{- end }}

{{/* Selector labels of one component; call with (dict "ctx" $ "component" "relay"). */}}
{{- define "claude-relay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "claude-relay.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Full labels of one component; same arguments as selectorLabels. */}}
{{- define "claude-relay.componentLabels" -}}
{{ include "claude-relay.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "claude-relay.relay.fullname" -}}
{{- printf "%s-relay" (include "claude-relay.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "claude-relay.controlPlane.fullname" -}}
{{- printf "%s-control-plane" (include "claude-relay.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The headless Service the relay resolves with dns:/// to balance over every control-plane pod. */}}
{{- define "claude-relay.controlPlane.headlessName" -}}
{{- printf "%s-control-plane-headless" (include "claude-relay.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The NetworkPolicy ingress rule of a component's operator port (/metrics): only `networkPolicy.metricsFrom`. */}}
{{- define "claude-relay.metricsIngress" -}}
# The operator port: /metrics for Prometheus.
- ports:
    - port: metrics
      protocol: TCP
  {{- with .Values.networkPolicy.metricsFrom }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "claude-relay.redis.fullname" -}}
{{- printf "%s-redis" (include "claude-relay.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "claude-relay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "claude-relay.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Secret holding the internal token, the encryption key and the admin password. */}}
{{- define "claude-relay.secretName" -}}
{{- default (include "claude-relay.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{/* Secret holding REDIS_URL, and its key. */}}
{{- define "claude-relay.redis.secretName" -}}
{{- default (printf "%s-redis-url" (include "claude-relay.fullname" .)) .Values.redis.existingSecret }}
{{- end }}

{{- define "claude-relay.redis.secretKey" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}redis-url{{ end }}
{{- end }}

{{/* The Redis URL the chart writes into its own Secret. */}}
{{- define "claude-relay.redis.url" -}}
{{- if .Values.redis.embedded.enabled }}
{{- printf "redis://%s.%s.svc.%s:6379" (include "claude-relay.redis.fullname" .) .Release.Namespace .Values.clusterDomain }}
{{- else }}
{{- $url := required "redis.url is required when redis.embedded.enabled is false and redis.existingSecret is empty" .Values.redis.url }}
{{- /* The control plane opens a Redis Cluster client for a redis+cluster:// (rediss+cluster://) URL. */}}
{{- if and .Values.redis.cluster (not (contains "+cluster://" $url)) }}
{{- $url = regexReplaceAll "^(rediss?)://" $url "${1}+cluster://" }}
{{- end }}
{{- $url }}
{{- end }}
{{- end }}

{{/* grpc-js target: every ready control-plane pod, balanced by the relay with round_robin. */}}
{{- define "claude-relay.controlPlane.target" -}}
{{- printf "dns:///%s.%s.svc.%s:%d" (include "claude-relay.controlPlane.headlessName" .) .Release.Namespace .Values.clusterDomain (int .Values.controlPlane.grpcPort) }}
{{- end }}

{{/* Image reference; call with (dict "ctx" $ "image" .Values.relay.image). */}}
{{- define "claude-relay.image" -}}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag) }}
{{- end }}

{{/* topologySpreadConstraints over the given keys; same arguments as selectorLabels plus "keys". */}}
{{- define "claude-relay.topologySpread" -}}
{{- range .keys }}
- maxSkew: 1
  topologyKey: {{ . }}
  whenUnsatisfiable: ScheduleAnyway
  labelSelector:
    matchLabels:
      {{- include "claude-relay.selectorLabels" $ | nindent 6 }}
  matchLabelKeys:
    - pod-template-hash
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every Deployment of the chart. */}}
{{- define "claude-relay.podSecurity" -}}
serviceAccountName: {{ include "claude-relay.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* An env entry read from a Secret key. */}}
{{- define "claude-relay.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .secret }}
      key: {{ .key }}
{{- end }}
