//! The whole values path of `onechart lint`: bytes read as a values file, merged over a profile, validated,
//! linted, and (when accepted) rendered into a chart. Nothing may panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    onechart::fuzzing::values(data);
});
