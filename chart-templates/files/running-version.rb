#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: prints the OpenNebula version the release runs now, the `app.kubernetes.io/version` label of its
# StatefulSet, read through the API (the pre-upgrade hook's Role allows `get` on that one StatefulSet). The
# render never looks it up (no Helm `lookup`): `helm template` and Argo CD give the same output every time.
# Usage: running-version.rb STATEFULSET. Exit 0 (the version, or an empty line for an unlabelled StatefulSet),
# 3 when the StatefulSet does not exist (a first install: Argo CD runs pre-upgrade hooks at every sync), 1 else.
require_relative 'kube-api'

name = ARGV.fetch(0) { abort 'usage: running-version.rb STATEFULSET' }
api = KubeAPI::Client.new
code, body = api.request(:get, api.path('apps/v1', 'statefulsets', name))
exit 3 if code == 404
abort "onechart: reading StatefulSet #{name} failed: #{KubeAPI.describe(code, body)}" unless code == 200
puts body.dig('metadata', 'labels', 'app.kubernetes.io/version').to_s
