//! The run log: human-readable lines on stderr. Data files never carry
//! anything from here (METHODOLOGY §8: wall-clock time belongs in the log).

/// Print one informational line.
pub fn info(msg: impl AsRef<str>) {
    eprintln!("scamtrends: {}", msg.as_ref());
}

/// Print one warning line.
pub fn warn(msg: impl AsRef<str>) {
    eprintln!("scamtrends: warning: {}", msg.as_ref());
}
