#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: creates or updates a ConfigMap through the Kubernetes API with the pod's projected service account
# token. Usage: apply-configmap.rb NAME KEY=VALUE...
require_relative 'kube-api'

name, *pairs = ARGV
abort 'usage: apply-configmap.rb NAME KEY=VALUE...' if name.nil? || pairs.empty?
data = pairs.to_h { |p| p.split('=', 2) }
api = KubeAPI::Client.new
labels = { 'app.kubernetes.io/managed-by' => 'onechart', 'app.kubernetes.io/component' => 'ssh-public-key' }
code, body = api.request(:patch, api.path('v1', 'configmaps', name), { 'metadata' => { 'labels' => labels }, 'data' => data })
if code == 404
  code, body = api.request(:post, api.path('v1', 'configmaps'),
                           { 'apiVersion' => 'v1', 'kind' => 'ConfigMap',
                             'metadata' => { 'name' => name, 'labels' => labels }, 'data' => data })
end
abort "applying ConfigMap #{name} failed: #{KubeAPI.describe(code, body)}" unless code < 300
puts "onechart: ConfigMap #{name} holds oneadmin's public key"
