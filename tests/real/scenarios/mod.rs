//! Scenarios: one module per profile (or fault family), each a `#[test]` that runs for every release of
//! `crate::releases()`, fails when OpenNebula disagrees with the chart, and prints every container's log then
//! (the `Cluster`'s drop).

mod dev_sqlite;
mod runner;

use std::time::Instant;

/// Prints how long a step took (shown with `--nocapture`; scripts/test.sh passes it for this tier).
pub struct Timer {
    name: String,
    start: Instant,
}

impl Timer {
    pub fn start(name: &str) -> Timer {
        eprintln!("real: {name} ...");
        Timer { name: name.into(), start: Instant::now() }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            eprintln!("real: {} done in {:.1} s", self.name, self.start.elapsed().as_secs_f64());
        }
    }
}
