//! The Docker-compatible command line: `gorae docker …`, or `docker …` through a link.

/// Run the CLI with the arguments after `docker`; returns the process exit code.
pub fn main(_args: Vec<String>) -> i32 {
    0
}
