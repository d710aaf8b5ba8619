//! Steps for the causes a literal message names: RBAC, CRDs, configuration,
//! dependencies, certificates, DNS, panics, ports, entrypoints, filesystems,
//! the API server, throttling, and memory.
//!
//! Each step says why, gives the exact commands (filled in from what the
//! message captured: the service account and resource of an RBAC refusal, the
//! kind and version of a missing CRD, the path of a read-only write, the
//! current memory limit), and how to verify. When the evidence lacks a value,
//! the command keeps a `<placeholder>` rather than guessing.

use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::diagnose::finding::{Finding, Relation};
use crate::diagnose::knowledge::messages::Hit;
use crate::diagnose::rules::literal::{self, Found};
use crate::diagnose::{CauseId, Context};
use crate::evidence::quantity::format_bytes;
use crate::evidence::{Container, ContainerState};
use crate::remedy::plan::{Action, Phase, PlanStep};

/// Findings weaker than this get no steps of their own.
const MIN_SCORE: f64 = 0.3;

/// What the commands act on.
struct Target {
    /// `Deployment`, or `Pod` when no workload is known.
    kind: String,
    /// `deployment`, `statefulset`, `daemonset`, or `pod`.
    resource: String,
    namespace: String,
    name: String,
    pod: String,
    container: String,
    node: Option<String>,
}

impl Target {
    fn res(&self) -> String {
        format!("{}/{}", self.resource, self.name)
    }

    fn patchable(&self) -> bool {
        matches!(
            self.resource.as_str(),
            "deployment" | "statefulset" | "daemonset"
        )
    }

    fn node(&self) -> &str {
        self.node.as_deref().unwrap_or("<node>")
    }

    /// Where the containers sit in the object `res()` names.
    fn pod_spec_path(&self) -> &'static str {
        if self.patchable() {
            ".template.spec"
        } else {
            ""
        }
    }

    fn rollout_restart(&self) -> String {
        format!(
            "kubectl rollout restart {} -n {}",
            self.res(),
            self.namespace
        )
    }

    fn edit(&self) -> String {
        format!("kubectl edit {} -n {}", self.res(), self.namespace)
    }

    fn patch_action(&self, patch: String) -> Action {
        Action::patch_workload(&self.kind, &self.namespace, &self.name, patch)
    }

    /// A JSON patch that replaces the args of the template's container
    /// `index`, as the step's command, patch and action.
    fn replace_args(&self, step: PlanStep, index: usize, args: &[impl Serialize]) -> PlanStep {
        let value = serde_json::to_string(args).unwrap_or_default();
        let patch = format!(
            "[{{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/{index}/args\",\"value\":{value}}}]"
        );
        let mut step = step
            .command(format!(
                "kubectl patch {} -n {} --type=json -p '{patch}'",
                self.res(),
                self.namespace
            ))
            .patch(patch.clone());
        step.action = self.patch_action(patch);
        step
    }

    /// The image of the target container, or `placeholder`.
    fn image(&self, cx: &Context<'_>, placeholder: &str) -> String {
        cx.container_spec(&self.container)
            .and_then(|s| s.image.clone())
            .unwrap_or_else(|| placeholder.to_owned())
    }

    fn restart_and_watch(&self) -> String {
        if self.patchable() {
            format!(
                "kubectl rollout status {} -n {} --timeout=10m",
                self.res(),
                self.namespace
            )
        } else {
            format!("kubectl get pod {} -n {} -w", self.pod, self.namespace)
        }
    }

    fn no_more_restarts(&self) -> String {
        format!(
            "kubectl get pods -n {} -w shows {} Running and its RESTARTS no longer growing",
            self.namespace, self.pod
        )
    }

    fn jsonpath_container(&self, field: &str) -> String {
        format!(
            "kubectl get {} -n {} -o jsonpath='{{.spec{}.containers[?(@.name==\"{}\")].{field}}}'",
            self.res(),
            self.namespace,
            self.pod_spec_path(),
            self.container
        )
    }
}

fn target(cx: &Context<'_>, hits: &[Found]) -> Target {
    let w = cx.subject.workload.as_ref();
    let namespace = cx
        .subject
        .namespace()
        .map(str::to_owned)
        .or_else(|| cx.pods().find_map(|p| p.meta.namespace.clone()))
        .or_else(|| {
            cx.logs()
                .find_map(|l| l.pod.as_ref().and_then(|p| p.namespace.clone()))
        })
        .unwrap_or_else(|| "<namespace>".to_owned());
    let pod = cx.example_pod();
    let (kind, resource, name) = match w {
        Some(w) => (
            w.kind.clone(),
            match w.kind.as_str() {
                "Deployment" => "deployment",
                "StatefulSet" => "statefulset",
                "DaemonSet" => "daemonset",
                "ReplicaSet" => "replicaset",
                "Job" => "job",
                _ => "pod",
            }
            .to_owned(),
            w.name.clone(),
        ),
        None => ("Pod".to_owned(), "pod".to_owned(), pod.clone()),
    };
    let container = hits
        .iter()
        .find_map(|f| f.container.clone())
        .or_else(|| cx.troubled_containers().first().map(|c| (*c).to_owned()))
        .or_else(|| cx.logs().find_map(|l| l.container.clone()))
        .unwrap_or_else(|| "<container>".to_owned());
    Target {
        kind,
        resource,
        namespace,
        name,
        pod,
        container,
        node: cx.pods().find_map(|p| p.node.clone()),
    }
}

/// Steps for one finding of a literal cause.
pub fn steps(cx: &Context<'_>, f: &Finding) -> Vec<PlanStep> {
    // A weak side finding (a one-second client throttle next to an OOM kill)
    // would only add noise to the plan.
    if f.score < MIN_SCORE {
        return Vec::new();
    }
    let found: Vec<Found> = literal::scan(cx)
        .into_iter()
        .filter(|x| {
            x.hit.cause() == f.cause || x.hit.pattern.also.iter().any(|(c, _)| *c == f.cause)
        })
        .collect();
    // The heaviest hit; among equals, the first found.
    let hit = found
        .iter()
        .min_by(|a, b| b.weight.total_cmp(&a.weight))
        .map(|x| &x.hit);
    let t = target(cx, &found);
    match f.cause {
        CauseId::RbacForbidden => rbac(&t, hit),
        CauseId::MissingCrd => missing_crd(cx, &t, hit),
        CauseId::BadConfig => bad_config(cx, &t, hit),
        CauseId::MissingDependency => missing_dependency(&t, hit),
        CauseId::TlsCertificateError => tls(&t, hit),
        CauseId::DnsFailure => dns(&t, hit),
        CauseId::ApplicationPanic => panic(cx, &t, f),
        CauseId::PortInUse => port(cx, &t, hit),
        CauseId::ExecFormatError => exec(cx, &t, hit),
        CauseId::FilesystemPermission => filesystem(&t, hit),
        CauseId::ApiserverUnreachable => apiserver(&t, hit),
        CauseId::ApiserverThrottled => throttled(&t),
        CauseId::OomKilled => oom(cx, &t),
        _ => Vec::new(),
    }
}

fn get<'a>(hit: Option<&'a Hit>, name: &str) -> Option<&'a str> {
    hit?.get(name).filter(|v| !v.is_empty())
}

fn quoted(hit: Option<&Hit>) -> String {
    hit.map(|h| format!(" (\"{}\")", h.matched))
        .unwrap_or_default()
}

fn rbac(t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::RbacForbidden;
    let user = get(hit, "user").unwrap_or("system:serviceaccount:<namespace>:<serviceaccount>");
    let (sa_ns, sa) = user
        .strip_prefix("system:serviceaccount:")
        .and_then(|s| s.split_once(':'))
        .unwrap_or((t.namespace.as_str(), "<serviceaccount>"));
    let verb = get(hit, "verb").unwrap_or("<verb>");
    let res = get(hit, "res").unwrap_or("<resource>");
    let group = get(hit, "group").unwrap_or("");
    let scoped_ns = get(hit, "ns");
    let res_arg = if group.is_empty() {
        res.to_owned()
    } else {
        format!("{res}.{group}")
    };
    // Informers list and then watch; granting one without the other only moves the error.
    let verbs: Vec<&str> = if matches!(verb, "get" | "list" | "watch") {
        vec!["get", "list", "watch"]
    } else {
        vec![verb]
    };
    let scope = scoped_ns.map_or_else(|| "-A".to_owned(), |n| format!("-n {n}"));
    let base = res.split('/').next().unwrap_or(res).replace('.', "-");
    let role = format!("{sa}-{base}");
    let patch = format!(
        "# add to the rules of the {} bound to {user}\n- apiGroups: [\"{group}\"]\n  resources: [\"{res}\"]\n  verbs: [{}]\n",
        if scoped_ns.is_some() {
            "Role"
        } else {
            "ClusterRole"
        },
        verbs
            .iter()
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (create_role, create_binding) = match scoped_ns {
        Some(n) => (
            format!(
                "kubectl create role {role} -n {n} --verb={} --resource={res_arg}",
                verbs.join(",")
            ),
            format!(
                "kubectl create rolebinding {role} -n {n} --role={role} --serviceaccount={sa_ns}:{sa}"
            ),
        ),
        None => (
            format!(
                "kubectl create clusterrole {role} --verb={} --resource={res_arg}",
                verbs.join(",")
            ),
            format!(
                "kubectl create clusterrolebinding {role} --clusterrole={role} --serviceaccount={sa_ns}:{sa}"
            ),
        ),
    };
    let can_i = format!("kubectl auth can-i {verb} {res_arg} --as={user} {scope}");
    vec![
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Confirm that {user} may not {verb} {res_arg}"),
            "The API server refused the request, and the process exits on that refusal. `auth can-i` asks the same question the API server answered.",
            Action::Manual,
        )
        .command(can_i.clone())
        .command(format!(
            "kubectl get clusterrolebindings,rolebindings -A -o wide | grep -w {sa}"
        ))
        .verify(format!("`{can_i}` prints no")),
        PlanStep::new(
            Phase::Recover,
            c,
            format!("Grant {user} {} on {res_arg}", verbs.join("/")),
            "Add the missing rule to the role the chart or manifest binds to this service account (an upgrade that added a controller often ships its RBAC separately); the commands create a dedicated role and binding instead, which works the same and is easy to remove later.",
            Action::Manual,
        )
        .command(create_role)
        .command(create_binding)
        .command(t.rollout_restart())
        .patch(patch)
        .verify(format!("`{can_i}` prints yes"))
        .verify(t.no_more_restarts()),
    ]
}

/// `OpAMPBridge` → `opampbridges`: the usual plural; a guess, said so.
fn plural(kind: &str) -> String {
    let k = kind.to_ascii_lowercase();
    if k.ends_with('s') || k.ends_with("x") || k.ends_with("ch") || k.ends_with("sh") {
        format!("{k}es")
    } else if let Some(stem) = k
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{k}s")
    }
}

fn missing_crd(cx: &Context<'_>, t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::MissingCrd;
    let kind = get(hit, "kind");
    let gv = get(hit, "gv");
    let (group, version) = gv
        .and_then(|g| g.split_once('/'))
        .unwrap_or(("<group>", "<version>"));
    let plural = get(hit, "res")
        .map(str::to_owned)
        .or_else(|| kind.map(plural))
        .unwrap_or_else(|| "<plural>".to_owned());
    let crd = format!("{plural}.{group}");
    let image = t.image(cx, "<controller image>");
    let what = match (kind, gv) {
        (Some(k), Some(gv)) => format!("{k} ({gv})"),
        _ => "the kind the controller watches".to_owned(),
    };
    vec![
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Check whether the CRD for {what} is installed and serves {version}"),
            "The controller asks the API server for a kind it does not know; either the CRD is absent or it does not serve that version. (The plural in the CRD name is derived from the kind; `api-resources` shows the real one.)",
            Action::Manual,
        )
        .command(format!(
            "kubectl get crd {crd} -o jsonpath='{{.spec.versions[*].name}}'"
        ))
        .command(format!("kubectl api-resources --api-group={group}"))
        .verify(format!(
            "`kubectl get crd {crd}` says NotFound, or its versions lack {version}"
        )),
        PlanStep::new(
            Phase::Recover,
            c,
            format!("Install the CRD for {what} from the release that matches {image}"),
            "Helm installs a chart's crds/ only on first install and never upgrades or adds them, so an upgrade that adds a controller leaves its CRD missing. Apply the CRDs of exactly the controller's version.",
            Action::Manual,
        )
        .command("helm show crds <repo>/<chart> --version <chart version> | kubectl apply --server-side -f -".to_owned())
        .command(format!(
            "kubectl apply --server-side -f <the {plural} CRD manifest of the release that ships {image}>"
        ))
        .command(t.rollout_restart())
        .verify(format!(
            "kubectl get crd {crd} -o jsonpath='{{.spec.versions[*].name}}' lists {version}"
        ))
        .verify(t.no_more_restarts()),
    ]
}

fn bad_config(cx: &Context<'_>, t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::BadConfig;
    let mut out = vec![
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Show the command line and image of {}", t.container),
            format!(
                "The process rejects its configuration at start{}. Compare what it is given with what this image version accepts.",
                quoted(hit)
            ),
            Action::Manual,
        )
        .command(t.jsonpath_container("args"))
        .command(t.jsonpath_container("command"))
        .command(t.jsonpath_container("image"))
        .verify("the offending flag, value or variable appears in the output".to_owned()),
    ];
    let spec = cx.container_spec(&t.container);
    if let Some(flag) = get(hit, "flag") {
        let mut step = PlanStep::new(
            Phase::Recover,
            c,
            format!(
                "Remove {flag} from the arguments of {}, or run an image that defines it",
                t.container
            ),
            format!(
                "The binary in this image does not define {flag} (a chart newer or older than the image passes it). Drop the argument, or move the image to the version the chart expects."
            ),
            Action::Manual,
        );
        if let Some((index, args)) =
            spec.and_then(|s| container_index(cx, t, s).map(|i| (i, &s.args)))
        {
            let bare = flag.trim_start_matches('-');
            let kept: Vec<&String> = args
                .iter()
                .filter(|a| {
                    let name = a.trim_start_matches('-');
                    !(name == bare || name.starts_with(&format!("{bare}=")))
                })
                .collect();
            if kept.len() < args.len() && t.patchable() {
                step = t.replace_args(step, index, &kept);
            }
        }
        if step.commands.is_empty() {
            step = step.command(t.edit());
        }
        out.push(
            step.command(t.restart_and_watch())
                .verify(format!("the log no longer mentions {flag}"))
                .verify(t.no_more_restarts()),
        );
    } else if let Some(var) = get(hit, "var") {
        out.push(
            PlanStep::new(
                Phase::Recover,
                c,
                format!("Set the environment variable {var}"),
                format!("The process needs {var} and it is not set."),
                Action::Manual,
            )
            .command(format!(
                "kubectl set env {} -n {} -c {} {var}=<value>",
                t.res(),
                t.namespace,
                t.container
            ))
            .command(t.restart_and_watch())
            .verify(t.no_more_restarts()),
        );
    } else {
        out.push(
            PlanStep::new(
                Phase::Recover,
                c,
                format!("Fix the configuration {} rejects", t.container),
                format!(
                    "Correct the value the message names{}: in the container's args, its environment, or the ConfigMap it reads.",
                    quoted(hit)
                ),
                Action::Manual,
            )
            .command(format!("kubectl get configmap -n {} -o name", t.namespace))
            .command(t.edit())
            .command(t.restart_and_watch())
            .verify(t.no_more_restarts()),
        );
    }
    out
}

/// The index of a container in the workload's pod template (for JSON patches).
fn container_index(cx: &Context<'_>, t: &Target, spec: &Container) -> Option<usize> {
    let in_template = cx
        .workload()
        .and_then(|w| w.template.iter().position(|c| c.name == spec.name));
    in_template.or_else(|| {
        let pod = cx.pods().find(|p| p.meta.name == t.pod)?;
        pod.containers
            .iter()
            .filter(|c| !c.init)
            .position(|c| c.name == spec.name)
    })
}

fn missing_dependency(t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::MissingDependency;
    let ns = &t.namespace;
    let id = hit.map_or("", |h| h.pattern.id);
    let name = get(hit, "name").unwrap_or("<name>");
    let (title, why, commands): (String, String, Vec<String>) = match id {
        "dependency.secret" | "dependency.configmap" | "dependency.serviceaccount" => {
            let kind = id.trim_start_matches("dependency.");
            (
                format!("Create or restore {kind} {name} in {ns}"),
                format!(
                    "The {kind} the workload references does not exist. Find who should create it (a chart, cert-manager, an operator) or fix the reference."
                ),
                vec![
                    format!("kubectl get {kind} {name} -n {ns}"),
                    format!(
                        "kubectl get {} -n {ns} -o yaml | grep -n '{name}'",
                        t.res()
                    ),
                ],
            )
        }
        "dependency.key" => {
            let kind = get(hit, "kind").unwrap_or("ConfigMap").to_ascii_lowercase();
            let key = get(hit, "key").unwrap_or("<key>");
            let obj = name.rsplit('/').next().unwrap_or(name);
            (
                format!("Add key {key} to {kind} {obj}"),
                format!("The {kind} exists but lacks the key {key} the container reads."),
                vec![format!("kubectl get {kind} {obj} -n {ns} -o jsonpath='{{.data}}'")],
            )
        }
        "dependency.webhook" => (
            format!("Bring back the service behind webhook {name}"),
            "The API server calls this admission webhook and gets no answer, so the controller's writes fail. Check the webhook's Service and its endpoints.".to_owned(),
            vec![
                format!(
                    "kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations -o jsonpath='{{range .items[*]}}{{range .webhooks[?(@.name==\"{name}\")]}}{{.clientConfig.service.namespace}}/{{.clientConfig.service.name}}{{\"\\n\"}}{{end}}{{end}}'"
                ),
                "kubectl get endpoints -n <webhook namespace> <webhook service>".to_owned(),
            ],
        ),
        "dependency.no-endpoints" => {
            let (sns, svc) = name.split_once('/').unwrap_or((ns.as_str(), name));
            (
                format!("Bring up the pods behind service {svc}"),
                "The service exists but has no ready endpoints.".to_owned(),
                vec![
                    format!("kubectl get endpoints {svc} -n {sns}"),
                    format!("kubectl describe service {svc} -n {sns}"),
                ],
            )
        }
        "dependency.aggregated-api" => {
            let gv = get(hit, "gv").unwrap_or("<group>/<version>");
            let (g, v) = gv.split_once('/').unwrap_or((gv, ""));
            (
                format!("Repair the aggregated API {gv}"),
                "An APIService is registered but its backing service does not answer, so discovery fails for every client.".to_owned(),
                vec![
                    format!("kubectl get apiservice {v}.{g}"),
                    format!("kubectl describe apiservice {v}.{g}"),
                ],
            )
        }
        "dependency.cert-file" | "dependency.config-file" | "dependency.file"
        | "dependency.cert-file-python" | "dependency.config-file-python" => {
            let path = get(hit, "path").unwrap_or("<path>");
            let dir = path.rsplit_once('/').map_or(path, |(d, _)| d);
            (
                format!("Provide {path} to container {}", t.container),
                format!(
                    "The process needs {path} at start and it is not there. It normally comes from a mounted Secret or ConfigMap, or from the node (hostPath): see which volume should provide {dir}."
                ),
                vec![
                    format!(
                        "kubectl get pod {} -n {ns} -o jsonpath='{{range .spec.volumes[*]}}{{.name}}{{\"\\t\"}}{{.secret.secretName}}{{.configMap.name}}{{.hostPath.path}}{{\"\\n\"}}{{end}}'",
                        t.pod
                    ),
                    t.jsonpath_container("volumeMounts"),
                    format!(
                        "kubectl debug node/{} -it --image=busybox:1.36 -- ls -l /host{dir}",
                        t.node()
                    ),
                ],
            )
        }
        _ => {
            let addr = get(hit, "addr").unwrap_or("<host>:<port>");
            let (host, port) = addr.rsplit_once(':').unwrap_or((addr, "<port>"));
            (
                format!("Bring up what listens at {addr}"),
                format!(
                    "The process needs {addr} at start (a database, a peer, a sidecar) and nothing answers there{}.",
                    quoted(hit)
                ),
                vec![
                    format!(
                        "kubectl run netcheck -n {ns} --rm -it --restart=Never --image=busybox:1.36 -- nc -zv -w 3 {host} {port}"
                    ),
                    format!("kubectl get svc,endpoints -A | grep -w '{}'", host.split('.').next().unwrap_or(host)),
                ],
            )
        }
    };
    let mut confirm = PlanStep::new(Phase::Confirm, c, title.clone(), why, Action::Manual);
    for cmd in commands {
        confirm = confirm.command(cmd);
    }
    vec![
        confirm.verify("the command shows the dependency missing or not answering".to_owned()),
        PlanStep::new(
            Phase::Recover,
            c,
            format!("Restart {} once the dependency is back", t.name),
            "The process checks its dependencies only at start; once they exist, a restart picks them up without waiting for the next back-off.",
            Action::Manual,
        )
        .command(t.rollout_restart())
        .command(t.restart_and_watch())
        .verify(t.no_more_restarts()),
    ]
}

static URL_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"https?://(?P<host>[^/\s"':]+)(?::(?P<port>\d+))?"#).expect("static regex")
});
static CA_VAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?P<var>[A-Z][A-Z0-9]*_(?:[A-Z0-9]+_)*CA(?:_[A-Z0-9]+)*)\b")
        .expect("static regex")
});

fn tls(t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::TlsCertificateError;
    let line = hit.map_or("", |h| h.line.as_str());
    let (host, port) = URL_HOST
        .captures(line)
        .map(|m| {
            (
                m["host"].to_owned(),
                m.name("port").map_or("443", |p| p.as_str()).to_owned(),
            )
        })
        .or_else(|| get(hit, "host").map(|h| (h.to_owned(), "443".to_owned())))
        .unwrap_or_else(|| ("<host>".to_owned(), "443".to_owned()));
    let mut out = Vec::new();
    if let Some(path) = get(hit, "path") {
        out.push(
            PlanStep::new(
                Phase::Confirm,
                c,
                format!("Check the certificate material at {path}"),
                "The certificate file the process loads is missing or unreadable; it must come from a mounted Secret or the node.",
                Action::Manual,
            )
            .command(t.jsonpath_container("volumeMounts"))
            .command(format!(
                "kubectl debug node/{} -it --image=busybox:1.36 -- ls -l /host{path}",
                t.node()
            ))
            .verify(format!("{path} exists where the container mounts it")),
        );
        return out;
    }
    out.push(
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Inspect the certificate {host}:{port} presents"),
            format!(
                "The TLS check fails{}: look at the validity dates, the names (SANs) and the issuer the server presents.",
                quoted(hit)
            ),
            Action::Manual,
        )
        .command(format!(
            "kubectl run tlscheck -n {} --rm -it --restart=Never --image=alpine/openssl -- s_client -connect {host}:{port} -servername {host} -showcerts",
            t.namespace
        ))
        .command(format!(
            "echo | openssl s_client -connect {host}:{port} -servername {host} 2>/dev/null | openssl x509 -noout -dates -subject -issuer -ext subjectAltName"
        ))
        .verify("notAfter is in the future, the SANs include the name the client dials, and the issuer is one the client trusts".to_owned()),
    );
    let id = hit.map_or("", |h| h.pattern.id);
    let fix = match id {
        "tls.expired" => {
            "Renew the certificate (with cert-manager: `cmctl renew`), and check the clocks of the node if the certificate is \"not yet valid\"."
        }
        "tls.unknown-authority" | "tls.verify" | "tls.verify-failed" => {
            "Give the client the CA that issued the server's certificate (the CA bundle it mounts or the caBundle of the webhook/APIService), or reissue the server's certificate from the CA the client trusts."
        }
        "tls.wrong-host" | "tls.no-ip-sans" | "tls.legacy-cn" => {
            "Reissue the certificate with the name (or IP) the client dials in its subjectAltName, or make the client dial a name the certificate carries."
        }
        "tls.ca-checksum" | "tls.no-ca" | "tls.cacerts" => {
            "The client pins the server's CA (by checksum or a CA bundle) and the server no longer publishes that CA. Make them agree: publish the CA on the server, or update (or clear, when the server's certificate is publicly trusted) the pinned value on the client."
        }
        _ => "Replace the invalid certificate or give the client the CA that issued it.",
    };
    let mut recover = PlanStep::new(
        Phase::Recover,
        c,
        format!("Make the certificate and the client's trust agree for {host}"),
        fix,
        Action::Manual,
    );
    if let Some(var) = CA_VAR.captures(line).map(|m| m["var"].to_owned()) {
        recover = recover
            .command(format!(
                "curl -sk https://{host}/v3/settings/cacerts | sha256sum"
            ))
            .command(format!(
                "kubectl set env {} -n {} {var}=<sha256 of the server's CA, or empty when its certificate is publicly trusted>",
                t.res(),
                t.namespace
            ));
    } else {
        recover = recover.command(format!(
            "kubectl get certificates,secrets -n {}",
            t.namespace
        ));
    }
    out.push(
        recover
            .command(t.rollout_restart())
            .verify(t.no_more_restarts()),
    );
    out
}

fn dns(t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::DnsFailure;
    let host = get(hit, "host")
        .or_else(|| get(hit, "host2"))
        .or_else(|| get(hit, "host3"))
        .unwrap_or("<name>");
    vec![
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Resolve {host} from the pod's namespace and from its node"),
            "If the name fails only inside the cluster, cluster DNS (CoreDNS) is at fault; if it fails from the node too, the name itself or the upstream resolver is.",
            Action::Manual,
        )
        .command(format!(
            "kubectl run dnscheck -n {} --rm -it --restart=Never --image=busybox:1.36 -- nslookup {host}",
            t.namespace
        ))
        .command(format!(
            "kubectl debug node/{} -it --image=busybox:1.36 -- nslookup {host}",
            t.node()
        ))
        .command("kubectl get pods -n kube-system -l k8s-app=kube-dns -o wide".to_owned())
        .command("kubectl logs -n kube-system -l k8s-app=kube-dns --tail=50".to_owned())
        .verify(format!("nslookup {host} returns an address")),
        PlanStep::new(
            Phase::Recover,
            c,
            format!("Fix the name {host} or cluster DNS, then restart {}", t.name),
            "Correct a mistyped or wrongly qualified name in the configuration, or bring CoreDNS back (it must be Running and reachable on the cluster DNS Service IP).",
            Action::Manual,
        )
        .command(t.rollout_restart())
        .command(t.restart_and_watch())
        .verify(t.no_more_restarts()),
    ]
}

fn panic(cx: &Context<'_>, t: &Target, f: &Finding) -> Vec<PlanStep> {
    let c = CauseId::ApplicationPanic;
    let logs = format!(
        "kubectl logs --previous -n {} {} -c {}",
        t.namespace, t.pod, t.container
    );
    if let Some(Relation::ExplainedBy(other)) = f.relation {
        return vec![
            PlanStep::new(
                Phase::Confirm,
                c,
                format!("Read the panic: it exits on the {other} failure"),
                format!("The panic's message names the real problem ({other}); fixing that ends the panics."),
                Action::Manual,
            )
            .command(logs)
            .verify("the panic message quotes the error the other steps fix".to_owned()),
        ];
    }
    let image = t.image(cx, "<image>");
    let mut out = vec![PlanStep::new(
        Phase::Confirm,
        c,
        format!("Read the whole stack trace of {}", t.container),
        "The first frame outside the runtime names the code that crashed; compare the image version with the last one that worked.",
        Action::Manual,
    )
    .command(logs)
    .command(t.jsonpath_container("image"))
    .verify(format!("the trace comes from {image}"))];
    if t.patchable() {
        out.push(
            PlanStep::new(
                Phase::Recover,
                c,
                format!("Roll {} back to the last version that ran", t.name),
                "A panic at start is a bug in this version of the program (often a regression, sometimes triggered by data or config it now reads). Rolling back restores service while the bug is reported upstream with the trace.",
                Action::Manual,
            )
            .command(format!("kubectl rollout history {} -n {}", t.res(), t.namespace))
            .command(format!("kubectl rollout undo {} -n {}", t.res(), t.namespace))
            .command(t.restart_and_watch())
            .verify(t.no_more_restarts()),
        );
    }
    out
}

fn port(cx: &Context<'_>, t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::PortInUse;
    let addr = get(hit, "addr")
        .or_else(|| get(hit, "port"))
        .unwrap_or("<port>");
    let port = addr.rsplit(':').next().unwrap_or(addr).to_owned();
    let mut out = vec![
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Find what else listens on port {port}"),
            "Another process binds the port first: a second container of the pod, or, with hostNetwork, anything on the node (kube-state-metrics, another controller on the same metrics port).",
            Action::Manual,
        )
        .command(format!(
            "kubectl get pod {} -n {} -o jsonpath='{{.spec.hostNetwork}} {{.spec.containers[*].ports}}'",
            t.pod, t.namespace
        ))
        .command(format!(
            "kubectl get pods -A -o wide --field-selector spec.nodeName={}",
            t.node()
        ))
        .command(format!(
            "kubectl debug node/{} -it --image=busybox:1.36 -- netstat -tlnp | grep ':{port} '",
            t.node()
        ))
        .verify(format!("one other listener on {port} shows up")),
    ];
    let mut recover = PlanStep::new(
        Phase::Recover,
        c,
        format!("Move {}'s listener off port {port}", t.container),
        "Give the listener a free port through its bind-address flag (controller-runtime managers: --metrics-bind-address / --health-probe-bind-address; many charts expose it as a value), or stop the other listener.",
        Action::Manual,
    );
    let free = port.parse::<u16>().ok().map(|p| p.saturating_add(1));
    if let (Some(spec), Some(free)) = (cx.container_spec(&t.container), free) {
        let needle = format!(":{port}");
        if let (Some(i), Some(idx), true) = (
            spec.args.iter().position(|a| a.ends_with(&needle)),
            container_index(cx, t, spec),
            t.patchable(),
        ) {
            let mut args = spec.args.clone();
            let cut = args[i].len() - needle.len();
            args[i] = format!("{}:{free}", &args[i][..cut]);
            recover = t.replace_args(recover, idx, &args);
        }
    }
    if recover.commands.is_empty() {
        recover = recover.command(t.edit());
    }
    out.push(
        recover
            .command(t.restart_and_watch())
            .verify("the log no longer says \"address already in use\"".to_owned())
            .verify(t.no_more_restarts()),
    );
    out
}

fn exec(cx: &Context<'_>, t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::ExecFormatError;
    let image = t.image(cx, "<image>");
    let id = hit.map_or("", |h| h.pattern.id);
    let mut out = vec![
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Compare {image}'s platforms and entrypoint with node {}", t.node()),
            "`exec format error` means the binary is for another CPU architecture (an amd64-only image on an arm64 node, or the reverse); `not found` / `no such file` means the entrypoint or its interpreter is not in the image.",
            Action::Manual,
        )
        .command(format!(
            "kubectl get node {} -o jsonpath='{{.status.nodeInfo.architecture}}'",
            t.node()
        ))
        .command(format!("docker manifest inspect {image} | grep -A2 '\"platform\"'"))
        .command(t.jsonpath_container("command"))
        .verify("the node's architecture is missing from the image's platforms, or the command names a file the image lacks".to_owned()),
    ];
    if id == "exec.format" || id.is_empty() {
        let patch = "spec:\n  template:\n    spec:\n      nodeSelector:\n        kubernetes.io/arch: amd64\n".to_owned();
        let mut step = PlanStep::new(
            Phase::Recover,
            c,
            format!("Run {} only on nodes of the image's architecture", t.name),
            "Use a multi-arch image (the same tag often has one upstream), or pin the pods to nodes of the architecture the image was built for (the patch assumes amd64; use the image's platform).",
            Action::Manual,
        )
        .patch(patch.clone());
        if t.patchable() {
            step = step.command(format!(
                "kubectl patch {} -n {} -p '{{\"spec\":{{\"template\":{{\"spec\":{{\"nodeSelector\":{{\"kubernetes.io/arch\":\"amd64\"}}}}}}}}}}'",
                t.res(),
                t.namespace
            ));
            step.action = t.patch_action(patch);
        }
        out.push(
            step.command(t.restart_and_watch())
                .verify(t.no_more_restarts()),
        );
    } else {
        let cmd = get(hit, "cmd")
            .or_else(|| get(hit, "cmd2"))
            .unwrap_or("<entrypoint>");
        out.push(
            PlanStep::new(
                Phase::Recover,
                c,
                format!("Point {} at an entrypoint the image has", t.container),
                format!("The image has no runnable {cmd}: fix the container's command/args, or the image's ENTRYPOINT (a wrong path, CRLF line endings in a script, a missing shell in a distroless image)."),
                Action::Manual,
            )
            .command(t.edit())
            .command(t.restart_and_watch())
            .verify(t.no_more_restarts()),
        );
    }
    out
}

fn filesystem(t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::FilesystemPermission;
    let path = get(hit, "path").or_else(|| get(hit, "path2"));
    let read_only = hit.is_some_and(|h| {
        h.matched.to_ascii_lowercase().contains("read-only") || h.matched.contains("EROFS")
    });
    let confirm = PlanStep::new(
        Phase::Confirm,
        c,
        format!(
            "Check the securityContext of {} against {}",
            t.container,
            path.unwrap_or("the path it writes")
        ),
        if read_only {
            "With readOnlyRootFilesystem: true nothing outside a mounted volume is writable."
        } else {
            "The process runs as a user that may not write the path: compare runAsUser/fsGroup with the owner of the volume."
        },
        Action::Manual,
    )
    .command(t.jsonpath_container("securityContext"))
    .command(format!(
        "kubectl get {} -n {} -o jsonpath='{{.spec{}.securityContext}}'",
        t.res(),
        t.namespace,
        t.pod_spec_path()
    ))
    .verify(if read_only {
        "readOnlyRootFilesystem is true and no volume covers the path".to_owned()
    } else {
        "runAsUser/fsGroup differ from the owner of the path".to_owned()
    });
    let mut out = vec![confirm];
    if read_only {
        let (dir, relative) = match path {
            Some(p) if p.starts_with('/') => {
                let looks_like_file = p.rsplit('/').next().is_some_and(|f| f.contains('.'));
                let d = if looks_like_file {
                    p.rsplit_once('/')
                        .map_or("/", |(d, _)| if d.is_empty() { "/" } else { d })
                } else {
                    p
                };
                (d.to_owned(), false)
            }
            _ => ("/tmp".to_owned(), true),
        };
        let patch = format!(
            "spec:\n  template:\n    spec:\n      containers:\n      - name: {c}\n        volumeMounts:\n        - name: writable\n          mountPath: {dir}\n      volumes:\n      - name: writable\n        emptyDir: {{}}\n",
            c = t.container
        );
        let why = if relative {
            format!(
                "The process writes {} relative to its working directory on a read-only root filesystem. Keep readOnlyRootFilesystem, mount an emptyDir at /tmp and point the process there with its directory flag (metrics-server: --cert-dir=/tmp).",
                path.unwrap_or("a file")
            )
        } else {
            format!(
                "Keep readOnlyRootFilesystem and give the process a writable emptyDir at {dir}."
            )
        };
        let mut step = PlanStep::new(
            Phase::Recover,
            c,
            format!("Mount a writable emptyDir at {dir} in {}", t.container),
            why,
            Action::Manual,
        )
        .patch(patch.clone());
        if t.patchable() {
            step = step.command(format!(
                "kubectl patch {} -n {} -p '{{\"spec\":{{\"template\":{{\"spec\":{{\"containers\":[{{\"name\":\"{}\",\"volumeMounts\":[{{\"name\":\"writable\",\"mountPath\":\"{dir}\"}}]}}],\"volumes\":[{{\"name\":\"writable\",\"emptyDir\":{{}}}}]}}}}}}}}'",
                t.res(),
                t.namespace,
                t.container
            ));
            step.action = t.patch_action(patch);
        }
        out.push(
            step.command(t.restart_and_watch())
                .verify(t.no_more_restarts()),
        );
    } else {
        let patch = "spec:\n  template:\n    spec:\n      securityContext:\n        fsGroup: <the GID the process runs as>\n".to_owned();
        out.push(
            PlanStep::new(
                Phase::Recover,
                c,
                format!("Let {}'s user write {}", t.container, path.unwrap_or("the path")),
                "Set fsGroup (for volumes) or runAsUser to match the owner of the path, or fix the ownership in the image.",
                Action::Manual,
            )
            .command(format!(
                "kubectl debug {} -n {} -it --copy-to={}-debug --container={} -- sh -c 'id; ls -ld {}'",
                t.pod,
                t.namespace,
                t.pod,
                t.container,
                path.unwrap_or("<path>")
            ))
            .command(t.edit())
            .patch(patch)
            .verify(t.no_more_restarts()),
        );
    }
    out
}

fn apiserver(t: &Target, hit: Option<&Hit>) -> Vec<PlanStep> {
    let c = CauseId::ApiserverUnreachable;
    let addr = get(hit, "addr")
        .map(str::to_owned)
        .or_else(|| {
            let line = hit.map_or("", |h| h.line.as_str());
            URL_HOST.captures(line).map(|m| {
                format!(
                    "{}:{}",
                    &m["host"],
                    m.name("port").map_or("443", |p| p.as_str())
                )
            })
        })
        .unwrap_or_else(|| "kubernetes.default.svc:443".to_owned());
    vec![
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Check the API server at {addr} from the pod's node"),
            "The process cannot get answers from the API server in time. Tell apart an API server that is down or overloaded (slow for everyone) from a network path that fails only from this node or namespace (NetworkPolicy, kube-proxy, CNI).",
            Action::Manual,
        )
        .command("kubectl get --raw='/readyz?verbose'".to_owned())
        .command("kubectl get endpoints kubernetes -n default -o wide".to_owned())
        .command(format!(
            "kubectl debug node/{} -it --image=curlimages/curl -- curl -sk -m 5 -o /dev/null -w '%{{http_code}} %{{time_total}}s\\n' https://{addr}/readyz",
            t.node()
        ))
        .command(format!("kubectl get networkpolicy -n {}", t.namespace))
        .verify("/readyz answers ok within a second from the node".to_owned()),
        PlanStep::new(
            Phase::Recover,
            c,
            "Restore the path to the API server, then let the controller restart".to_owned(),
            "Fix what the check showed (API server capacity or etcd latency, an egress NetworkPolicy, kube-proxy or CNI on the node). Controllers that exit when their lease cannot be renewed come back on their own once requests succeed; longer leader-election timeouts make them ride out short stalls.",
            Action::Manual,
        )
        .command(t.restart_and_watch())
        .verify("the log no longer shows timeouts or refused connections to the API server".to_owned())
        .verify(t.no_more_restarts()),
    ]
}

fn throttled(t: &Target) -> Vec<PlanStep> {
    let c = CauseId::ApiserverThrottled;
    vec![
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Measure how long {}'s requests wait", t.container),
            "Client-side throttling (client-go QPS/burst) delays every request; API Priority and Fairness rejects with 429 when the server is saturated.",
            Action::Manual,
        )
        .command(format!(
            "kubectl logs -n {} {} -c {} | grep -cE 'Throttling request took|client-side throttling|Waited before sending request|429'",
            t.namespace, t.pod, t.container
        ))
        .command("kubectl get --raw /metrics | grep apiserver_flowcontrol_rejected_requests_total".to_owned())
        .verify("the count grows during start-up, or rejected requests are non-zero".to_owned()),
        PlanStep::new(
            Phase::Prevent,
            c,
            format!("Raise {}'s client QPS and burst", t.container),
            "Most controllers expose client-go's rate limits as flags (often --kube-api-qps / --kube-api-burst); doubling them shortens start-up when the API server has headroom. If APF rejects requests, the server is the bottleneck instead.",
            Action::Manual,
        )
        .command(t.edit())
        .verify("throttling lines become rare and start-up completes".to_owned()),
    ]
}

fn memory_limit(cx: &Context<'_>, container: &str) -> Option<u64> {
    cx.containers()
        .filter(|(_, c)| c.name == container)
        .find_map(|(_, c)| c.resources.limits.memory_bytes)
        .or_else(|| cx.container_spec(container)?.resources.limits.memory_bytes)
}

/// Twice the limit, rounded up to whole MiB.
fn doubled_mi(limit: u64) -> u64 {
    let mi = 1u64 << 20;
    (limit.saturating_mul(2)).div_ceil(mi)
}

fn oom(cx: &Context<'_>, t: &Target) -> Vec<PlanStep> {
    let c = CauseId::OomKilled;
    // The OOM-killed container, when the evidence says which.
    let container = cx
        .containers()
        .find(|(_, k)| {
            matches!(&k.last_state, Some(ContainerState::Terminated { reason: Some(r), .. }) if r == "OOMKilled")
        })
        .map(|(_, k)| k.name.clone())
        .unwrap_or_else(|| t.container.clone());
    let limit = memory_limit(cx, &container);
    let new = limit.map(|l| format!("{}Mi", doubled_mi(l)));
    let new_arg = new
        .clone()
        .unwrap_or_else(|| "<2x the current limit>".to_owned());
    let mut out = vec![
        PlanStep::new(
            Phase::Confirm,
            c,
            format!("Confirm that {container} is OOM-killed"),
            "The termination reason says OOMKilled when the kernel killed the container for its memory limit; live usage shows how close it runs to the limit.",
            Action::Manual,
        )
        .command(format!(
            "kubectl get pod {} -n {} -o jsonpath='{{.status.containerStatuses[?(@.name==\"{container}\")].lastState.terminated.reason}}'",
            t.pod, t.namespace
        ))
        .command(format!("kubectl top pod {} -n {} --containers", t.pod, t.namespace))
        .verify("the reason is OOMKilled".to_owned()),
    ];
    let why = match limit {
        Some(l) => format!(
            "The limit of {} is below what {container} needs (a controller's memory grows with the objects it caches). Doubling it to {new_arg} gives room; then size it from observed usage.",
            format_bytes(l)
        ),
        None => format!(
            "{container} needs more memory than it is given. Double the current limit, then size it from observed usage."
        ),
    };
    let mut step = PlanStep::new(
        Phase::Recover,
        c,
        format!("Raise {container}'s memory limit to {new_arg}"),
        why,
        Action::Manual,
    )
    .command(format!(
        "kubectl set resources {} -n {} -c {container} --limits=memory={new_arg}",
        t.res(),
        t.namespace
    ));
    if let (Some(new), true) = (&new, t.patchable()) {
        let patch = format!(
            "spec:\n  template:\n    spec:\n      containers:\n      - name: {container}\n        resources:\n          limits:\n            memory: {new}\n"
        );
        step = step.patch(patch.clone());
        step.action = t.patch_action(patch);
    }
    out.push(
        step.command(t.restart_and_watch())
            .verify(format!(
                "kubectl get pods -n {} -w shows no more OOMKilled restarts",
                t.namespace
            ))
            .verify(format!(
                "kubectl top pod -n {} --containers stays below {new_arg}",
                t.namespace
            )),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::tests_support::*;
    use crate::diagnose::{DiagnoseOptions, diagnose};
    use crate::evidence::*;
    use crate::remedy::plan::PlanStep;

    fn plan_for(ev: &Evidence) -> Vec<PlanStep> {
        diagnose(ev, &DiagnoseOptions::default()).workloads[0]
            .plan
            .clone()
    }

    fn with_log(lines: &[(Severity, &str)], edit: impl FnOnce(&mut Pod)) -> Evidence {
        let mut b = EvidenceBuilder::new();
        let mut pod = crashing_pod();
        pod.meta.owners.push(OwnerRef {
            kind: "ReplicaSet".into(),
            name: "ctl-5d9c7f6b8".into(),
            uid: None,
            controller: true,
        });
        edit(&mut pod);
        b.add_pod(pod);
        b.add_log(previous_log_lines(LogFormat::KlogText, lines));
        b.finish()
    }

    fn all_commands(plan: &[PlanStep]) -> Vec<String> {
        plan.iter().flat_map(|s| s.commands.clone()).collect()
    }

    #[test]
    fn rbac_plan_names_the_service_account_and_rule() {
        let ev = with_log(
            &[(
                Severity::Error,
                r#"failed to list *v1.Secret: secrets is forbidden: User "system:serviceaccount:ns:ctl" cannot list resource "secrets" in API group "" at the cluster scope"#,
            )],
            |_| {},
        );
        let plan = plan_for(&ev);
        let cmds = all_commands(&plan);
        assert!(
            cmds.contains(
                &"kubectl auth can-i list secrets --as=system:serviceaccount:ns:ctl -A".to_owned()
            ),
            "{cmds:#?}"
        );
        assert!(
            cmds.contains(
                &"kubectl create clusterrole ctl-secrets --verb=get,list,watch --resource=secrets"
                    .to_owned()
            )
        );
        assert!(cmds.contains(&"kubectl create clusterrolebinding ctl-secrets --clusterrole=ctl-secrets --serviceaccount=ns:ctl".to_owned()));
        let patch = plan.iter().find_map(|s| s.patch.clone()).unwrap();
        assert!(
            patch.contains("resources: [\"secrets\"]") && patch.contains("\"watch\""),
            "{patch}"
        );
        assert!(plan.iter().all(|s| !s.verify.is_empty()));
    }

    #[test]
    fn missing_crd_plan_names_the_crd() {
        let ev = with_log(
            &[(
                Severity::Error,
                r#"if kind is a CRD, it should be installed before calling Start: no matches for kind "OpAMPBridge" in version "opentelemetry.io/v1alpha1""#,
            )],
            |_| {},
        );
        let cmds = all_commands(&plan_for(&ev));
        assert!(
            cmds.contains(&"kubectl get crd opampbridges.opentelemetry.io -o jsonpath='{.spec.versions[*].name}'".to_owned()),
            "{cmds:#?}"
        );
        assert!(cmds.contains(&"kubectl api-resources --api-group=opentelemetry.io".to_owned()));
        assert_eq!(plural("Ingress"), "ingresses");
        assert_eq!(plural("Policy"), "policies");
        assert_eq!(plural("Gateway"), "gateways");
    }

    #[test]
    fn oom_plan_doubles_the_limit() {
        let mut b = EvidenceBuilder::new();
        let mut pod = crashing_pod();
        pod.meta.owners.push(OwnerRef {
            kind: "ReplicaSet".into(),
            name: "ctl-5d9c7f6b8".into(),
            uid: None,
            controller: true,
        });
        pod.containers[0].resources.limits.memory_bytes = Some(100 << 20);
        pod.containers[0].last_state = Some(ContainerState::Terminated {
            reason: Some("OOMKilled".into()),
            message: None,
            exit_code: Some(137),
            signal: None,
            started: None,
            finished: None,
        });
        b.add_pod(pod);
        let plan = plan_for(&b.finish());
        let cmds = all_commands(&plan);
        assert!(
            cmds.contains(
                &"kubectl set resources deployment/ctl -n ns -c controller --limits=memory=200Mi"
                    .to_owned()
            ),
            "{cmds:#?}"
        );
        let step = plan.iter().find(|s| s.title.contains("200Mi")).unwrap();
        assert!(matches!(step.action, Action::PatchWorkload { .. }));
        assert!(step.patch.as_deref().unwrap().contains("memory: 200Mi"));
        assert_eq!(doubled_mi(300 * 1000 * 1000), 573);
    }

    #[test]
    fn read_only_plan_mounts_an_empty_dir() {
        let ev = with_log(
            &[(
                Severity::Fatal,
                "panic: open /var/cache/app/index.db: read-only file system",
            )],
            |_| {},
        );
        let plan = plan_for(&ev);
        let step = plan
            .iter()
            .find(|s| s.title.contains("emptyDir"))
            .unwrap_or_else(|| panic!("{plan:#?}"));
        assert!(step.title.contains("/var/cache/app"), "{}", step.title);
        assert!(
            step.patch
                .as_deref()
                .unwrap()
                .contains("mountPath: /var/cache/app")
        );
        // The panic is explained by the filesystem: its step only points there.
        assert!(
            plan.iter().all(|s| !s.title.contains("Roll ctl back")),
            "{plan:#?}"
        );
    }

    #[test]
    fn unknown_flag_plan_removes_it_from_args() {
        let ev = with_log(
            &[(
                Severity::Unknown,
                "flag provided but not defined: -zap-level",
            )],
            |p| {
                p.containers[0].args =
                    vec!["--metrics-addr=:8080".into(), "-zap-level=debug".into()];
                p.containers[0].image = Some("example/controller:v1".into());
            },
        );
        let plan = plan_for(&ev);
        let cmds = all_commands(&plan);
        assert!(
            cmds.iter()
                .any(|c| c.contains(r#""value":["--metrics-addr=:8080"]"#)
                    && c.contains("/containers/0/args")),
            "{cmds:#?}"
        );
    }

    #[test]
    fn dns_and_dependency_plans_quote_the_name() {
        let ev = with_log(
            &[(
                Severity::Fatal,
                "dial tcp: lookup postgres.shop.svc.cluster.local on 10.96.0.10:53: no such host",
            )],
            |_| {},
        );
        let cmds = all_commands(&plan_for(&ev));
        assert!(
            cmds.iter()
                .any(|c| c.ends_with("nslookup postgres.shop.svc.cluster.local")
                    && c.contains("node/node-a")),
            "{cmds:#?}"
        );
        let ev = with_log(
            &[(Severity::Fatal, r#"secret "webhook-server-cert" not found"#)],
            |_| {},
        );
        let cmds = all_commands(&plan_for(&ev));
        assert!(
            cmds.contains(&"kubectl get secret webhook-server-cert -n ns".to_owned()),
            "{cmds:#?}"
        );
    }
}
