#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: applies config.remotes (the ConfigMap's remotes.yaml: path under remotes/etc => settings) to the driver
# configuration a member refreshed from the image, at every start. Usage: merge-remotes.rb REMOTES_ETC REMOTES_YAML
#  - a YAML file (vnm/OpenNebulaNetwork.conf, im/*-probes.d/*.conf) is deep-merged, `":key"` being the symbol
#    `:key` (files/merge-yaml.rb);
#  - any other file is a shell file of `KEY=value` lines (vmm/kvm/kvmrc, datastore/ceph/ceph.conf, tm/*): each
#    setting replaces that variable's line (`KEY=...` or `export KEY=...`), or is appended, as `KEY="value"`.
# A path outside REMOTES_ETC, or a file the image does not ship, stops the start with its name.
require 'yaml'
require_relative 'merge-yaml'

SHELL_NAME = /\A[A-Za-z_][A-Za-z0-9_]*\z/

def shell_value(value)
  text = value.is_a?(String) ? value : value.to_s
  "\"#{text.gsub(/[\\"$\x60]/) {|c| "\\#{c}" }}\""
end

def merge_shell(path, settings)
  lines = File.read(path).lines.map(&:chomp)
  settings.each do |key, value|
    key = key.to_s
    abort "onechart: #{path}: '#{key}' is not a shell variable name" unless key.match?(SHELL_NAME)
    line = "#{key}=#{shell_value(value)}"
    at = lines.index {|l| l.match?(/\A\s*(export\s+)?#{Regexp.escape(key)}=/) }
    if at
      lines[at] = lines[at].match?(/\A\s*export\s/) ? "export #{line}" : line
    else
      lines << line
    end
  end
  File.write(path, lines.join("\n") + "\n")
end

def yaml_file?(path)
  data = YAML.safe_load(File.read(path), permitted_classes: [Symbol], aliases: true)
  data.is_a?(Hash) && !File.read(path).match?(/^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*=/)
rescue Psych::Exception
  false
end

etc, remotes = ARGV
abort 'usage: merge-remotes.rb REMOTES_ETC REMOTES_YAML' unless etc && remotes
root = File.realpath(etc)
# load_yaml permits symbols: Helm's toYaml writes a values key `":key"` unquoted (`:key:`), which Psych reads as the
# symbol (a plain safe_load refused it, DisallowedClass, and every member's start with it).
load_yaml(remotes).each do |rel, settings|
  path = File.expand_path(rel, root)
  abort "onechart: config.remotes '#{rel}' is outside remotes/etc" unless path.start_with?("#{root}/")
  abort "onechart: config.remotes '#{rel}': the image ships no #{path}" unless File.file?(path)
  if yaml_file?(path)
    File.write(path, YAML.dump(deep_merge(symbolize(load_yaml(path)), symbolize(settings || {}))))
  else
    merge_shell(path, settings || {})
  end
  puts "onechart: config.remotes applied to remotes/etc/#{rel}"
end
