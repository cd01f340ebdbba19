{{/*
The pod of a backup job (scheduled or pre-upgrade). Argument: dict "root" $ "command" <list> "scriptsConfigMap"
<name> "env" <dict>, and "serviceAccount" <name> for a job that calls the API (it then gets a short-lived token).
SQLite lives on member 0's ReadWriteOnce volume, so the job runs on that member's node and mounts it.
*/}}
{{- define "opennebula.backupPod" -}}
{{- $root := .root -}}
{{- $serviceAccount := get . "serviceAccount" -}}
{{- $ship := $root.Values.backup.offsite.container -}}
{{- with $root -}}
metadata:
  labels:
    {{- include "opennebula.selectorLabels" . | nindent 4 }}
    app.kubernetes.io/component: backup
    {{- with .Values.commonLabels }}{{ toYaml . | nindent 4 }}{{ end }}
spec:
  restartPolicy: Never
  serviceAccountName: {{ $serviceAccount | default (include "opennebula.serviceAccountName" .) }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  securityContext:
    {{- include "opennebula.podSecurityContext" . | nindent 4 }}
  {{- with include "opennebula.imagePullSecrets" . | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- with include "opennebula.nodePlacement" . | trim }}
  {{- . | nindent 2 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . | quote }}
  {{- end }}
  {{- if eq .Values.database.backend "sqlite" }}
  affinity:
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        - topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              statefulset.kubernetes.io/pod-name: {{ include "opennebula.fullname" . }}-0
  {{- end }}
  {{- if $ship.image }}
  # The backup, then backup.offsite.container, as init containers: each runs only once the one before succeeded.
  initContainers:
  {{- else }}
  containers:
  {{- end }}
    - name: backup
      image: {{ include "opennebula.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy | quote }}
      command: {{ toJson $.command }}
      env:
        {{- include "opennebula.backupEnv" . | nindent 8 }}
        - {name: ONECHART_SCRIPTS, value: /run/onechart/scripts}
        {{- range $k, $v := $.env }}
        - {name: {{ $k }}, value: {{ $v | quote }}}
        {{- end }}
        # files/backup.sh records the backup it took under this Job's UID: a retry of the Job (backoffLimit) ships
        # that backup again instead of taking another one.
        - name: BACKUP_JOB_UID
          valueFrom: {fieldRef: {fieldPath: "metadata.labels['batch.kubernetes.io/controller-uid']"}}
        {{- if $ship.image }}
        # files/backup.sh writes there, for backup.offsite.container, the path of the backup it took and the list of
        # the backups not shipped yet (this one, and any a failed job missed).
        - {name: BACKUP_HANDOFF, value: /run/onechart/handoff/latest}
        - {name: BACKUP_PENDING, value: /run/onechart/handoff/pending}
        {{- end }}
      securityContext:
        {{- include "opennebula.restrictedSecurityContext" . | nindent 8 }}
      resources:
        {{- toYaml .Values.resources.jobs | nindent 8 }}
      volumeMounts:
        - {name: scripts, mountPath: /run/onechart/scripts, readOnly: true}
        - {name: backups, mountPath: /backups}
        - {name: tmp, mountPath: /tmp}
        {{- if .Values.backup.offsite.volume }}
        - {name: offsite, mountPath: /backups-offsite}
        {{- end }}
        {{- if $ship.image }}
        - {name: handoff, mountPath: /run/onechart/handoff}
        {{- end }}
        {{- if $serviceAccount }}
        - {name: serviceaccount, mountPath: /run/onechart/serviceaccount, readOnly: true}
        {{- end }}
        {{- if eq .Values.database.backend "sqlite" }}
        - {name: data, mountPath: /var/lib/one, readOnly: true}
        {{- else }}
        - {name: db, mountPath: /run/onechart/db, readOnly: true}
        {{- end }}
  {{- if $ship.image }}
    # backup.offsite.container: the operator's shipper, once the backup succeeded. It sees the backups read-only,
    # the path of this job's backup and the list of those to ship, never the database's credentials, the scripts
    # or a service account token.
    - name: offsite
      image: {{ $ship.image | quote }}
      imagePullPolicy: IfNotPresent
      {{- with $ship.command }}
      command: {{ toJson . }}
      {{- end }}
      env:
        - {name: HOME, value: /tmp}
        - {name: BACKUP_DIR, value: /backups}
        - {name: BACKUP_LATEST_FILE, value: /run/onechart/handoff/latest}
        - {name: BACKUP_PENDING_FILE, value: /run/onechart/handoff/pending}
        {{- with $ship.env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      securityContext:
        {{- include "opennebula.restrictedSecurityContext" . | nindent 8 }}
      resources:
        {{- toYaml .Values.resources.jobs | nindent 8 }}
      volumeMounts:
        - {name: backups, mountPath: /backups, readOnly: true}
        - {name: handoff, mountPath: /run/onechart/handoff, readOnly: true}
        - {name: offsite-tmp, mountPath: /tmp}
  containers:
    # Runs only once backup.offsite.container exited 0: marks the backups it was handed as shipped, so that the
    # next job hands over only what is still to ship, and the local retention may prune them.
    - name: mark-shipped
      image: {{ include "opennebula.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy | quote }}
      command: ["/bin/sh", "/run/onechart/scripts/backup.sh", "--mark-shipped"]
      env:
        - {name: BACKUP_DIR, value: /backups}
        - {name: BACKUP_PENDING, value: /run/onechart/handoff/pending}
      securityContext:
        {{- include "opennebula.restrictedSecurityContext" . | nindent 8 }}
      resources:
        {{- toYaml .Values.resources.jobs | nindent 8 }}
      volumeMounts:
        - {name: scripts, mountPath: /run/onechart/scripts, readOnly: true}
        - {name: backups, mountPath: /backups}
        - {name: handoff, mountPath: /run/onechart/handoff, readOnly: true}
  {{- end }}
  volumes:
    - name: scripts
      configMap: {name: {{ $.scriptsConfigMap }}, defaultMode: 0555}
    - name: backups
      persistentVolumeClaim: {claimName: {{ include "opennebula.fullname" . }}-backups}
    - {name: tmp, emptyDir: {sizeLimit: 1Gi}}
    {{- if $ship.image }}
    - {name: handoff, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
    - {name: offsite-tmp, emptyDir: {sizeLimit: 1Gi}}
    {{- end }}
    {{- with .Values.backup.offsite.volume }}
    # backup.offsite.volume: the operator's off-site target (NFS, a CSI volume, a claim in another zone).
    - {{ merge (dict "name" "offsite") (omit . "name") | toYaml | indent 6 | trim }}
    {{- end }}
    {{- if $serviceAccount }}
    - {{ include "opennebula.apiTokenVolume" . | indent 6 | trim }}
    {{- end }}
    {{- if eq .Values.database.backend "sqlite" }}
    - name: data
      persistentVolumeClaim: {claimName: data-{{ include "opennebula.fullname" . }}-0, readOnly: true}
    {{- else }}
    - name: db
      secret: {secretName: {{ include "opennebula.dbSecretName" . }}, defaultMode: 0440}
    {{- end }}
{{- end -}}
{{- end -}}
