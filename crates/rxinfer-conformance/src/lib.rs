//! Conformance checks against peers nobody here wrote. Run them all with
//! `scripts/conformance.sh`; the pieces:
//!
//! | piece | checks |
//! |---|---|
//! | `tests/models_match_spec.rs` | each model against the schema of the same name in the official OpenAPI document |
//! | `src/bin/prism-checks.rs` | the client against Prism, a mock driven by that document, which rejects non-conforming requests |
//! | `src/bin/stand-in.rs` | the stand-in server as a process, for the official Python client and schemathesis to drive |
//!
//! [`Checks`] runs named checks and reports each, so a run's output says
//! what it proved.
#![forbid(unsafe_code)]

use std::{fmt::Display, future::Future};

/// Runs named checks one after another, printing `ok` or `FAIL` for each.
#[derive(Debug, Default)]
pub struct Checks {
    failed: usize,
    passed: usize,
}

impl Checks {
    /// No checks run yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `check`, which returns why it failed, if it did.
    pub async fn run<F, E>(&mut self, name: &str, check: F)
    where
        F: Future<Output = Result<(), E>>,
        E: Display,
    {
        match check.await {
            Ok(()) => {
                self.passed += 1;
                println!("ok    {name}");
            }
            Err(reason) => {
                self.failed += 1;
                println!("FAIL  {name}: {reason}");
            }
        }
    }

    /// Prints the tally and tells whether every check passed.
    pub fn finish(self, suite: &str) -> bool {
        println!("{suite}: {} passed, {} failed", self.passed, self.failed);
        self.failed == 0
    }
}
