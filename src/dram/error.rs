//! Errors of the DRAM model: configuration, input files, traces and requests.

use std::path::PathBuf;

/// Everything that can go wrong building or feeding the DRAM model. All variants are
/// caused by user input; none is a bug.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DramError {
    /// A configuration value breaks a rule (`field` names the key, e.g. `timing.tRAS`).
    #[error("{field} = {value} is invalid: {rule}")]
    Invalid {
        /// The offending key.
        field: String,
        /// Its value as given.
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// A required key is missing from a configuration file.
    #[error("{file}: missing key `{key}` in section [{section}]")]
    MissingKey {
        /// The file.
        file: String,
        /// The section the key belongs to.
        section: String,
        /// The missing key.
        key: String,
    },
    /// A key's value cannot be parsed.
    #[error("{file}: [{section}] {key} = {value:?} is not {expected}")]
    BadValue {
        /// The file.
        file: String,
        /// The section.
        section: String,
        /// The key.
        key: String,
        /// The raw text.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A configuration file is not well formed.
    #[error("{file}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A value read from a file breaks a rule (wraps [`DramError::Invalid`] with the file).
    #[error("{file}: {source}")]
    InFile {
        /// The file.
        file: String,
        /// The underlying error.
        #[source]
        source: Box<DramError>,
    },
    /// The memory name is neither a preset nor a readable file.
    #[error("unknown memory '{name}' (presets: {known}; or a .toml or DRAMsim3 .ini file)")]
    UnknownMemory {
        /// The name given.
        name: String,
        /// The preset names.
        known: String,
    },
    /// An I/O error on a named file.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A trace line that cannot be used.
    #[error("trace line {line}: {reason}: `{content}`")]
    TraceLine {
        /// 1-based line number.
        line: u64,
        /// The line as read (truncated to 200 characters).
        content: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An address beyond the memory's capacity.
    #[error("address {addr:#x} is beyond the memory capacity of {capacity} bytes")]
    AddressOutOfRange {
        /// The address.
        addr: u64,
        /// The capacity in bytes.
        capacity: u64,
    },
}

impl DramError {
    /// A rule violation on `field`.
    pub fn invalid(
        field: impl Into<String>,
        value: impl ToString,
        rule: impl Into<String>,
    ) -> Self {
        DramError::Invalid {
            field: field.into(),
            value: value.to_string(),
            rule: rule.into(),
        }
    }
}
