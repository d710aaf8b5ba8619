//! The `unloop` command line: wiring only. Everything it prints is decided in
//! `unloop-core`.

mod cli;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Evidence(args) => commands::evidence::run(args),
        cli::Command::Diagnose(args) => commands::diagnose::run(args),
        cli::Command::Replay(args) => commands::replay::run(args),
        cli::Command::Snapshot(args) => commands::snapshot::run(args),
        cli::Command::Gc(cli::GcCommand::Plan(args)) => commands::gc::plan(args),
        cli::Command::Gc(cli::GcCommand::Apply(args)) => commands::gc::apply(args),
        cli::Command::Fix(args) => commands::fix::run(args),
        cli::Command::Node(cmd) => commands::node::run(cmd),
        cli::Command::ScaleStaged(args) => commands::scale::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("unloop: {e:#}");
            ExitCode::from(2)
        }
    }
}
