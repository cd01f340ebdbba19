#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: Raft facts for the start scripts, read with OpenNebula's Ruby OCA (credentials from $ONE_AUTH).
#   one-raft.rb status ENDPOINT   -> "<state> <term> <log_index> <commit> <server_id>"  (state: solo, candidate,
#                                    follower, leader, error)
#   one-raft.rb servers ENDPOINT  -> one "<id> <name>" line per server of zone 0

# OpenNebula's Ruby OCA and the gems it needs (xmlrpc, rexml), loaded the way OpenNebula's own tools load them:
# Gem.use_paths on GEMS_LOCATION, then RUBY_LIB_LOCATION on the load path, or both under $ONE_LOCATION for a
# self-contained install (OpenNebula/one@release-7.4.0:share/misc/load_opennebula_paths.rb;
# release-6.10.5:src/cli/onezone:19-48, which also drops the distribution's vendor_ruby).
one_location = ENV.fetch('ONE_LOCATION', nil)
gems = one_location ? "#{one_location}/share/gems" : '/usr/share/one/gems'
if File.directory?(gems)
  $LOAD_PATH.reject! { |l| l.include?('vendor_ruby') }
  require 'rubygems'
  Gem.use_paths(File.realpath(gems))
end
$LOAD_PATH << (one_location ? "#{one_location}/lib/ruby" : '/usr/lib/one/ruby')
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
