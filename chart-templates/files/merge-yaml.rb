#!/usr/bin/env ruby
# frozen_string_literal: true

# onechart: deep-merges an override YAML file into an OpenNebula YAML configuration file, in place, keeping
# every packaged setting the override does not name. Usage: merge-yaml.rb TARGET OVERRIDE
require 'yaml'

def load_yaml(path)
  YAML.safe_load(File.read(path), permitted_classes: [Symbol], aliases: true) || {}
end

def deep_merge(base, over)
  base.merge(over) { |_key, a, b| a.is_a?(Hash) && b.is_a?(Hash) ? deep_merge(a, b) : b }
end

target, override = ARGV
abort 'usage: merge-yaml.rb TARGET OVERRIDE' unless target && override
File.write(target, YAML.dump(deep_merge(load_yaml(target), load_yaml(override))))
