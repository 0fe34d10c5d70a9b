{{/*
An Ingress to one Service; call with (dict "ctx" $ "component" NAME "ingress" VALUES "service" NAME "port" PORT).
*/}}
{{- define "claude-relay.ingress" -}}
{{- if not .ingress.hosts }}
{{- fail (printf "%s ingress is enabled but has no hosts" .component) }}
{{- end }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .service }}
  labels:
    {{- include "claude-relay.componentLabels" (dict "ctx" .ctx "component" .component) | nindent 4 }}
  {{- with .ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with .ingress.tls }}
  tls:
    {{- range . }}
    - secretName: {{ .secretName }}
      hosts:
        {{- range .hosts }}
        - {{ . | quote }}
        {{- end }}
    {{- end }}
  {{- end }}
  rules:
    {{- range .ingress.hosts }}
    - host: {{ .host | quote }}
      http:
        paths:
          {{- range (.paths | default (list "/")) }}
          - path: {{ . }}
            pathType: Prefix
            backend:
              service:
                name: {{ $.service }}
                port:
                  number: {{ $.port }}
          {{- end }}
    {{- end }}
{{- end }}
