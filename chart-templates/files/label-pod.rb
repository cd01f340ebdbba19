#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: sets a label on this pod through the Kubernetes API, with the pod's projected service account
# token (a Role allows only `get` and `patch` on pods). Usage: label-pod.rb KEY VALUE
require 'json'
require 'net/http'
require 'openssl'

key, value = ARGV
abort 'usage: label-pod.rb KEY VALUE' unless key && value
dir = ENV.fetch('ONECHART_SA_DIR', '/run/onechart/serviceaccount')
pod = ENV.fetch('POD_NAME')
namespace = File.read(File.join(dir, 'namespace')).strip
host = ENV.fetch('KUBERNETES_SERVICE_HOST')
port = ENV.fetch('KUBERNETES_SERVICE_PORT', '443')

http = Net::HTTP.new(host, port)
http.use_ssl = true
http.ca_file = File.join(dir, 'ca.crt')
http.verify_mode = OpenSSL::SSL::VERIFY_PEER
http.open_timeout = 5
http.read_timeout = 10
request = Net::HTTP::Patch.new("/api/v1/namespaces/#{namespace}/pods/#{pod}")
request['Authorization'] = "Bearer #{File.read(File.join(dir, 'token')).strip}"
request['Content-Type'] = 'application/merge-patch+json'
request.body = JSON.generate({ 'metadata' => { 'labels' => { key => value } } })
response = http.request(request)
abort "labelling #{pod} failed: #{response.code} #{response.body}" unless response.is_a?(Net::HTTPSuccess)
puts "onechart: #{pod} labelled #{key}=#{value}"
