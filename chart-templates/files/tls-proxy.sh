#!/bin/sh
# onechart: a TLS proxy (the tls-proxy container: the API's own Deployment, or a sidecar of an add-on). HAProxy,
# in master-worker mode, terminates TLS on the ports the published Services target ($HAPROXY_CONFIG, its
# workload's key of the configuration ConfigMap). The kubelet updates a mounted Secret in place when cert-manager
# (or you) renew the certificate: this script notices and reloads HAProxy (SIGUSR2 to the master), which keeps
# the established connections.
set -eu
config=${HAPROXY_CONFIG:-/run/onechart/config/haproxy.cfg}
tls=${TLS_DIR:-/run/onechart/tls}
interval=${TLS_RELOAD_INTERVAL:-60}

fingerprint() { cat "$tls/tls.crt" "$tls/tls.key" | sha256sum; }

if [ ! -s "$tls/tls.crt" ] || [ ! -s "$tls/tls.key" ]; then
  echo "onechart-tls-proxy: $tls has no tls.crt and tls.key: tls.secretName must name a kubernetes.io/tls Secret"
  exit 1
fi
${HAPROXY:-haproxy} -W -db -f "$config" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid"; exit 0' TERM INT
last=$(fingerprint)
while kill -0 "$pid" 2>/dev/null; do
  sleep "$interval" &
  wait $! || true
  now=$(fingerprint)
  if [ "$now" != "$last" ]; then
    echo "onechart-tls-proxy: the certificate changed; reloading HAProxy"
    kill -USR2 "$pid"
    last=$now
  fi
done
wait "$pid"
