# frozen_string_literal: true

# onechart: the smallest Kubernetes API client the chart's helpers need (net/http, no gems), authenticated with
# the pod's projected service account token. What a caller may do is limited by its own Role, never here.
# Environment: KUBERNETES_SERVICE_HOST/PORT (set by the kubelet), ONECHART_SA_DIR (the projected volume with
# `token`, `ca.crt` and `namespace`; default /run/onechart/serviceaccount).
require 'json'
require 'net/http'
require 'openssl'

module KubeAPI
  METHODS = { get: Net::HTTP::Get, post: Net::HTTP::Post, patch: Net::HTTP::Patch }.freeze

  # One API server connection for this pod's namespace.
  class Client
    attr_reader :namespace

    def initialize(dir = ENV.fetch('ONECHART_SA_DIR', '/run/onechart/serviceaccount'))
      @dir = dir
      @namespace = File.read(File.join(dir, 'namespace')).strip
      @http = Net::HTTP.new(ENV.fetch('KUBERNETES_SERVICE_HOST'), ENV.fetch('KUBERNETES_SERVICE_PORT', '443'))
      @http.use_ssl = true
      @http.ca_file = File.join(dir, 'ca.crt')
      @http.verify_mode = OpenSSL::SSL::VERIFY_PEER
      @http.open_timeout = 5
      @http.read_timeout = 10
    end

    # The path of a namespaced object: path('v1', 'secrets', 'x'), path('apps/v1', 'statefulsets', 'y').
    def path(api, resource, name = nil)
      base = api.include?('/') ? "/apis/#{api}" : "/api/#{api}"
      ["#{base}/namespaces/#{@namespace}/#{resource}", name].compact.join('/')
    end

    # Sends a request (a PATCH is a JSON merge patch); returns [status code, parsed JSON body or {}].
    def request(method, path, body = nil)
      request = METHODS.fetch(method).new(path)
      # Read at every call: the kubelet rotates projected tokens.
      request['Authorization'] = "Bearer #{File.read(File.join(@dir, 'token')).strip}"
      request['Accept'] = 'application/json'
      unless body.nil?
        request['Content-Type'] = method == :patch ? 'application/merge-patch+json' : 'application/json'
        request.body = JSON.generate(body)
      end
      response = @http.request(request)
      [response.code.to_i, parse(response.body)]
    end

    private

    def parse(text)
      text.nil? || text.empty? ? {} : JSON.parse(text)
    rescue JSON::ParserError
      { 'message' => text.to_s[0, 200] }
    end
  end

  # A short description of a failed response, for error messages.
  def self.describe(code, body)
    "HTTP #{code}#{body['reason'] ? " #{body['reason']}" : ''}: #{body['message']}"
  end
end
