# Shared by the onecluster/onedatastore/onehost/onevm stubs (sourced): OpenNebula objects as files under
# $CLUSTER/one/<kind>/<id>, holding "name=<name>" and other key=value lines. The CLI accepts a name where it takes
# an ID; create commands print "ID: <id>" (OpenNebula/one@release-7.4.0:src/cli/one_helper.rb:720, create_resource).
. "$STUBS/stublib.sh"
objects() { mkdir -p "$CLUSTER/one/$1"; echo "$CLUSTER/one/$1"; }
new_id() { # KIND
  f="$CLUSTER/one/$1.next"; id=$(cat "$f" 2>/dev/null || echo 100); echo $((id + 1)) > "$f"; echo "$id"
}
find_object() { # KIND NAME|ID -> path
  dir=$(objects "$1")
  [ -f "$dir/$2" ] && { echo "$dir/$2"; return 0; }
  for o in "$dir"/*; do [ -f "$o" ] && grep -qx "name=$2" "$o" && { echo "$o"; return 0; }; done
  return 1
}
field() { sed -n "s/^$2=//p" "$1" | head -n 1; }
require_api() {
  ls "$CLUSTER/running" 2>/dev/null | grep -q . || { echo "Failed to open TCP connection" >&2; exit 255; }
  authenticated || { echo "[one] User couldn't be authenticated, aborting call." >&2; exit 255; }
}
