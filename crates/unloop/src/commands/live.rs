//! The live cluster as a source: flags to a client, a scope and limits.

use std::time::Instant;

use unloop_kube::{Collection, Limits, Progress, Recorder, Scope, Target};

use crate::cli::LiveArgs;

/// Reads the cluster the flags name; progress on a TTY unless `machine_output`.
pub fn collect(
    args: &LiveArgs,
    target: Option<Target>,
    machine_output: bool,
) -> anyhow::Result<Collection> {
    collect_recording(args, target, machine_output, None)
}

/// [`collect`], handing what is read to `recorder` too (`unloop snapshot`).
pub fn collect_recording(
    args: &LiveArgs,
    target: Option<Target>,
    machine_output: bool,
    recorder: Option<&dyn Recorder>,
) -> anyhow::Result<Collection> {
    let limits = Limits {
        tail_lines: args.tail_lines,
        limit_bytes: args.limit_bytes,
        max_troubled_pods: args.max_pods,
        concurrency: args.concurrency,
        qps: args.qps,
        burst: args.burst,
        timeout: args.timeout,
        ..Limits::default()
    };
    let progress = Progress::auto(machine_output);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let started = Instant::now();
    let c = rt.block_on(async {
        let client = unloop_kube::connect(&args.cluster.connect_options()).await?;
        let scope = Scope::new(
            args.namespace.as_deref(),
            args.all_namespaces,
            target,
            client.default_namespace(),
        );
        let c =
            unloop_kube::collect_recording(&client, &scope, &limits, &progress, recorder).await?;
        anyhow::Ok(c)
    })?;
    if args.verbose {
        eprintln!(
            "unloop: {} requests ({} retries), {} bytes received, {} troubled pods, {} gaps, {:.2}s",
            c.requests,
            c.retries,
            c.bytes,
            c.troubled,
            c.gaps.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(c)
}
