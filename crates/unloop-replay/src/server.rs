//! HTTP: the axum router, request dispatch, and serving on loopback.
//!
//! One fallback handler parses every API path itself ([`crate::request`]):
//! Kubernetes paths are regular but too varied for a route table. The router
//! is a plain `tower` service, so it can be handed to `kube::Client::new` for
//! in-process tests, and wrapped in layers (fault injection, later) before
//! it is served.

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use serde_json::{Value, json};

use crate::app::Replay;
use crate::discovery;
use crate::error::{ApiError, ApiResult, ReplayError};
use crate::list;
use crate::patch::PatchType;
use crate::request::{Params, ResourcePath, Route, negotiate, parse_path};
use crate::resources::ResourceInfo;
use crate::subresources::{eviction, log, scale};
use crate::watch;
use crate::write::{self, DeleteOptions, Part};

/// The largest request body accepted.
const BODY_LIMIT: usize = 64 << 20;

/// The router serving `replay`.
pub fn router(replay: Arc<Replay>) -> Router {
    Router::new()
        .fallback(dispatch)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(replay)
}

/// A JSON response.
fn json_response(code: u16, body: Vec<u8>) -> Response {
    let code = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    let mut resp = (code, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn json_value(code: u16, v: &Value) -> Response {
    json_response(code, serde_json::to_vec(v).unwrap_or_default())
}

async fn dispatch(
    State(r): State<Arc<Replay>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&r, &method, &uri, &headers, &body) {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn handle(
    r: &Arc<Replay>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Response> {
    let path = uri.path();
    match path {
        "/version" | "/version/" => return Ok(json_value(200, &discovery::version(r))),
        "/healthz" | "/readyz" | "/livez" => {
            let mut resp = (StatusCode::OK, "ok").into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            return Ok(resp);
        }
        _ => {}
    }
    let params = Params(
        Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map(|q| q.0)
            .unwrap_or_default(),
    );
    let route = parse_path(path).ok_or_else(ApiError::no_route)?;
    let read_only = |v: ApiResult<Value>| -> ApiResult<Response> {
        if method != Method::GET {
            return Err(ApiError::method_not_allowed());
        }
        v.map(|v| json_value(200, &v))
    };
    match route {
        Route::CoreVersions => {
            let host = header_str(headers, header::HOST).unwrap_or("127.0.0.1");
            read_only(Ok(discovery::core_versions(host)))
        }
        Route::Groups => read_only(Ok(discovery::groups(r))),
        Route::Group(g) => read_only(discovery::group(r, &g)),
        Route::ResourceList { group, version } => {
            read_only(discovery::resource_list(r, &group, &version))
        }
        Route::Resource(p) => resource(r, &p, method, headers, &params, body),
    }
}

fn resource(
    r: &Arc<Replay>,
    p: &ResourcePath,
    method: &Method,
    headers: &HeaderMap,
    params: &Params,
    body: &[u8],
) -> ApiResult<Response> {
    let res = r
        .resources
        .get(&p.group, &p.version, &p.plural)
        .ok_or_else(ApiError::no_route)?;
    if p.namespace.is_some() && !res.namespaced {
        return Err(ApiError::no_route());
    }
    if res.namespaced && p.namespace.is_none() && p.name.is_some() {
        return Err(ApiError::no_route());
    }
    let accept = header_str(headers, header::ACCEPT);
    let content_type = header_str(headers, header::CONTENT_TYPE).unwrap_or("application/json");
    let ns = p.namespace.as_deref();
    let Some(name) = p.name.as_deref() else {
        return collection(
            r,
            &res,
            ns,
            p.watch,
            method,
            accept,
            content_type,
            params,
            body,
        );
    };
    let ns_str = ns.unwrap_or("");
    match p.subresource.as_deref() {
        None => {
            if p.watch {
                if method != Method::GET {
                    return Err(ApiError::method_not_allowed());
                }
                return watch::watch(
                    r.clone(),
                    res.clone(),
                    p.namespace.clone(),
                    Some(name.to_owned()),
                    params,
                    negotiate(accept)?,
                );
            }
            match *method {
                Method::GET => {
                    let shape = negotiate(accept)?;
                    let obj = list::get(r, &res, ns_str, name)?;
                    Ok(json_value(
                        200,
                        &list::render_object(r, &res, &obj, shape, params),
                    ))
                }
                Method::PUT => {
                    let new = write::parse_body(body, content_type)?;
                    let out = write::update(r, &res, ns_str, name, new, Part::Main, params)?;
                    Ok(json_value(200, &out))
                }
                Method::PATCH => patch(
                    r,
                    &res,
                    ns_str,
                    name,
                    Part::Main,
                    content_type,
                    params,
                    body,
                ),
                Method::DELETE => {
                    let opts = DeleteOptions::read(params, body)?;
                    Ok(json_value(
                        200,
                        &write::delete(r, &res, ns_str, name, &opts)?,
                    ))
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        Some("status") if res.has_status_subresource() => match *method {
            Method::GET => Ok(json_value(200, &*list::get(r, &res, ns_str, name)?)),
            Method::PUT => {
                let new = write::parse_body(body, content_type)?;
                Ok(json_value(
                    200,
                    &write::update(r, &res, ns_str, name, new, Part::Status, params)?,
                ))
            }
            Method::PATCH => patch(
                r,
                &res,
                ns_str,
                name,
                Part::Status,
                content_type,
                params,
                body,
            ),
            _ => Err(ApiError::method_not_allowed()),
        },
        Some("scale") if res.subresource("scale").is_some() => match *method {
            Method::GET => Ok(json_value(200, &scale::get(r, &res, ns_str, name)?)),
            Method::PUT => {
                let s = write::parse_body(body, content_type)?;
                Ok(json_value(
                    200,
                    &scale::update(r, &res, ns_str, name, &s, params)?,
                ))
            }
            Method::PATCH => {
                let ty = PatchType::from_content_type(content_type)?;
                let patch = write::parse_body(body, "application/json")?;
                Ok(json_value(
                    200,
                    &scale::patch(r, &res, ns_str, name, ty, &patch, params)?,
                ))
            }
            _ => Err(ApiError::method_not_allowed()),
        },
        Some("log") if res.subresource("log").is_some() => {
            if *method != Method::GET {
                return Err(ApiError::method_not_allowed());
            }
            let text = log::logs(r, ns_str, name, params)?;
            let mut resp = (StatusCode::OK, text).into_response();
            resp.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            Ok(resp)
        }
        Some("eviction") if res.subresource("eviction").is_some() => {
            if *method != Method::POST {
                return Err(ApiError::method_not_allowed());
            }
            Ok(json_value(
                201,
                &eviction::evict(r, &res, ns_str, name, body, params)?,
            ))
        }
        Some(_) => Err(ApiError::no_route()),
    }
}

#[allow(clippy::too_many_arguments)]
fn collection(
    r: &Arc<Replay>,
    res: &Arc<ResourceInfo>,
    ns: Option<&str>,
    watch_path: bool,
    method: &Method,
    accept: Option<&str>,
    content_type: &str,
    params: &Params,
    body: &[u8],
) -> ApiResult<Response> {
    match *method {
        Method::GET => {
            let shape = negotiate(accept)?;
            if watch_path || params.flag("watch") {
                return watch::watch(
                    r.clone(),
                    res.clone(),
                    ns.map(str::to_owned),
                    None,
                    params,
                    shape,
                );
            }
            let page = list::list_page(r, res, ns, params)?;
            Ok(json_response(
                200,
                list::render_page(r, res, &page, shape, params),
            ))
        }
        Method::POST => {
            let obj = write::parse_body(body, content_type)?;
            Ok(json_value(201, &write::create(r, res, ns, obj, params)?))
        }
        Method::DELETE => {
            let opts = DeleteOptions::read(params, body)?;
            let mut all = params.clone();
            all.0.retain(|(k, _)| k != "limit" && k != "continue");
            let page = list::list_page(r, res, ns, &all)?;
            let mut deleted = Vec::new();
            for o in &page.items {
                let (ons, oname) = (
                    crate::meta::namespace(o).to_owned(),
                    crate::meta::name(o).to_owned(),
                );
                match write::delete(r, res, &ons, &oname, &opts) {
                    Ok(d) => deleted.push(d),
                    Err(e) if e.code == 404 => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(json_value(
                200,
                &json!({
                    "kind": format!("{}List", res.kind),
                    "apiVersion": res.api_version(),
                    "metadata": {"resourceVersion": r.store.resource_version().to_string()},
                    "items": deleted,
                }),
            ))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

#[allow(clippy::too_many_arguments)]
fn patch(
    r: &Replay,
    res: &ResourceInfo,
    ns: &str,
    name: &str,
    part: Part,
    content_type: &str,
    params: &Params,
    body: &[u8],
) -> ApiResult<Response> {
    let ty = PatchType::from_content_type(content_type)?;
    let patch = write::parse_body(
        body,
        if ty == PatchType::Apply {
            "application/yaml"
        } else {
            "application/json"
        },
    )?;
    let existing = match r.store.get(&res.storage(), ns, name) {
        Some(e) => e,
        // Server-side apply creates what does not exist.
        None if ty == PatchType::Apply && part == Part::Main => {
            let mut obj = patch;
            crate::meta::set_meta(&mut obj, "name", json!(name));
            return Ok(json_value(
                201,
                &write::create(r, res, Some(ns).filter(|n| !n.is_empty()), obj, params)?,
            ));
        }
        None => return Err(ApiError::not_found(&res.qualified(), name)),
    };
    let mut new = (*existing).clone();
    ty.apply(&mut new, &patch)?;
    // A resourceVersion in the patch is a precondition; otherwise none.
    if patch.pointer("/metadata/resourceVersion").is_none() {
        crate::meta::metadata_mut(&mut new).remove("resourceVersion");
    }
    let out = write::commit_update(r, res, &existing, new, part, params.dry_run()?)?;
    Ok(json_value(200, &out))
}

/// Binds 127.0.0.1:`port` (0 for any free port). Never any other address:
/// a snapshot may hold a customer's data.
pub async fn bind(port: u16) -> Result<tokio::net::TcpListener, ReplayError> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ReplayError::Bind {
            addr: addr.to_string(),
            source,
        })
}

/// Serves `replay` on `listener` until `shutdown` completes.
pub async fn serve(
    replay: Arc<Replay>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ReplayError> {
    serve_router(router(replay), listener, shutdown).await
}

/// Serves `router` (the replay's, perhaps wrapped in layers such as
/// [`crate::faults::layer`]) on `listener` until `shutdown` completes.
pub async fn serve_router(
    router: Router,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ReplayError> {
    // Small writes (watch events) go out at once, not after a delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ReplayError::Serve)
}
