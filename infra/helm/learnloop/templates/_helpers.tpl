{{/* Chart name, release-scoped resource names and the standard labels. */}}
{{- define "learnloop.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* <release>-<component>, e.g. prod-gateway. Args: (dict "root" $ "component" "gateway"). */}}
{{- define "learnloop.fullname" -}}
{{- printf "%s-%s" .root.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "learnloop.selectorLabels" -}}
app.kubernetes.io/name: {{ include "learnloop.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "learnloop.labels" -}}
{{ include "learnloop.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: learnloop
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels on the whole release (namespace-wide objects). */}}
{{- define "learnloop.commonLabels" -}}
app.kubernetes.io/name: {{ include "learnloop.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: learnloop
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "learnloop.image" -}}
{{- $img := .Values.image -}}
{{- if $img.digest -}}
{{ $img.repository }}@{{ $img.digest }}
{{- else -}}
{{ $img.repository }}:{{ default .Chart.AppVersion $img.tag }}
{{- end -}}
{{- end -}}

{{- define "learnloop.replicas" -}}
{{- /* Replicas of a component without autoscaling (args: its values); the settings ConfigMap
gives the same count to every pod for components with state. */ -}}
{{- default 2 .replicas -}}
{{- end }}

{{/*
The pod spec shared by Deployments and CronJobs.
Args: (dict "root" $ "component" name "spec" componentValues "restartPolicy" "Always"|"Never")
*/}}
{{- define "learnloop.podSpec" -}}
{{- $root := .root -}}
{{- $spec := .spec -}}
serviceAccountName: {{ include "learnloop.fullname" . }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- if .restartPolicy }}
restartPolicy: {{ .restartPolicy }}
{{- end }}
{{- if and $root.Values.topologySpread.enabled (ne .restartPolicy "Never") }}
topologySpreadConstraints:
  - maxSkew: {{ $root.Values.topologySpread.maxSkew }}
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "learnloop.selectorLabels" . | nindent 8 }}
  - maxSkew: {{ $root.Values.topologySpread.maxSkew }}
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "learnloop.selectorLabels" . | nindent 8 }}
{{- end }}
containers:
  - name: {{ .component }}
    image: {{ include "learnloop.image" $root | quote }}
    imagePullPolicy: {{ $root.Values.image.pullPolicy }}
    args:
      {{- toYaml $spec.args | nindent 6 }}
    envFrom:
      - configMapRef:
          name: {{ printf "%s-settings" $root.Release.Name }}
      - secretRef:
          name: {{ $root.Values.secrets.name }}
    env:
      - name: OTEL_SERVICE_NAME
        value: {{ .component | quote }}
      - name: OTEL_EXPORTER_OTLP_ENDPOINT
        value: {{ $root.Values.otel.endpoint | quote }}
      - name: OTEL_EXPORTER_OTLP_PROTOCOL
        value: grpc
      - name: OTEL_TRACES_SAMPLER
        value: parentbased_traceidratio
      - name: OTEL_TRACES_SAMPLER_ARG
        value: {{ $root.Values.otel.samplerRatio | quote }}
      - name: OTEL_RESOURCE_ATTRIBUTES
        value: {{ printf "service.namespace=learnloop,deployment.environment=%s,k8s.namespace.name=%s" $root.Values.config.LEARNLOOP_ENV $root.Release.Namespace | quote }}
      {{- if $spec.port }}
      - name: LEARNLOOP_API__PORT
        value: {{ $spec.port | quote }}
      {{- end }}
      {{- if $spec.grpcPort }}
      - name: LEARNLOOP_SERVING__GRPC_PORT
        value: {{ $spec.grpcPort | quote }}
      {{- end }}
      {{- if $spec.metricsPort }}
      - name: LEARNLOOP_INGEST__METRICS_PORT
        value: {{ $spec.metricsPort | quote }}
      {{- end }}
      {{- if and $spec.pushMetrics $root.Values.pushgateway.enabled }}
      - name: LEARNLOOP_DRIFT__PUSHGATEWAY_URL
        value: {{ $root.Values.pushgateway.url | quote }}
      {{- end }}
      {{- with $spec.state }}
      - name: {{ .indexSetting }}
        valueFrom:
          fieldRef:
            fieldPath: metadata.labels['apps.kubernetes.io/pod-index']
      {{- end }}
      {{- if $spec.signingKeys }}
      # signs with the keys of the mounted signingKeys secrets, never makes its own
      - name: LEARNLOOP_AUTH__MANAGE_KEYS
        value: "false"
      {{- end }}
      {{- if not (has "identity" ($spec.signingKeys | default list)) }}
      # verifies tokens with the identity service's published JWKS (its keys stay there)
      - name: LEARNLOOP_AUTH__VERIFY_WITH_JWKS
        value: "true"
      {{- end }}
      {{- range $name, $value := $spec.env }}
      - name: {{ $name }}
        value: {{ $value | quote }}
      {{- end }}
    {{- if or $spec.port $spec.metricsPort }}
    ports:
      {{- if $spec.port }}
      - name: http
        containerPort: {{ $spec.port }}
        protocol: TCP
      {{- end }}
      {{- if $spec.grpcPort }}
      - name: grpc
        containerPort: {{ $spec.grpcPort }}
        protocol: TCP
      {{- end }}
      {{- if $spec.metricsPort }}
      - name: metrics
        containerPort: {{ $spec.metricsPort }}
        protocol: TCP
      {{- end }}
    {{- $probePort := ternary "http" "metrics" (not (empty $spec.port)) }}
    startupProbe:
      httpGet: {path: /healthz, port: {{ $probePort }}}
      {{- toYaml $root.Values.probes.startup | nindent 6 }}
    livenessProbe:
      httpGet: {path: /healthz, port: {{ $probePort }}}
      {{- toYaml $root.Values.probes.liveness | nindent 6 }}
    readinessProbe:
      httpGet: {path: {{ ternary "/readyz" "/healthz" (not (empty $spec.port)) }}, port: {{ $probePort }}}
      {{- toYaml $root.Values.probes.readiness | nindent 6 }}
    {{- end }}
    resources:
      {{- toYaml $spec.resources | nindent 6 }}
    securityContext:
      {{- toYaml $root.Values.securityContext | nindent 6 }}
    volumeMounts:
      - name: data
        mountPath: /var/lib/learnloop
      - name: tmp
        mountPath: /tmp
      {{- range $kind := $spec.signingKeys }}
      - name: {{ $kind }}-keys
        mountPath: /var/lib/learnloop/keys/{{ $kind }}
        readOnly: true
      {{- end }}
volumes:
  {{- if not $spec.state }}
  - name: data
    emptyDir:
      sizeLimit: 2Gi
  {{- end }}
  - name: tmp
    emptyDir:
      sizeLimit: 1Gi
  {{- range $kind := $spec.signingKeys }}
  - name: {{ $kind }}-keys
    secret:
      secretName: {{ (index $root.Values.signingKeys $kind).secretName }}
      defaultMode: 0440
  {{- end }}
{{- end -}}
