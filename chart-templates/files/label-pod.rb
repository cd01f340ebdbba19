#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: sets a label on this pod through the Kubernetes API, with the pod's projected service account
# token (a Role allows only `get` and `patch` on pods). Usage: label-pod.rb KEY VALUE
require_relative 'kube-api'

key, value = ARGV
abort 'usage: label-pod.rb KEY VALUE' unless key && value
pod = ENV.fetch('POD_NAME')
api = KubeAPI::Client.new
code, body = api.request(:patch, api.path('v1', 'pods', pod), { 'metadata' => { 'labels' => { key => value } } })
abort "labelling #{pod} failed: #{KubeAPI.describe(code, body)}" unless code < 300
puts "onechart: #{pod} labelled #{key}=#{value}"
