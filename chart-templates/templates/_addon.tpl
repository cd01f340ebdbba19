{{/*
An add-on of the front-end as a Deployment of its own: FireEdge (with guacd), OneGate, OneFlow, OneForm, OneKS,
the exporter, 6.10's Sunstone (with noVNC). Each reaches the leader's oned through the -leader Service, has its
own readiness, PodDisruptionBudget and Service, and mounts only the credentials it needs: a failing add-on never
takes the API, SSH or monitord away (README.md, What runs).

Argument: dict with
  root        $
  component   the add-on's name: container, component label, Deployment `<fullname>-<component>`
  replicas    pod count (0 in maintenance mode: nothing may write while a backup is restored)
  strategy    "Recreate" (a single replica that keeps state: OneFlow, OneForm, OneKS) or "RollingUpdate"
  credentials list of files/addon.sh credentials ("onegate_auth=serveradmin", "fireedge_key=@fireedge-key")
  command     the daemon's command (a list)
  env         more environment (a list of EnvVar dicts)
  ports       the container's ports (a list of {name, containerPort})
  probePort   the port name the readiness (and liveness) probes connect to
  liveness    false to leave out the liveness probe (a daemon that may wait long before it listens)
  resources   requests and limits
  logs        log files under /var/log/one linked to the output; "rotated": the ones that rotate
  tlsType     the add-on's Service type: with tls.enabled and a published type, a tls-proxy container serves
              `tlsPorts` (HAProxy, config key haproxy-<component>.cfg)
  tlsPorts    the TLS proxy's ports (a list of {name, containerPort})
  sidecars    more containers (YAML text)
  mounts      more volume mounts of the daemon (YAML text)
  volumes     more volumes (YAML text)
  configure   service configuration files the config init container merges into /etc/one (a list)
*/}}
{{- define "opennebula.addon" -}}
{{- $root := .root -}}
{{- $c := .component -}}
{{- $fullname := include "opennebula.fullname" $root -}}
{{- $image := include "opennebula.image" $root -}}
{{- $tls := and .tlsType (include "opennebula.tlsExposed" (dict "root" $root "type" .tlsType)) -}}
{{- /* The add-on's own values: <component>.extraEnv, extraVolumes, extraVolumeMounts (the exporter's: metrics). */ -}}
{{- $own := get $root.Values (ternary "metrics" $c (eq $c "exporter")) | default dict -}}
{{- $keys := list -}}
{{- range .credentials -}}
{{- $src := splitList "=" . | last -}}
{{- $keys = append $keys (ternary (trimPrefix "@" $src) (printf "%s-password" $src) (hasPrefix "@" $src)) -}}
{{- end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ printf "%s-%s" $fullname $c }}
  labels:
    {{- include "opennebula.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $c }}
  {{- with include "opennebula.annotations" (dict "root" $root "annotations" dict) | trim }}
  {{- . | nindent 2 }}
  {{- end }}
spec:
  replicas: {{ int (ternary 0 .replicas $root.Values.maintenance.enabled) }}
  revisionHistoryLimit: 3
  strategy:
    type: {{ .strategy }}
  selector:
    matchLabels:
      {{- include "opennebula.addonSelectorLabels" (dict "root" $root "component" $c) | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "opennebula.podLabels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ $c }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap-config.yaml") $root | sha256sum }}
        checksum/scripts: {{ include (print $root.Template.BasePath "/configmap-scripts.yaml") $root | sha256sum }}
        {{- with merge (dict) $root.Values.podAnnotations $root.Values.commonAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "opennebula.serviceAccountName" $root }}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: 30
      securityContext:
        {{- include "opennebula.podSecurityContext" $root | nindent 8 }}
      {{- with include "opennebula.imagePullSecrets" $root | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      {{- with $root.Values.priorityClassName }}
      priorityClassName: {{ . | quote }}
      {{- end }}
      {{- with include "opennebula.nodePlacement" $root | trim }}
      {{- . | nindent 6 }}
      {{- end }}
      initContainers:
        {{- include "opennebula.checkImageContainer" $root | nindent 8 }}
        # The packaged /etc/one with the chart's settings for this add-on merged in; no credential goes there.
        - name: config
          image: {{ $image | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy | quote }}
          command: ["/bin/sh", "/run/onechart/scripts/prepare.sh", "addon", {{ join " " .configure | quote }}]
          securityContext:
            {{- include "opennebula.restrictedSecurityContext" $root | nindent 12 }}
          resources:
            {{- toYaml $root.Values.resources.jobs | nindent 12 }}
          volumeMounts:
            - {name: config, mountPath: /run/onechart/config, readOnly: true}
            - {name: scripts, mountPath: /run/onechart/scripts, readOnly: true}
            - {name: etc, mountPath: /run/onechart/etc}
            - {name: tmp, mountPath: /tmp}
      containers:
        - name: {{ $c }}
          image: {{ $image | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy | quote }}
          command: {{ concat (list "/bin/sh" "/run/onechart/scripts/addon.sh") .credentials (list "--") .command | toJson }}
          env:
            # HOME: the 7.2+ Ruby OCA joins $HOME into a path (OpenNebula/one@release-7.4.0:src/oca/ruby/
            # opennebula/lib/client.rb:63); APP_ENV: 7.0 and 7.2 bundle Sinatra 4.1/4.2, which in development mode
            # answers 403 to a Host that is not localhost or an IP (7.4.0 turns that off, commit 75e3ae157a).
            - {name: HOME, value: /var/lib/one}
            - {name: APP_ENV, value: production}
            # oned's API through the -leader Service: files/addon.sh waits for it; the Ruby OCA's default client
            # reads ONE_XMLRPC (src/oca/ruby/opennebula/lib/client.rb:115-121).
            - {name: ONECHART_API, value: {{ printf "%s:2633" (include "opennebula.leaderHost" $root) | quote }}}
            - {name: ONE_XMLRPC, value: {{ printf "http://%s:2633/RPC2" (include "opennebula.leaderHost" $root) | quote }}}
            - {name: ADDON_LOGS, value: {{ join " " (.logs | default list) | quote }}}
            {{- with .rotated }}
            - {name: ADDON_ROTATED, value: {{ join " " . | quote }}}
            {{- end }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $own.extraEnv }}
            # <component>.extraEnv (the exporter's: metrics.extraEnv).
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            {{- range .ports }}
            - {name: {{ .name }}, containerPort: {{ int .containerPort }}, protocol: TCP}
            {{- end }}
          readinessProbe:
            tcpSocket: {port: {{ .probePort | toJson }}}
            periodSeconds: 10
            timeoutSeconds: 5
          {{- if ne (toString .liveness) "false" }}
          livenessProbe:
            tcpSocket: {port: {{ .probePort | toJson }}}
            initialDelaySeconds: 120
            periodSeconds: 20
            timeoutSeconds: 5
            failureThreshold: 6
          {{- end }}
          securityContext:
            {{- include "opennebula.restrictedSecurityContext" $root | nindent 12 }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          volumeMounts:
            - {name: etc, mountPath: /etc/one, readOnly: true}
            - {name: dotone, mountPath: /var/lib/one/.one}
            - {name: log, mountPath: /var/log/one}
            - {name: tmp, mountPath: /tmp}
            - {name: scripts, mountPath: /run/onechart/scripts, readOnly: true}
            # Only the keys this add-on reads: {{ join ", " $keys }}.
            - {name: auth, mountPath: /run/onechart/auth, readOnly: true}
            {{- with .mounts }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $own.extraVolumeMounts }}
            # <component>.extraVolumeMounts (the exporter's: metrics.extraVolumeMounts).
            {{- toYaml . | nindent 12 }}
            {{- end }}
        {{- with .sidecars }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- if $tls }}
        {{- include "opennebula.tlsProxyContainer" (dict "root" $root "config" (printf "haproxy-%s.cfg" $c) "ports" .tlsPorts) | nindent 8 }}
        {{- end }}
      volumes:
        - name: config
          configMap: {name: {{ $fullname }}-config}
        - name: scripts
          configMap: {name: {{ $fullname }}-scripts, defaultMode: 0555}
        - name: auth
          {{- with $root.Values.auth.existingSecret }}
          # onechart:ignore ONE030 auth.existingSecret is the operator's
          {{- end }}
          secret:
            secretName: {{ include "opennebula.authSecretName" $root }}
            defaultMode: 0440
            items:
              {{- range $keys }}
              - {key: {{ . }}, path: {{ . }}}
              {{- end }}
        - {name: etc, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
        # The credential files the daemon reads (files/addon.sh writes them from the Secret): memory only.
        - {name: dotone, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
        - {name: log, emptyDir: {sizeLimit: 256Mi}}
        - {name: tmp, emptyDir: {sizeLimit: 1Gi}}
        {{- if $tls }}
        {{- include "opennebula.tlsVolume" (dict "root" $root "config" (printf "haproxy-%s.cfg" $c)) | nindent 8 }}
        {{- end }}
        {{- with .volumes }}
        {{- . | nindent 8 }}
        {{- end }}
        {{- with $own.extraVolumes }}
        # <component>.extraVolumes (the exporter's: metrics.extraVolumes).
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}

{{/*
The PodDisruptionBudget of an add-on: one pod down at a time (a single replica may still be evicted: an add-on
never holds a node drain). Argument: dict "root" $ "component" <name>.
*/}}
{{- define "opennebula.addonPdb" -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ printf "%s-%s" (include "opennebula.fullname" .root) .component }}
  labels:
    {{- include "opennebula.labels" .root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
  {{- with include "opennebula.annotations" (dict "root" .root "annotations" dict) | trim }}
  {{- . | nindent 2 }}
  {{- end }}
spec:
  maxUnavailable: 1
  selector:
    matchLabels:
      {{- include "opennebula.addonSelectorLabels" . | nindent 6 }}
{{- end -}}

{{/* The start-up check of the image, the first init container of every pod of the front-end. */}}
{{- define "opennebula.checkImageContainer" -}}
# The image holds what this chart runs (commands, Ruby paths, uid 9869, the OpenNebula version), or the pod stops
# here with one message naming what is missing (image/README.md).
- name: check-image
  image: {{ include "opennebula.image" . | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy | quote }}
  command: ["/bin/sh", "/run/onechart/scripts/check-image.sh"]
  terminationMessagePolicy: FallbackToLogsOnError
  securityContext:
    {{- include "opennebula.restrictedSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.resources.jobs | nindent 4 }}
  volumeMounts:
    - {name: scripts, mountPath: /run/onechart/scripts, readOnly: true}
{{- end -}}

{{/*
The TLS proxy container (files/tls-proxy.sh, Debian's HAProxy): TLS on the ports a published Service targets,
each connection passed on in TCP mode. Argument: dict "root" $ "config" <haproxy config key> "ports" <list>.
*/}}
{{- define "opennebula.tlsProxyContainer" -}}
- name: tls-proxy
  image: {{ include "opennebula.image" .root | quote }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy | quote }}
  # TLS in front of a daemon that has none of its own; it reloads HAProxy when the certificate Secret changes.
  command: ["/bin/sh", "/run/onechart/scripts/tls-proxy.sh"]
  env:
    - {name: TLS_DIR, value: /run/onechart/tls}
    - {name: HAPROXY_CONFIG, value: {{ printf "/run/onechart/config/%s" .config | quote }}}
  ports:
    {{- range .ports }}
    - {name: {{ .name }}, containerPort: {{ int .containerPort }}, protocol: TCP}
    {{- end }}
  readinessProbe:
    exec:
      command: ["/bin/sh", "/run/onechart/scripts/health.sh", "process", "haproxy"]
    periodSeconds: 10
    timeoutSeconds: 10
  livenessProbe:
    exec:
      command: ["/bin/sh", "/run/onechart/scripts/health.sh", "process", "haproxy"]
    initialDelaySeconds: 20
    periodSeconds: 30
    timeoutSeconds: 10
  securityContext:
    {{- include "opennebula.restrictedSecurityContext" .root | nindent 4 }}
  resources:
    {{- toYaml .root.Values.resources.tlsProxy | nindent 4 }}
  volumeMounts:
    # Its own HAProxy configuration only (the ConfigMap's key, nothing else of it).
    - {name: tls-config, mountPath: /run/onechart/config, readOnly: true}
    - {name: scripts, mountPath: /run/onechart/scripts, readOnly: true}
    - {name: tls, mountPath: /run/onechart/tls, readOnly: true}
    - {name: tmp, mountPath: /tmp}
{{- end -}}

{{/*
The volumes of a TLS proxy: the certificate Secret, and its HAProxy configuration. Argument: dict "root" $
"config" <the configuration's key>.
*/}}
{{- define "opennebula.tlsVolume" -}}
- name: tls-config
  configMap:
    name: {{ include "opennebula.fullname" .root }}-config
    items: [{key: {{ .config }}, path: {{ .config }}}]
{{- with .root }}
- name: tls
  {{- if not .Values.tls.certManager.issuerName }}
  # onechart:ignore ONE030 the certificate Secret (tls.secretName) is the operator's
  {{- end }}
  secret: {secretName: {{ include "opennebula.tlsSecretName" . }}, defaultMode: 0440}
{{- end }}
{{- end -}}

{{/* guacd, FireEdge's console proxy, on the pod's loopback (it has no authentication). */}}
{{- define "opennebula.guacdContainer" -}}
- name: guacd
  image: {{ include "opennebula.image" . | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy | quote }}
  command: ["/usr/share/one/guacd/sbin/guacd", "-f", "-b", "127.0.0.1", "-l", "4822"]
  env:
    - {name: LD_LIBRARY_PATH, value: /usr/share/one/guacd/lib}
    - {name: HOME, value: /var/lib/one}
  # No readiness probe: FireEdge serves its UI without consoles; a dead guacd is restarted.
  livenessProbe:
    exec:
      command: ["ruby", "-rsocket", "-e", "TCPSocket.new('127.0.0.1', 4822).close"]
    initialDelaySeconds: 20
    periodSeconds: 30
    timeoutSeconds: 10
  securityContext:
    {{- include "opennebula.restrictedSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.resources.guacd | nindent 4 }}
  volumeMounts:
    - {name: tmp, mountPath: /tmp}
{{- end -}}

{{/* 6.10's noVNC proxy, beside Sunstone (files/novnc.sh). */}}
{{- define "opennebula.novncContainer" -}}
- name: novnc
  image: {{ include "opennebula.image" . | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy | quote }}
  command: ["/bin/sh", "/run/onechart/scripts/novnc.sh"]
  env:
    - {name: HOME, value: /var/lib/one}
  ports:
    - {name: novnc, containerPort: {{ int .Values.sunstone.vncProxyPort }}, protocol: TCP}
  securityContext:
    {{- include "opennebula.restrictedSecurityContext" . | nindent 4 }}
  resources:
    {{- toYaml .Values.resources.sunstone | nindent 4 }}
  volumeMounts:
    - {name: etc, mountPath: /etc/one, readOnly: true}
    - {name: log, mountPath: /var/log/one}
    - {name: tmp, mountPath: /tmp}
    - {name: lock, mountPath: /var/lock/one}
    - {name: vnc-tokens, mountPath: /var/lib/one/sunstone_vnc_tokens}
    - {name: scripts, mountPath: /run/onechart/scripts, readOnly: true}
    {{- if include "opennebula.tlsExposed" (dict "root" . "type" .Values.sunstone.service.type) }}
    # noVNC serves TLS itself (sunstone-server.conf :vnc_proxy_support_wss: only).
    - {name: tls, mountPath: /run/onechart/tls, readOnly: true}
    {{- end }}
{{- end -}}

{{/* The global and defaults sections of every TLS proxy's HAProxy configuration. */}}
{{- define "opennebula.haproxyGlobal" -}}
global
  log stdout format raw local0 info
  maxconn 4096
  # tls.crt with its key beside it as tls.key (the kubernetes.io/tls Secret's keys).
  ssl-load-extra-del-ext
  ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets
  ssl-default-bind-ciphers ECDHE+AESGCM:ECDHE+CHACHA20
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 5s
  timeout client 1h
  timeout server 1h
{{- end -}}
