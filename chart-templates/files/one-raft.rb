#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: Raft facts for the start scripts, read with OpenNebula's Ruby OCA (credentials from $ONE_AUTH).
#   one-raft.rb status ENDPOINT   -> "<state> <term> <log_index> <commit> <server_id>"  (state: solo, candidate,
#                                    follower, leader, error)
#   one-raft.rb servers ENDPOINT  -> one "<id> <name>" line per server of zone 0
['/usr/lib/one/ruby', '/usr/share/one/gems-dist/lib'].each { |p| $LOAD_PATH << p if File.directory?(p) }
require 'opennebula'
require 'rexml/document'

STATES = { '0' => 'solo', '1' => 'candidate', '2' => 'follower', '3' => 'leader' }.freeze

command, endpoint = ARGV
abort 'usage: one-raft.rb status|servers ENDPOINT' unless %w[status servers].include?(command) && endpoint

client = OpenNebula::Client.new(nil, endpoint, :timeout => 10)
case command
when 'status'
  rc = client.call('zone.raftstatus')
  abort rc.message if OpenNebula.is_error?(rc)
  raft = REXML::Document.new(rc).root
  get = ->(k) { raft.elements[k]&.text.to_s }
  puts [STATES.fetch(get['STATE'], 'error'), get['TERM'], get['LOG_INDEX'], get['COMMIT'], get['SERVER_ID']].join(' ')
when 'servers'
  zone = OpenNebula::Zone.new_with_id(0, client)
  rc = zone.info
  abort rc.message if OpenNebula.is_error?(rc)
  zone.each('SERVER_POOL/SERVER') { |s| puts "#{s['ID']} #{s['NAME']}" }
end
