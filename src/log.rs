//! The run log on stderr: human-readable lines by default, one JSON object per
//! line with `--log-format json` (for cron and log shippers), nothing but
//! errors with `--quiet`. Data files never carry anything from here
//! (METHODOLOGY §8: wall-clock time belongs in the log).

use std::sync::OnceLock;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogMode {
    Human,
    Json,
    Quiet,
}

static MODE: OnceLock<LogMode> = OnceLock::new();

/// Set the mode once, at start-up (later calls are ignored).
pub fn init(mode: LogMode) {
    let _ = MODE.set(mode);
}

fn mode() -> LogMode {
    *MODE.get().unwrap_or(&LogMode::Human)
}

/// Print one informational line.
pub fn info(msg: impl AsRef<str>) {
    emit("info", msg.as_ref());
}

/// Print one warning line.
pub fn warn(msg: impl AsRef<str>) {
    emit("warn", msg.as_ref());
}

/// Print an error line (shown even with `--quiet`).
pub fn error(msg: impl AsRef<str>) {
    match mode() {
        LogMode::Json => eprintln!("{}", json_line("error", msg.as_ref())),
        _ => eprintln!("scamtrends: error: {}", msg.as_ref()),
    }
}

fn emit(level: &str, msg: &str) {
    match mode() {
        LogMode::Quiet => {}
        LogMode::Json => eprintln!("{}", json_line(level, msg)),
        LogMode::Human if level == "warn" => eprintln!("scamtrends: warning: {msg}"),
        LogMode::Human => eprintln!("scamtrends: {msg}"),
    }
}

fn json_line(level: &str, msg: &str) -> String {
    serde_json::json!({
        "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "level": level,
        "msg": msg,
    })
    .to_string()
}

/// A progress bar over `total` bytes for a long stage, shown only when stderr
/// is a terminal and the log is human: never in cron logs or JSON logs.
pub fn progress(total: u64, what: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if mode() != LogMode::Human || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    let style =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(what.to_string());
    Some(bar)
}

/// When the previous [`memory`] trace point was passed.
static LAST_TRACE: std::sync::Mutex<Option<std::time::Instant>> = std::sync::Mutex::new(None);

/// With `SCAMTRENDS_TRACE_MEMORY` set, log the process's resident and peak
/// memory after a stage (Linux `/proc/self/status`) and the time since the
/// previous trace point (for profiling, see docs/benchmarks.md).
pub fn memory(stage: &str) {
    if std::env::var_os("SCAMTRENDS_TRACE_MEMORY").is_none() {
        return;
    }
    let now = std::time::Instant::now();
    let since = LAST_TRACE
        .lock()
        .ok()
        .and_then(|mut last| last.replace(now))
        .map_or(0, |t| now.duration_since(t).as_millis());
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    emit(
        "info",
        &format!(
            "memory after {stage}: {} MB resident, {} MB peak (+{since} ms){}",
            field("VmRSS:"),
            field("VmHWM:"),
            crate::memory::heap_summary()
        ),
    );
}
