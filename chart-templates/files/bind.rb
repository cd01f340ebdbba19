# frozen_string_literal: true

# onechart: preloaded with `ruby -r` into a Sinatra daemon that hard-codes its listening address, so that it
# listens on ONECHART_BIND instead. OpenNebula's exporter sets `set :bind, '::'`
# (OpenNebula/one@release-7.4.0:src/oneprometheus/opennebula-exporter/src/opennebula_exporter.rb:82, the same
# at 6.10.5, 7.0.2 and 7.2.0), which fails where the node has IPv6 turned off. Sinatra's `run!(options)` applies
# its options with `set` before it binds, so an option given there wins over the file's setting. The daemon
# loads Sinatra later, from OpenNebula's gem directory: the override is attached when `Sinatra::Base` is defined.
module OnechartBind
  def run!(options = {}, &block)
    super(options.merge(:bind => ENV.fetch('ONECHART_BIND', '0.0.0.0')), &block)
  end
end

ONECHART_BIND_TRACE = TracePoint.new(:class) do |tp|
  next unless tp.self.name == 'Sinatra::Base'

  tp.self.singleton_class.prepend(OnechartBind)
  ONECHART_BIND_TRACE.disable
end
ONECHART_BIND_TRACE.enable
