//! `onechart lint --manifests` on arbitrary bytes. Nothing may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    onechart::fuzzing::manifests(data);
});
