#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: makes the release's credentials inside the cluster (Helm pre-install/pre-upgrade hook; Argo CD runs
# it as PreSync). For each Secret in IDENTITY_SPEC it creates the Secret, or adds the keys it lacks, and
# never changes a value that is there: a credential is made once and kept across upgrades, re-renders,
# `helm uninstall` and reinstall. A value given in values.yaml (a file in IDENTITY_GIVEN, mounted from a
# Helm-rendered hook Secret) is used instead of a random one, and only when the key is created. No value is
# ever printed.
#
# IDENTITY_SPEC: [{"name": N, "keys": {KEY: KIND}, "regenerate": false}], KIND one of the GENERATORS or
# ssh-private-key / ssh-public-key. IDENTITY_LABELS: labels of the Secrets it creates.
# Concurrency: creation races end in 409 AlreadyExists, additions carry the resourceVersion read (a precondition:
# 409 Conflict when the Secret changed meanwhile); either way it reads again and adds only what is still missing.
require 'base64'
require 'json'
require 'securerandom'
require 'tmpdir'
require_relative 'kube-api'

GENERATORS = {
  # oned's one_util::random_password(), used for one_key and serveradmin's token: a SHA-256 hex digest, 64
  # characters (OpenNebula/one@release-7.4.0:src/common/NebulaUtil.cc:266, src/template/OpenNebulaTemplate.cc:678,
  # src/um/UserPool.cc:134).
  'hex64' => -> { SecureRandom.hex(32) },
  # FireEdge's genFireedgeKey(): a UUIDv4 without dashes, upper case
  # (OpenNebula/one@release-7.4.0:src/fireedge/src/server/utils/server.js:468-484).
  'fireedge-key' => -> { SecureRandom.uuid.delete('-').upcase },
  # Letters and digits only: safe in oned.conf, on onedb command lines and in MariaDB (rule ONE012).
  'password' => -> { SecureRandom.alphanumeric(32) },
  # The host key of oneadmin's sshd (files/prepare.sh), the same on every member: hypervisors reach whichever
  # member leads under `oned.hostname`.
  'ssh-host-key' => lambda do
    Dir.mktmpdir('onechart-host', TMP) do |dir|
      system('ssh-keygen', '-q', '-t', 'ecdsa', '-N', '', '-C', '', '-f', File.join(dir, 'key'), exception: true)
      File.read(File.join(dir, 'key'))
    end
  end
}.freeze
ATTEMPTS = 5
# Scratch files go to /tmp, named explicitly: Ruby's Dir.tmpdir refuses a world-writable directory without the
# sticky bit (ruby/ruby@v3_1_2:lib/tmpdir.rb:32), which an emptyDir is (the kubelet makes it 0777, the sticky bit
# only with the alpha emptyDir.stickyBit: kubernetes/kubernetes@master:pkg/volume/emptydir/empty_dir.go, defaultPerm),
# and falls back to the working directory, the image's read-only /var/lib/one.
TMP = ENV.fetch('TMPDIR', '/tmp')

def log(message)
  puts "onechart-secrets: #{message}"
  $stdout.flush
end

# oneadmin's key pair, as OpenNebula's front-end packages make it: RSA in /var/lib/one/.ssh/id_rsa
# (OpenNebula/docs@master:source/open_cluster_deployment/common_node/passwordless_ssh.txt:12). PEM, which every
# OpenSSH and OpenNebula's Ruby code read (src/authm_mad/remotes/ssh/ssh_auth.rb:111 converts keys to PEM).
def ssh_key_pair(private_key = nil)
  Dir.mktmpdir('onechart-ssh', TMP) do |dir|
    file = File.join(dir, 'id_rsa')
    if private_key
      File.write(file, private_key, perm: 0o600)
    else
      system('ssh-keygen', '-q', '-t', 'rsa', '-b', '4096', '-m', 'PEM', '-N', '', '-C', 'oneadmin@opennebula',
             '-f', file, exception: true)
    end
    public_key = IO.popen(['ssh-keygen', '-y', '-f', file], &:read)
    raise 'ssh-keygen -y could not read the private key' unless $?.success? && public_key.start_with?('ssh-')

    [File.read(file), "#{public_key.split[0, 2].join(' ')} oneadmin@opennebula\n"]
  end
end

def given(key)
  file = File.join(ENV.fetch('IDENTITY_GIVEN', '/run/onechart/given'), key)
  File.file?(file) ? File.read(file) : ''
end

# New values for `wanted` keys (plain text), given the Secret's current values (plain text).
def make(wanted, kinds, current)
  values = {}
  wanted.each do |key|
    kind = kinds.fetch(key)
    # The key pair is made below, together; the sshd host key ('ssh-host-key') is a generator like the others.
    next if %w[ssh-private-key ssh-public-key].include?(kind)

    from_values = given(key)
    values[key] = from_values.empty? ? GENERATORS.fetch(kind).call : from_values
  end
  private_key = kinds.key('ssh-private-key')
  public_key = kinds.key('ssh-public-key')
  if private_key && (wanted & [private_key, public_key]).any?
    pair = wanted.include?(private_key) ? ssh_key_pair : ssh_key_pair(current.fetch(private_key))
    values[private_key] = pair[0] if wanted.include?(private_key)
    values[public_key] = pair[1] if public_key && wanted.include?(public_key)
  end
  values
end

def encode(values)
  values.transform_values { |v| Base64.strict_encode64(v) }
end

def decode(data)
  (data || {}).transform_values { |v| Base64.decode64(v.to_s) }
end

def ensure_secret(api, spec, labels)
  name = spec.fetch('name')
  kinds = spec.fetch('keys')
  ATTEMPTS.times do
    code, body = api.request(:get, api.path('v1', 'secrets', name))
    if code == 404
      values = make(kinds.keys, kinds, {})
      object = { 'apiVersion' => 'v1', 'kind' => 'Secret', 'type' => 'Opaque', 'data' => encode(values),
                 'metadata' => { 'name' => name, 'labels' => labels, 'annotations' => {
                   'onechart.io/created-by' => 'the secrets hook job; never changed by the chart, kept by helm uninstall'
                 } } }
      code, body = api.request(:post, api.path('v1', 'secrets'), object)
      next if code == 409 # created meanwhile by another run: read it again

      abort "onechart-secrets: creating Secret #{name} failed: #{KubeAPI.describe(code, body)}" unless code < 300
      log "created Secret #{name} with #{values.keys.sort.join(', ')}#{sources(values.keys)}"
      return
    end
    abort "onechart-secrets: reading Secret #{name} failed: #{KubeAPI.describe(code, body)}" unless code == 200

    current = decode(body['data'])
    wanted = spec['regenerate'] ? kinds.keys : kinds.keys.select { |k| current.fetch(k, '').empty? }
    # A new private key needs its own public key: a public key left without its private key is replaced.
    pub = kinds.key('ssh-public-key')
    wanted |= [pub] if pub && wanted.include?(kinds.key('ssh-private-key'))
    kept = kinds.keys - wanted
    kept.each do |key|
      next if given(key).empty? || given(key) == current[key]

      log "Secret #{name}: kept the existing #{key}; the value in values.yaml is used only when the key is created"
    end
    if wanted.empty?
      log "Secret #{name} has every key (#{kinds.keys.sort.join(', ')}): nothing changed"
      return
    end
    values = make(wanted, kinds, current)
    patch = { 'metadata' => { 'resourceVersion' => body.dig('metadata', 'resourceVersion') }, 'data' => encode(values) }
    code, body = api.request(:patch, api.path('v1', 'secrets', name), patch)
    next if code == 409 # changed meanwhile: read it again, never overwrite

    abort "onechart-secrets: updating Secret #{name} failed: #{KubeAPI.describe(code, body)}" unless code < 300
    verb = spec['regenerate'] ? 'regenerated (ssh.persistence is false)' : 'added the missing'
    log "Secret #{name}: #{verb} #{values.keys.sort.join(', ')}#{sources(values.keys)}"
    return
  end
  abort "onechart-secrets: Secret #{name} kept changing under this job (#{ATTEMPTS} attempts); run it again"
end

def sources(keys)
  from_values = keys.reject { |k| given(k).empty? }
  from_values.empty? ? '' : " (#{from_values.sort.join(', ')} from values.yaml)"
end

if $PROGRAM_NAME == __FILE__
  specs = JSON.parse(ENV.fetch('IDENTITY_SPEC'))
  labels = JSON.parse(ENV.fetch('IDENTITY_LABELS', '{}'))
  api = KubeAPI::Client.new
  specs.each { |spec| ensure_secret(api, spec, labels) }
end
