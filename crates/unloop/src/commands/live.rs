//! The live cluster as a source: flags to a client, a scope and limits.

use unloop_kube::{Collection, ConnectOptions, Limits, Progress, Scope, Target};

use crate::cli::LiveArgs;

/// Reads the cluster the flags name; progress on a TTY unless `machine_output`.
pub fn collect(
    args: &LiveArgs,
    target: Option<Target>,
    machine_output: bool,
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
    rt.block_on(async {
        let client = unloop_kube::connect(&ConnectOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
        })
        .await?;
        let scope = Scope::new(
            args.namespace.as_deref(),
            args.all_namespaces,
            target,
            client.default_namespace(),
        );
        let c = unloop_kube::collect(&client, &scope, &limits, &progress).await?;
        Ok(c)
    })
}
