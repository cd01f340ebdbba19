# onechart: reconciles the hypervisor hosts and datastores of the values with OpenNebula (the inventory hook job,
# after every install and upgrade). Through the OpenNebula CLI, as oneadmin, against the leader's API Service:
#  - creates what is missing (`onecluster create`, `onehost create NAME -i IM -v VM -c CLUSTER`,
#    `onedatastore create FILE`);
#  - updates what differs (`onecluster addhost` moves a host; `onedatastore update ID FILE --append` sets TYPE,
#    TM_MAD, DS_MAD and the extra attributes, which oned accepts on an existing datastore);
#  - tags what it creates with ONECHART_RELEASE="<namespace>/<release>" in the object's template (never what it
#    only updates: OpenNebula's own datastores and hosts registered by hand stay untagged);
#  - deletes only objects it created that the values no longer declare, and only with inventory.pruneHosts or
#    inventory.pruneDatastores. A host's drivers cannot change once it exists: the job says so and leaves it.
# CLI behaviour relied on (OpenNebula/one@release-7.4.0, the same at 6.10.5, 7.0.2 and 7.2.0):
#  - `list -x` prints the pool's XML when stdout is no terminal (src/cli/one_helper.rb:891-966 list_pool_xml);
#  - `create` prints `ID: <id>` (src/cli/one_helper.rb:713-722 create_resource);
#  - `onehost create` requires -i and -v, -c takes a cluster name or ID (src/cli/onehost:171-190,
#    src/cli/one_helper/onecluster_helper.rb:25-40);
#  - `onedatastore create FILE [-c CLUSTER]`, `update ID FILE --append` (src/cli/onedatastore:94-115,177-195);
#  - a datastore's TYPE, TM_MAD and DS_MAD follow its template on update (src/datastore/Datastore.cc:1035-1125).
# Environment: INVENTORY (JSON: release, hosts, datastores, pruneHosts, pruneDatastores), ONE_XMLRPC, ONE_AUTH,
# INVENTORY_WAIT (seconds to wait for the API, default 900).
require 'json'
require 'rexml/document'
require 'tmpdir'

SPEC = JSON.parse(ENV.fetch('INVENTORY'))
TAG = SPEC.fetch('release')
DS_TYPES = { 'image' => 'IMAGE_DS', 'system' => 'SYSTEM_DS', 'file' => 'FILE_DS', 'backup' => 'BACKUP_DS' }.freeze
# Pool XML TYPE numbers (include/Datastore.h: IMAGE_DS = 0, SYSTEM_DS = 1, FILE_DS = 2, BACKUP_DS = 3).
DS_TYPE_NAMES = { '0' => 'IMAGE_DS', '1' => 'SYSTEM_DS', '2' => 'FILE_DS', '3' => 'BACKUP_DS' }.freeze

$failures = 0

def log(msg)
  puts "onechart-inventory: #{msg}"
  $stdout.flush
end

def result(out)
  [$?.success?, out]
end

def onehost(*args)
  result(IO.popen(['onehost', *args], err: %i[child out], &:read))
end

def onedatastore(*args)
  result(IO.popen(['onedatastore', *args], err: %i[child out], &:read))
end

def onecluster(*args)
  result(IO.popen(['onecluster', *args], err: %i[child out], &:read))
end

# run(what, [ok, out]): logs a failed command and counts it.
def run(what, res)
  ok, out = res
  if ok
    log(what)
  else
    $failures += 1
    log("FAILED #{what}: #{out.strip}")
  end
  [ok, out]
end

def pool(res, element)
  ok, out = res
  raise "cannot list #{element}s: #{out.strip}" unless ok

  REXML::Document.new(out).get_elements("//#{element}")
end

def text(el, path)
  el.elements[path]&.text.to_s
end

# An OpenNebula template file (attribute = "value", with " and \ escaped).
def template_file(dir, name, attrs)
  path = File.join(dir, name)
  File.write(path, attrs.map {|k, v| "#{k} = \"#{v.to_s.gsub(/[\\"]/) {|c| "\\#{c}" }}\"\n" }.join)
  path
end

def created_id(out)
  out[/ID:\s*(\d+)/, 1]
end

def wait_for_api
  deadline = Time.now + Integer(ENV.fetch('INVENTORY_WAIT', '900'))
  loop do
    ok, out = onehost('list', '-x')
    return if ok
    raise "OpenNebula's API did not answer: #{out.strip}" if Time.now > deadline

    log("waiting for OpenNebula's API (#{out.strip.lines.last&.strip})")
    sleep(Integer(ENV.fetch('INVENTORY_POLL', '10')))
  end
end

def clusters
  pool(onecluster('list', '-x'), 'CLUSTER').to_h {|c| [text(c, 'NAME'), text(c, 'ID')] }
end

def reconcile_clusters
  known = clusters
  (SPEC['hosts'].map {|h| h['cluster'] } + SPEC['datastores'].flat_map {|d| d['clusters'] || [] }).uniq.each do |name|
    next if known.key?(name)

    run("cluster #{name} created", onecluster('create', name))
  end
  clusters
end

def reconcile_hosts(dir, cluster_ids)
  current = pool(onehost('list', '-x'), 'HOST').to_h {|h| [text(h, 'NAME'), h] }
  SPEC['hosts'].each do |want|
    name = want['name']
    host = current[name]
    if host.nil?
      ok, out = run("host #{name} created (#{want['imMad']}/#{want['vmMad']}, cluster #{want['cluster']})",
                    onehost('create', name, '-i', want['imMad'], '-v', want['vmMad'], '-c', want['cluster']))
      id = ok && created_id(out)
      run("host #{name} tagged", onehost('update', id, tag_file(dir), '--append')) if id
      next
    end
    id = text(host, 'ID')
    if text(host, 'IM_MAD') != want['imMad'] || text(host, 'VM_MAD') != want['vmMad']
      log("host #{name} runs drivers #{text(host, 'IM_MAD')}/#{text(host, 'VM_MAD')}, not " \
          "#{want['imMad']}/#{want['vmMad']}: drivers cannot change; delete the host (onehost delete #{id}) " \
          'and the next upgrade creates it again')
    end
    cid = cluster_ids[want['cluster']]
    if cid && text(host, 'CLUSTER_ID') != cid
      run("host #{name} moved to cluster #{want['cluster']}", onecluster('addhost', cid, id))
    end
  end
  prune('host', current, SPEC['hosts'], 'pruneHosts') {|id| onehost('delete', id) }
end

# prune(kind, current, declared, flag) { |id| delete }: the objects this release created (tagged) that the values
# no longer declare, deleted only with the flag.
def prune(kind, current, declared, flag)
  names = declared.map {|d| d['name'] }
  current.each do |name, obj|
    next if names.include?(name) || text(obj, 'TEMPLATE/ONECHART_RELEASE') != TAG

    if SPEC[flag]
      run("#{kind} #{name} deleted (no longer declared)", yield(text(obj, 'ID')))
    else
      log("#{kind} #{name} is no longer declared; kept (inventory.#{flag} is false)")
    end
  end
end

def tag_file(dir)
  template_file(dir, 'tag', 'ONECHART_RELEASE' => TAG)
end

# The template attributes a datastore of the values must have: a backup datastore has no transfer driver
# (oned sets TM_MAD "-": src/datastore/Datastore.cc:701-710); secretAttributes come from the environment, which the
# Job takes from their Secrets.
def datastore_attrs(want)
  attrs = { 'TYPE' => DS_TYPES.fetch(want['type']) }
  attrs['TM_MAD'] = want['tmMad'] unless want['type'] == 'backup'
  attrs['DS_MAD'] = want['dsMad'] unless want['type'] == 'system'
  secrets = (want['secretAttributes'] || {}).to_h {|k, env| [k, ENV.fetch(env)] }
  attrs.merge(want['attributes']).merge(secrets)
end

def current_attrs(ds)
  attrs = {}
  ds.elements['TEMPLATE']&.each_element {|e| attrs[e.name] = e.text.to_s }
  attrs['TYPE'] = DS_TYPE_NAMES.fetch(text(ds, 'TYPE'), attrs['TYPE'])
  attrs['TM_MAD'] = text(ds, 'TM_MAD')
  attrs['DS_MAD'] = text(ds, 'DS_MAD')
  attrs
end

def reconcile_datastores(dir, cluster_ids)
  current = pool(onedatastore('list', '-x'), 'DATASTORE').to_h {|d| [text(d, 'NAME'), d] }
  SPEC['datastores'].each do |want|
    name = want['name']
    attrs = datastore_attrs(want)
    ds = current[name]
    if ds.nil?
      file = template_file(dir, "ds-#{name}", { 'NAME' => name }.merge(attrs).merge('ONECHART_RELEASE' => TAG))
      ok, out = run("datastore #{name} created (#{attrs['TYPE']}, #{want['tmMad']})", onedatastore('create', file))
      join_clusters(name, created_id(out), [], want, cluster_ids) if ok
      next
    end
    have = current_attrs(ds)
    diff = attrs.reject {|k, v| have[k] == v }
    unless diff.empty?
      file = template_file(dir, "ds-#{name}", diff)
      run("datastore #{name} updated (#{diff.keys.join(', ')})",
          onedatastore('update', text(ds, 'ID'), file, '--append'))
    end
    join_clusters(name, text(ds, 'ID'), ds.get_elements('CLUSTERS/ID').map(&:text), want, cluster_ids)
  end
  prune('datastore', current, SPEC['datastores'], 'pruneDatastores') {|id| onedatastore('delete', id) }
end

# join_clusters: adds the datastore to each cluster of its `clusters` it is not in yet (`onecluster adddatastore
# CLUSTER DS`, src/cli/onecluster:146-156); it never removes it from one.
def join_clusters(name, id, member_of, want, cluster_ids)
  return unless id

  (want['clusters'] || []).each do |cluster|
    cid = cluster_ids[cluster]
    next if cid.nil? || member_of.include?(cid)

    run("datastore #{name} added to cluster #{cluster}", onecluster('adddatastore', cid, id))
  end
end

# warn_clusters_without_datastores: a cluster of the declared hosts with no system or no image datastore cannot
# run a VM on them (a new cluster has none: `onecluster create`); the job says which, and what to declare.
def warn_clusters_without_datastores
  pools = pool(onedatastore('list', '-x'), 'DATASTORE')
  SPEC['hosts'].map {|h| h['cluster'] }.uniq.each do |cluster|
    cid = clusters[cluster] or next
    types = pools.select {|d| d.get_elements('CLUSTERS/ID').map(&:text).include?(cid) }.map {|d| text(d, 'TYPE') }
    missing = { '1' => 'system', '0' => 'image' }.reject {|t, _| types.include?(t) }.values
    next if missing.empty?

    log("WARNING: cluster #{cluster} has hosts but no #{missing.join(' and no ')} datastore: VMs cannot run on them; " \
        "list #{cluster} in the clusters of a #{missing.join(' and an ')} datastore of the values")
  end
end

def main
  wait_for_api
  # An explicit directory: Ruby's Dir.tmpdir refuses the world-writable emptyDir at /tmp (ensure-identity.rb).
  Dir.mktmpdir('inventory', ENV.fetch('TMPDIR', '/tmp')) do |dir|
    ids = reconcile_clusters
    reconcile_hosts(dir, ids)
    reconcile_datastores(dir, ids)
    warn_clusters_without_datastores
  end
  if $failures.positive?
    log("#{$failures} command(s) failed")
    exit 1
  end
  log('hosts and datastores match the values')
rescue StandardError => e
  log("FAILED: #{e.message}")
  exit 1
end

main if $PROGRAM_NAME == __FILE__
