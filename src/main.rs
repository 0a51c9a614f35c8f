//! The `vectra-db` binary: parse the command line, run the verb, exit with its code.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use vectra_db::cli::Cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap repeats a misplaced argument word for word: a connection URL
            // typed in the wrong place must not print its password.
            let text = vectra_db::config::redact_passwords(&e.render().to_string());
            if e.use_stderr() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    vectra_db::lua::leave_states_to_exit();
    if cli.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        anstream::ColorChoice::Never.write_global();
    }
    let default_filter = if cli.quiet {
        "error"
    } else {
        "warn,vectra_db::lua=info"
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_filter))
        .format(|buf, record| writeln!(buf, "{}", record.args()))
        .init();
    let (global, command) = cli.resolve();
    let cwd = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(e) => {
            vectra_db::output::error(&format!("cannot read the current directory: {e}"));
            return ExitCode::from(2);
        }
    };
    ExitCode::from(vectra_db::commands::execute(&global, &command, &cwd))
}
