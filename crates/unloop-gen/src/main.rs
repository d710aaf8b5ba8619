//! unloop-gen CLI.
//!
//!   unloop-gen dump --out DIR --size 1GiB [--seed N]
//!   unloop-gen revisions --count N --out FILE [--seed N]
//!   unloop-gen cluster --out DIR --pods N --events N --revisions N [--troubled N] [--seed N]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use unloop_gen::dump::cluster::{ClusterOptions, cluster};
use unloop_gen::dump::{DumpOptions, dump, parse_size};
use unloop_gen::revisions::revisions;

const USAGE: &str = "usage:
  unloop-gen dump --out DIR --size SIZE [--seed N]
      write a `kubectl cluster-info dump --output-directory` tree of about SIZE bytes
      (SIZE like 1GiB, 500MiB, 20MB, 4096)
  unloop-gen revisions --count N --out FILE [--seed N]
      write `kubectl get revisions.serving.knative.dev -A -o json` with N Revisions
  unloop-gen cluster --out DIR --pods N --events N --revisions N [--troubled N] [--seed N]
      write a cluster for `unloop replay`: exactly N Pods and N Events over namespaces of
      Deployments, N Knative Revisions, and --troubled crash-looping pods (default 5)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("unloop-gen: {e}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn flag<'a>(args: &'a [String], name: &str) -> Result<Option<&'a str>, String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == name {
            return it
                .next()
                .map(|v| Some(v.as_str()))
                .ok_or_else(|| format!("{name} needs a value"));
        }
        if let Some(v) = a.strip_prefix(&format!("{name}=")) {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn check_flags(args: &[String], allowed: &[&str]) -> Result<(), String> {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let name = a.split('=').next().unwrap_or(a);
        if !allowed.contains(&name) {
            return Err(format!("unknown argument {a:?}"));
        }
        i += if a.contains('=') { 1 } else { 2 };
    }
    Ok(())
}

fn run(args: &[String]) -> Result<(), String> {
    let Some(cmd) = args.first() else {
        return Err("missing command".into());
    };
    let rest = &args[1..];
    let seed = match flag(rest, "--seed")? {
        Some(s) => s.parse::<u64>().map_err(|_| format!("bad --seed {s:?}"))?,
        None => 1,
    };
    match cmd.as_str() {
        "dump" => {
            check_flags(rest, &["--out", "--size", "--seed"])?;
            let out = PathBuf::from(flag(rest, "--out")?.ok_or("dump needs --out DIR")?);
            let size_s = flag(rest, "--size")?.ok_or("dump needs --size")?;
            let size = parse_size(size_s).ok_or_else(|| format!("bad --size {size_s:?}"))?;
            let t0 = Instant::now();
            let st = dump(&DumpOptions {
                out: out.clone(),
                size,
                seed,
            })
            .map_err(|e| format!("{}: {e}", out.display()))?;
            let secs = t0.elapsed().as_secs_f64();
            eprintln!(
                "wrote {} ({} files, {} namespaces, {} pods, {} nodes): {:.1} MB ({:.1} MB JSON, {:.1} MB logs) in {:.2}s = {:.0} MB/s",
                out.display(),
                st.files,
                st.namespaces,
                st.pods,
                st.nodes,
                st.bytes as f64 / 1e6,
                st.json_bytes as f64 / 1e6,
                st.log_bytes as f64 / 1e6,
                secs,
                st.bytes as f64 / 1e6 / secs.max(1e-9)
            );
            Ok(())
        }
        "revisions" => {
            check_flags(rest, &["--out", "--count", "--seed"])?;
            let out = PathBuf::from(flag(rest, "--out")?.ok_or("revisions needs --out FILE")?);
            let count_s = flag(rest, "--count")?.ok_or("revisions needs --count")?;
            let count: u64 = count_s
                .replace('_', "")
                .parse()
                .map_err(|_| format!("bad --count {count_s:?}"))?;
            let t0 = Instant::now();
            let st = revisions(count, seed, &out).map_err(|e| format!("{}: {e}", out.display()))?;
            let secs = t0.elapsed().as_secs_f64();
            eprintln!(
                "wrote {}: {} Revisions of {} Configurations in {} namespaces ({} active, {} no-gc), {:.1} MB in {:.2}s",
                out.display(),
                st.revisions,
                st.configurations,
                st.namespaces,
                st.active,
                st.no_gc,
                st.bytes as f64 / 1e6,
                secs
            );
            Ok(())
        }
        "cluster" => {
            check_flags(
                rest,
                &[
                    "--out",
                    "--pods",
                    "--events",
                    "--revisions",
                    "--troubled",
                    "--seed",
                ],
            )?;
            let out = PathBuf::from(flag(rest, "--out")?.ok_or("cluster needs --out DIR")?);
            let number = |name: &str, default: Option<u64>| -> Result<u64, String> {
                match flag(rest, name)? {
                    Some(v) => v
                        .replace('_', "")
                        .parse()
                        .map_err(|_| format!("bad {name} {v:?}")),
                    None => default.ok_or_else(|| format!("cluster needs {name} N")),
                }
            };
            let opts = ClusterOptions {
                out: out.clone(),
                pods: number("--pods", None)?,
                events: number("--events", None)?,
                revisions: number("--revisions", Some(0))?,
                troubled: number("--troubled", Some(5))?,
                seed,
            };
            let t0 = Instant::now();
            let st = cluster(&opts).map_err(|e| format!("{}: {e}", out.display()))?;
            eprintln!(
                "wrote {} ({} files, {:.1} MB): {} namespaces, {} nodes, {} pods ({} crash-looping), {} events, {} Revisions in {:.2}s",
                out.display(),
                st.files,
                st.bytes as f64 / 1e6,
                st.namespaces,
                st.nodes,
                st.pods,
                st.troubled,
                st.events,
                st.revisions,
                t0.elapsed().as_secs_f64()
            );
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}")),
    }
}
