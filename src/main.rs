//! `deepstack` command-line entry point: parse, call the library, print, map errors to exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    deepstack::cli::main_entry()
}
