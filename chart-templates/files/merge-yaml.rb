#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: deep-merges an override YAML file into an OpenNebula YAML configuration file, in place, keeping
# every packaged setting the override does not name. Usage: merge-yaml.rb TARGET OVERRIDE
# OpenNebula's Ruby daemons read their files with symbol keys (`:host:`); values files cannot write symbols, so an
# override key written `":host"` (a string starting with `:`) is the symbol `:host`.
require 'yaml'

def load_yaml(path)
  YAML.safe_load(File.read(path), permitted_classes: [Symbol], aliases: true) || {}
end

def symbolize(node)
  case node
  when Hash then node.to_h {|k, v| [k.is_a?(String) && k.start_with?(':') && k.size > 1 ? k[1..].to_sym : k, symbolize(v)] }
  when Array then node.map {|v| symbolize(v) }
  else node
  end
end

def deep_merge(base, over)
  base.merge(over) {|_key, a, b| a.is_a?(Hash) && b.is_a?(Hash) ? deep_merge(a, b) : b }
end

if $PROGRAM_NAME == __FILE__
  target, override = ARGV
  abort 'usage: merge-yaml.rb TARGET OVERRIDE' unless target && override
  File.write(target, YAML.dump(deep_merge(symbolize(load_yaml(target)), symbolize(load_yaml(override)))))
end
