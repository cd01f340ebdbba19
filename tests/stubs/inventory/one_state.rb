# Shared by the onehost, onedatastore and onecluster stubs of tests/inventory.rs: a stand-in for oned's pools,
# kept as JSON in $CLUSTER/one.json. Every stub call is appended to $CLUSTER/calls. Each behaviour cites the
# OpenNebula source it reproduces (OpenNebula/one@release-7.4.0, checked at 6.10.5, 7.0.2 and 7.2.0).
require 'json'

STATE = File.join(ENV.fetch('CLUSTER'), 'one.json')
CALLS = File.join(ENV.fetch('CLUSTER'), 'calls')

def load_state
  return JSON.parse(File.read(STATE)) if File.exist?(STATE)

  # A new cloud: cluster 0 "default" and datastores 0 system, 1 default, 2 files
  # (src/cluster/ClusterPool.cc default cluster; src/datastore/DatastorePool.cc system/default/files).
  { 'next' => 100,
    'clusters' => [{ 'ID' => 0, 'NAME' => 'default' }],
    'hosts' => [],
    'datastores' => [
      { 'ID' => 0, 'NAME' => 'system', 'TYPE' => 1, 'TM_MAD' => 'ssh', 'DS_MAD' => '-', 'TEMPLATE' => {}, 'CLUSTERS' => [0] },
      { 'ID' => 1, 'NAME' => 'default', 'TYPE' => 0, 'TM_MAD' => 'ssh', 'DS_MAD' => 'fs', 'TEMPLATE' => {}, 'CLUSTERS' => [0] },
      { 'ID' => 2, 'NAME' => 'files', 'TYPE' => 2, 'TM_MAD' => 'ssh', 'DS_MAD' => 'fs', 'TEMPLATE' => {}, 'CLUSTERS' => [0] }
    ] }
end

def save_state(state)
  File.write(STATE, JSON.pretty_generate(state))
end

def log_call(cmd)
  File.open(CALLS, 'a') {|f| f.puts("#{cmd} #{ARGV.join(' ')}") }
end

# The API must answer: every call authenticates (src/rm/xml-rpc/RequestXRPC.cc:58), the CLI reads ONE_AUTH.
def check_api
  if File.exist?(File.join(ENV.fetch('CLUSTER'), 'api-down'))
    warn 'Failed to open TCP connection to one:2633 (Connection refused)'
    exit 255
  end
  auth = File.read(ENV.fetch('ONE_AUTH', '/nonexistent')) rescue ''
  return if auth.strip == "oneadmin:#{File.read(File.join(ENV.fetch('CLUSTER'), 'oneadmin-password')).strip}"

  warn "[one.hostpool.info] User couldn't be authenticated, aborting call."
  exit 255
end

def fail_with(msg)
  warn msg
  exit 255
end

def next_id(state)
  state['next'] += 1
end

# The object by ID or name, as OneHelper#to_id resolves a name (src/cli/one_helper.rb retrieve_resource).
def find(list, ref)
  list.find {|o| o['ID'].to_s == ref.to_s || o['NAME'] == ref }
end

def esc(v)
  v.to_s.gsub('&', '&amp;').gsub('<', '&lt;').gsub('>', '&gt;')
end

def template_xml(tmpl)
  "<TEMPLATE>#{tmpl.map {|k, v| "<#{k}><![CDATA[#{v}]]></#{k}>" }.join}</TEMPLATE>"
end

# An OpenNebula template file: `NAME = "value"` lines, with \" and \\ escapes (src/parsers/template_syntax.y).
def parse_template(path)
  File.read(path).lines.each_with_object({}) do |line, h|
    next unless (m = line.match(/^\s*([A-Z0-9_]+)\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/))

    h[m[1]] = m[2].gsub(/\\(.)/, '\1')
  end
end

# `create` prints `ID: <id>` (src/cli/one_helper.rb:713-722).
def created(id)
  puts "ID: #{id}"
end
