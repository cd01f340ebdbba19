#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: Raft facts for the start scripts and probes, read with OpenNebula's Ruby OCA as oneadmin
# (credentials: $ONE_AUTH, else ~/.one/one_auth).
#   one-raft.rb status ENDPOINT   -> "<state> <term> <log_index> <commit> <server_id>"
#                                    (state: solo, candidate, follower, leader, error)
#   one-raft.rb servers ENDPOINT  -> one "<id> <name> <endpoint>" line per server of zone 0
#   one-raft.rb leader ENDPOINT   -> "<id> <name> <endpoint> <term> <commit>" of the leader, as seen from the
#                                    zone that ENDPOINT serves (exit 1 when no server leads)
#   one-raft.rb ready [LAG]       -> exit 0 when this member (localhost) leads and a majority of the zone answers
#                                    in its term, or follows the leader in its term
#                                    with a commit index at most LAG (default 100) entries behind the leader's
#   one-raft.rb healthy ENDPOINT [LAG] -> exit 0 when every server of the zone answers, one leads and every
#                                    follower is in its term and within LAG entries of its commit index
#                                    (names the others)

# OpenNebula's Ruby library needs the gems that opennebula-rubygems installs under /usr/share/one/gems.
# From 7.0 OpenNebula's tools load them with /usr/lib/one/ruby/load_opennebula_paths.rb
# (OpenNebula/one@release-7.0.2:share/misc/load_opennebula_paths.rb, installed by install.sh RUBY_LIB_FILES);
# 6.10 has no such file and sets Gem.use_paths inline in every tool (OpenNebula/one@release-6.10.5:src/cli/onezone:29-47).
# The 7.x file calls Gem.use_paths unconditionally (it raises without the gems directory), so it is used only
# when both exist. A missing library is a LoadError, which `rescue StandardError` would not catch.
RUBY_LIB_LOCATION = ENV.fetch('ONE_RUBY_LIB', '/usr/lib/one/ruby')
GEMS_LOCATION = ENV.fetch('ONE_GEMS', '/usr/share/one/gems')
begin
  if File.directory?(GEMS_LOCATION)
    if File.exist?(File.join(RUBY_LIB_LOCATION, 'load_opennebula_paths.rb'))
      require File.join(RUBY_LIB_LOCATION, 'load_opennebula_paths')
    else
      $LOAD_PATH.reject! { |l| l =~ /vendor_ruby/ }
      require 'rubygems'
      Gem.use_paths(File.realpath(GEMS_LOCATION))
    end
  end
  $LOAD_PATH << RUBY_LIB_LOCATION unless $LOAD_PATH.include?(RUBY_LIB_LOCATION)
  require 'opennebula'
rescue LoadError => e
  warn "onechart: cannot load OpenNebula's Ruby library (#{e.message}): the image lacks opennebula-rubygems or " \
       "the OCA under #{RUBY_LIB_LOCATION}"
  exit 3
end

# RaftManager::State (OpenNebula/one@release-7.4.0:include/RaftManager.h:37-43, the same at 6.10.5/7.0.2/7.2.0).
STATES = { '0' => 'solo', '1' => 'candidate', '2' => 'follower', '3' => 'leader' }.freeze
LOCAL = 'http://localhost:2633/RPC2'

def client(endpoint, timeout = 10)
  OpenNebula::Client.new(nil, endpoint, :timeout => timeout)
end

# <RAFT><SERVER_ID/><STATE/><TERM/><VOTEDFOR/><COMMIT/><LOG_INDEX/>... (RaftManager::to_xml,
# OpenNebula/one@release-7.4.0:src/raft/RaftManager.cc:1065-1100), from the one.zone.raftstatus call.
def raft_status(endpoint, timeout = 10)
  rc = client(endpoint, timeout).call('zone.raftstatus')
  raise rc.message if OpenNebula.is_error?(rc)

  raft = OpenNebula::XMLElement.new
  raft.initialize_xml(rc, 'RAFT')
  get = ->(k) { raft[k].to_s }
  { :state => STATES.fetch(get['STATE'], 'error'), :term => get['TERM'].to_i, :log_index => get['LOG_INDEX'].to_i,
    :commit => get['COMMIT'].to_i, :server_id => get['SERVER_ID'] }
end

# Servers of zone 0: ZONE/SERVER_POOL/SERVER/{ID,NAME,ENDPOINT} (one.zone.info).
def servers(endpoint)
  zone = OpenNebula::Zone.new_with_id(0, client(endpoint))
  rc = zone.info
  raise rc.message if OpenNebula.is_error?(rc)

  list = []
  zone.each('SERVER_POOL/SERVER') { |s| list << { :id => s['ID'], :name => s['NAME'], :endpoint => s['ENDPOINT'] } }
  list
end

# Every server with its Raft status (nil when it does not answer), asked in parallel: one member that does not
# answer costs one timeout, not one per member.
def statuses(endpoint, timeout = 10)
  servers(endpoint).map do |s|
    Thread.new do
      status = begin
        raft_status(s[:endpoint], timeout)
      rescue StandardError
        nil
      end
      s.merge(:status => status)
    end
  end.map(&:value)
end

def leader_of(all)
  all.select { |s| s[:status] && s[:status][:state] == 'leader' }.max_by { |s| s[:status][:term] }
end

command, *args = ARGV
begin
  case command
  when 'status'
    s = raft_status(args.fetch(0))
    puts [s[:state], s[:term], s[:log_index], s[:commit], s[:server_id]].join(' ')
  when 'servers'
    servers(args.fetch(0)).each { |s| puts [s[:id], s[:name], s[:endpoint]].join(' ') }
  when 'leader'
    l = leader_of(statuses(args.fetch(0))) or exit 1
    puts [l[:id], l[:name], l[:endpoint], l[:status][:term], l[:status][:commit]].join(' ')
  when 'ready'
    # A probe: short timeouts, so that one member that does not answer does not make the others unready.
    lag = Integer(args.fetch(0, '100'))
    me = raft_status(LOCAL, 3)
    if me[:state] == 'leader'
      # A leader is ready only while it reaches a majority of the zone in its own term. oned never steps down by
      # itself: its timer only sends heartbeats while it leads (OpenNebula/one@release-7.4.0:src/raft/
      # RaftManager.cc:717-728), and it becomes a follower only when a reply or a request carries a higher term
      # (RaftManager::follower, src/raft/RaftManager.cc:456-490, called from src/raft/ReplicaThread.cc:190-195,
      # 314-323 and src/rm/api/ZoneAPI.cc:391-405). A leader cut off from its peers therefore keeps saying it
      # leads while the others elect another one (issue 15).
      all = statuses(LOCAL, 3)
      with_me = all.count { |s| s[:status] && s[:status][:term] == me[:term] && s[:status][:state] != 'candidate' }
      exit 0 if with_me > all.size / 2
      abort "onechart: leader in term #{me[:term]}, but only #{with_me} of #{all.size} servers answer in that term"
    end
    exit 1 unless me[:state] == 'follower'

    l = leader_of(statuses(LOCAL, 3)) or abort 'onechart: no leader answers'
    abort "onechart: in term #{me[:term]}, the leader #{l[:name]} in #{l[:status][:term]}" if me[:term] != l[:status][:term]
    behind = l[:status][:commit] - me[:commit]
    abort "onechart: #{behind} entries behind the leader #{l[:name]}" if behind > lag
  when 'healthy'
    lag = Integer(args.fetch(1, '100'))
    all = statuses(args.fetch(0))
    l = leader_of(all) or abort 'onechart: no leader'
    term = l[:status][:term]
    bad = all.reject do |s|
      st = s[:status]
      st && st[:term] == term && (st[:state] == 'leader' ||
        (st[:state] == 'follower' && l[:status][:commit] - st[:commit] <= lag))
    end
    abort "onechart: not in sync: #{bad.map { |s| s[:name] }.join(', ')}" unless bad.empty?
  else
    abort 'usage: one-raft.rb status|servers|leader ENDPOINT | ready [LAG] | healthy ENDPOINT [LAG]'
  end
rescue StandardError => e
  abort "onechart: #{e.message}"
end
