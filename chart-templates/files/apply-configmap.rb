#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: creates or updates a ConfigMap through the Kubernetes API with the pod's projected service account
# token. Usage: apply-configmap.rb NAME KEY=VALUE...
require 'json'
require 'net/http'
require 'openssl'

name, *pairs = ARGV
abort 'usage: apply-configmap.rb NAME KEY=VALUE...' if name.nil? || pairs.empty?
data = pairs.to_h { |p| p.split('=', 2) }
dir = ENV.fetch('ONECHART_SA_DIR', '/run/onechart/serviceaccount')
namespace = File.read(File.join(dir, 'namespace')).strip
http = Net::HTTP.new(ENV.fetch('KUBERNETES_SERVICE_HOST'), ENV.fetch('KUBERNETES_SERVICE_PORT', '443'))
http.use_ssl = true
http.ca_file = File.join(dir, 'ca.crt')
http.verify_mode = OpenSSL::SSL::VERIFY_PEER
http.open_timeout = 5
http.read_timeout = 10
token = File.read(File.join(dir, 'token')).strip
base = "/api/v1/namespaces/#{namespace}/configmaps"

send = lambda do |request, body|
  request['Authorization'] = "Bearer #{token}"
  request['Content-Type'] = request.is_a?(Net::HTTP::Patch) ? 'application/merge-patch+json' : 'application/json'
  request.body = JSON.generate(body)
  http.request(request)
end

labels = { 'app.kubernetes.io/managed-by' => 'onechart', 'app.kubernetes.io/component' => 'ssh-public-key' }
response = send.call(Net::HTTP::Patch.new("#{base}/#{name}"), { 'metadata' => { 'labels' => labels }, 'data' => data })
if response.code == '404'
  response = send.call(Net::HTTP::Post.new(base),
                       { 'apiVersion' => 'v1', 'kind' => 'ConfigMap',
                         'metadata' => { 'name' => name, 'labels' => labels }, 'data' => data })
end
abort "applying ConfigMap #{name} failed: #{response.code} #{response.body}" unless response.is_a?(Net::HTTPSuccess)
puts "onechart: ConfigMap #{name} holds oneadmin's public key"
