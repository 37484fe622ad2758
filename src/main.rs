//! Entry point: parse the command line, run it, map any error to a documented
//! exit code. Everything else lives in the library (`scamtrends::commands`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = scamtrends::cli::parse();
    match scamtrends::commands::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            scamtrends::log::error(format!("{err:#}"));
            ExitCode::from(scamtrends::error::exit_code_of(&err))
        }
    }
}
