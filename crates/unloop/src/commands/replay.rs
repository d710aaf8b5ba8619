//! `unloop replay`: serve the inputs as a Kubernetes API until Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use unloop_replay::kubeconfig::{CONTEXT, write_kubeconfig};
use unloop_replay::simulate::{SimOptions, Simulation};
use unloop_replay::{Options, Replay};

use crate::cli::ReplayArgs;

pub fn run(args: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let replay = Replay::load(&args.paths, Options::default());
    for note in &replay.notes {
        eprintln!("unloop: note: {note}");
    }
    // The synthesized `default` namespace alone is not a snapshot.
    if replay.loaded <= 1 {
        bail!("no Kubernetes object could be read from the inputs");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = unloop_replay::bind(args.port).await?;
        let addr = listener.local_addr().context("reading the bound address")?;
        let url = format!("http://{addr}");
        // The kubeconfig exists before the address is printed: whoever reads
        // the address may use it at once.
        if let Some(path) = &args.kubeconfig_out {
            write_kubeconfig(path, &url)?;
        }
        println!(
            "Serving {} objects from the snapshot at {url} (Kubernetes {})",
            replay.loaded, replay.git_version
        );
        if let Some(path) = &args.kubeconfig_out {
            println!(
                "Kubeconfig written to {} (context {CONTEXT}): KUBECONFIG={} kubectl get pods -A",
                path.display(),
                path.display()
            );
        } else {
            println!("kubectl --server {url} get pods -A");
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let replay = Arc::new(replay);
        if args.simulate {
            let options = SimOptions {
                tick: args.tick,
                start_delay: args.start_delay,
                bad_nodes: args.bad_nodes.clone(),
            };
            Arc::new(Simulation::new(replay.clone(), options)).spawn();
            println!(
                "Simulating controllers and kubelets (tick {:?}, start-up delay {:?}).",
                args.tick, args.start_delay
            );
        }
        let mut router = unloop_replay::router(replay);
        if let Some(spec) = &args.faults {
            println!("Injecting faults: {spec}");
            let faults = Arc::new(unloop_replay::faults::Faults::new(spec.clone()));
            router = unloop_replay::faults::layer(router, faults);
        }
        if let Some(path) = &args.access_log {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("opening the access log {}", path.display()))?;
            let log = Arc::new(unloop_replay::access::AccessLog::new(Box::new(file)));
            router = unloop_replay::access::layer(router, log);
        }
        println!("Press Ctrl-C to stop.");
        unloop_replay::serve_router(router, listener, shutdown).await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
