//! OpenNebula configuration readers (template syntax, service YAML, ssh config) on arbitrary text. Nothing may
//! panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    onechart::fuzzing::oneconf(data);
});
