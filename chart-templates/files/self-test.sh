#!/bin/sh
# onechart: `helm test` self-test of the installed front-end, with OpenNebula's dummy drivers (the chart
# registers VM_MAD and IM_MAD `dummy` when selfTest.enabled; both are commented out in the packaged oned.conf
# and monitord.conf at every release). In a throw-away cluster of its own it:
#   1. checks that every Raft member answers, follows the same leader in the same term and is in sync;
#   2. creates a system datastore with the dummy transfer driver and a host with the dummy drivers, and waits
#      until the host is MONITORED;
#   3. creates a small VM on hold (never seen by the scheduler, so it can only go where it is sent) and deploys
#      it to that host and datastore, then waits for RUNNING;
#   4. asks OneGate for the VM with the VM's own token, as a VM does, and FireEdge's API for it as oneadmin;
#   5. removes everything it created, also when a step fails, and anything an interrupted run left behind.
# Inputs: SELFTEST_NAME (name of every object it creates), ONE_XMLRPC (oned's XML-RPC endpoint, read by the
# CLI and the OCA; with ONE_DISABLE_SSL_VERIFY its TLS certificate is not verified; curl never verifies OneGate's
# and FireEdge's, reached by in-cluster names),
# SELFTEST_ONEGATE and SELFTEST_FIREEDGE (base URLs, empty when that service is off), RAFT_MEMBERS,
# ONECHART_AUTH (the auth Secret), SELFTEST_WAIT (seconds per wait).
set -eu
NAME=${SELFTEST_NAME:?}
API=${ONE_XMLRPC:?}
ONEGATE=${SELFTEST_ONEGATE:-}
FIREEDGE=${SELFTEST_FIREEDGE:-}
WAIT=${SELFTEST_WAIT:-180}
AUTH=${ONECHART_AUTH:-/run/onechart/auth}
SCRIPTS=${ONECHART_SCRIPTS:-/run/onechart/scripts}

step() { echo "onechart-selftest: $*"; }
fail() { echo "onechart-selftest: FAILED: $*" >&2; exit 1; }

work=$(mktemp -d)
umask 077
printf 'oneadmin:%s\n' "$(cat "$AUTH/oneadmin-password")" > "$work/one_auth"
export ONE_AUTH="$work/one_auth"
# curl reaches OneGate and FireEdge by their in-cluster Service names, which a certificate for the public names
# never carries: their certificates are not verified, whatever oned's TLS (the connection is encrypted all the
# same). Keying this on ONE_DISABLE_SSL_VERIFY (oned's API) failed the self-test whenever OneGate alone had TLS.
insecure=-k

# id_of: the ID a create command prints ("ID: 12", OpenNebula/one@release-7.4.0:src/cli/one_helper.rb:720).
id_of() { sed -n 's/^ID: *\([0-9][0-9]*\).*/\1/p'; }
# xml_value TAG: the first <TAG> of an object's XML (`show -x`), CDATA or not.
xml_value() { sed -n "s:.*<$1>\(<!\[CDATA\[\)\{0,1\}\([^]<]*\).*:\2:p" | head -n 1; }

# The CLI takes names where it takes IDs; a missing object is not an error here.
cleanup() {
  onevm recover --delete-db "$NAME" >/dev/null 2>&1 || true
  onehost delete "$NAME" >/dev/null 2>&1 || true
  onedatastore delete "$NAME" >/dev/null 2>&1 || true
  onecluster delete "$NAME" >/dev/null 2>&1 || true
}
trap 'cleanup; rm -rf "$work"' EXIT
cleanup

# wait_until WHAT COMMAND...: retries COMMAND every 3 s for up to WAIT seconds.
wait_until() {
  what=$1
  shift
  waited=0
  until "$@"; do
    [ "$waited" -lt "$WAIT" ] || fail "$what (after ${WAIT}s)"
    sleep 3
    waited=$((waited + 3))
  done
}

oneuser show 0 >/dev/null 2>&1 || fail "oned does not accept oneadmin at $API"
step "oned answers at $API"

if [ "${RAFT_MEMBERS:-1}" -gt 1 ]; then
  # shellcheck disable=SC2086 # ONE_RAFT is a command with its arguments
  raft_healthy() { ${ONE_RAFT:-ruby $SCRIPTS/one-raft.rb} healthy "$API"; }
  wait_until "the Raft members do not agree on one leader, in one term, in sync" raft_healthy
  step "every Raft member follows one leader, in one term, in sync"
fi

cluster=$(onecluster create "$NAME" | id_of)
[ -n "$cluster" ] || fail "could not create cluster $NAME"
printf 'NAME = "%s"\nTYPE = "SYSTEM_DS"\nTM_MAD = "dummy"\n' "$NAME" > "$work/ds"
ds=$(onedatastore create "$work/ds" -c "$cluster" | id_of)
[ -n "$ds" ] || fail "could not create the dummy system datastore"
host=$(onehost create "$NAME" -i dummy -v dummy -c "$cluster" | id_of)
[ -n "$host" ] || fail "could not create the dummy host"
# HostState MONITORED = 2 (OpenNebula/one@release-7.4.0:include/Host.h:49-60). The dummy host's probes run on
# the front-end and send their results to MONITOR_ADDRESS (src/im_mad/remotes/common.d/monitord-client.rb:251),
# so monitord.monitorAddress must reach monitord from the front-end pod too.
host_monitored() { [ "$(onehost show "$host" -x | xml_value STATE)" = 2 ]; }
wait_until "host $NAME (dummy drivers) is not MONITORED: is IM_MAD dummy in monitord.conf, and does \
monitord.monitorAddress reach monitord from the front-end pod (its probes send there)?" host_monitored
step "dummy host $host monitored"

# No disk (nothing to copy), a context with a OneGate token (needs ONEGATE_ENDPOINT in oned.conf).
printf 'NAME = "%s"\nCPU = "0.1"\nVCPU = "1"\nMEMORY = "32"\nCONTEXT = [ TOKEN = "YES" ]\n' "$NAME" > "$work/vm"
vm=$(onevm create "$work/vm" --hold | id_of)
[ -n "$vm" ] || fail "could not create the VM"
onevm deploy "$vm" "$host" "$ds" >/dev/null || fail "could not deploy VM $vm to host $host"
# VM STATE ACTIVE = 3, LCM_STATE RUNNING = 3 (include/VirtualMachine.h).
vm_running() {
  onevm show "$vm" -x > "$work/vm.xml"
  [ "$(xml_value STATE < "$work/vm.xml")" = 3 ] && [ "$(xml_value LCM_STATE < "$work/vm.xml")" = 3 ]
}
wait_until "VM $vm did not reach RUNNING on the dummy host" vm_running
step "VM $vm RUNNING on the dummy host"

if [ -n "$ONEGATE" ]; then
  # The token a VM gets in its context: base64 of AES-256-CBC("<vmid>:<STIME>") keyed with the first 32
  # characters of its creator's TOKEN_PASSWORD, zero IV (src/vm/VirtualMachineContext.cc:290-292,
  # src/common/NebulaUtil.cc:165-200); OneGate checks it the other way round
  # (src/cloud/common/CloudAuth/OneGateCloudAuth.rb:30-118).
  stime=$(xml_value STIME < "$work/vm.xml")
  oneuser show 0 -x | xml_value TOKEN_PASSWORD > "$work/token-password"
  # shellcheck disable=SC2016 # Ruby code
  token=$(printf '%s:%s' "$vm" "$stime" | TOKEN_PASSWORD_FILE="$work/token-password" ruby -ropenssl -rbase64 -e '
    c = OpenSSL::Cipher.new("aes-256-cbc")
    c.encrypt
    c.key = File.read(ENV.fetch("TOKEN_PASSWORD_FILE")).strip[0, 32]
    c.iv = "\0" * 16
    print Base64.strict_encode64(c.update($stdin.read) + c.final)')
  # Headers from a file (`-H @FILE`, curl 7.55 and later): the token never appears on a command line (ps).
  (umask 077 && printf 'X-ONEGATE-TOKEN: %s\nX-ONEGATE-VMID: %s\n' "$token" "$vm" > "$work/onegate.headers")
  code=$(curl -s "$insecure" -o "$work/onegate.json" -w '%{http_code}' -H "@$work/onegate.headers" \
    "$ONEGATE/vm") || true
  [ "$code" = 200 ] || fail "OneGate answered HTTP $code to GET $ONEGATE/vm for VM $vm"
  step "OneGate serves VM $vm with its token"
fi

if [ -n "$FIREEDGE" ]; then
  # Login: `{user, token}`; 6.10 and 7.0 return a JWT in the body (Authorization: Bearer), 7.2+ set the
  # FireedgeToken cookie (src/fireedge/src/server/routes/api/auth/functions.js:133, utils/jwt.js:82-100).
  printf '{"user":"oneadmin","token":"%s"}' "$(cat "$AUTH/oneadmin-password")" > "$work/login.json"
  code=$(curl -s "$insecure" -o "$work/login.out" -w '%{http_code}' -c "$work/cookies" -H 'Content-Type: application/json' \
    --data "@$work/login.json" "$FIREEDGE/fireedge/api/auth") || true
  [ "$code" = 200 ] || fail "FireEdge refused oneadmin's login (HTTP $code)"
  jwt=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' "$work/login.out")
  (umask 077 && printf 'Authorization: Bearer %s\n' "$jwt" > "$work/fireedge.headers")
  code=$(curl -s "$insecure" -o /dev/null -w '%{http_code}' -b "$work/cookies" ${jwt:+-H "@$work/fireedge.headers"} \
    "$FIREEDGE/fireedge/api/vm/info/$vm") || true
  [ "$code" = 200 ] || fail "FireEdge answered HTTP $code to GET /fireedge/api/vm/info/$vm"
  step "FireEdge serves VM $vm through its API"
fi

step "passed; removing what it created"
