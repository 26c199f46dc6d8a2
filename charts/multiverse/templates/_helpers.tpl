{{- define "multiverse.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "multiverse.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "multiverse.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "multiverse.tokenSecret" -}}
{{- default (printf "%s-api-token" (include "multiverse.fullname" .)) .Values.api.tokenSecret -}}
{{- end -}}

{{- define "multiverse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "multiverse.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "multiverse.stateClaim" -}}
{{- default (printf "%s-state" (include "multiverse.fullname" .)) .Values.persistence.existingClaim -}}
{{- end -}}

{{/* The namespace the kubernetes source watches (unless allNamespaces). */}}
{{- define "multiverse.watchNamespace" -}}
{{- default .Release.Namespace .Values.watch.namespace -}}
{{- end -}}

{{- define "multiverse.validate" -}}
{{- if not (has .Values.source (list "kubernetes" "files")) -}}
{{- fail (printf "source must be kubernetes or files, not %q" .Values.source) -}}
{{- end -}}
{{- if not (has .Values.backend (list "kubernetes" "local" "docker")) -}}
{{- fail (printf "backend must be kubernetes, local or docker, not %q" .Values.backend) -}}
{{- end -}}
{{- if and .Values.leaderElection.enabled (ne .Values.source "kubernetes") -}}
{{- fail "leaderElection needs source kubernetes (a Lease in the cluster); set leaderElection.enabled=false for source files" -}}
{{- end -}}
{{- if and (gt (int .Values.replicaCount) 1) (not .Values.leaderElection.enabled) -}}
{{- fail "replicaCount above 1 needs leaderElection.enabled: two controllers must never both reconcile" -}}
{{- end -}}
{{- end -}}
