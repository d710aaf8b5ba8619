//! Replay: serves an evidence snapshot (a `cluster-info dump`, `kubectl get -o
//! yaml|json` files, logs) as a live Kubernetes API on loopback, which kubectl,
//! kube-rs and other clients can read and change.
//!
//! - [`load`] reads the inputs (through `unloop_core::evidence::raw`) into a
//!   [`store::Store`] and finds the resources to serve ([`resources`]).
//! - [`server`] answers HTTP: [`discovery`], [`list`] (get and list, with
//!   [`selectors`] and [`table`]s), [`watch`], [`write`] and [`patch`], and
//!   the [`subresources`].
//! - [`kubeconfig`] writes a kubeconfig for the address served.
//!
//! The store broadcasts every change ([`store::Store::subscribe`]), which is
//! what the optional [`simulate`] loop (controllers and kubelet) reacts to,
//! and [`server::router`] is a plain `tower` service that fault-injection
//! layers can wrap.

pub mod access;
pub mod app;
pub mod clock;
pub mod discovery;
pub mod error;
pub mod faults;
pub mod ids;
pub mod kubeconfig;
pub mod list;
pub mod load;
pub mod logs;
pub mod meta;
pub mod patch;
pub mod request;
pub mod resources;
pub mod selectors;
pub mod server;
pub mod simulate;
pub mod store;
pub mod subresources;
pub mod table;
pub mod units;
pub mod watch;
pub mod write;

pub use app::{Options, Replay};
pub use error::{ApiError, ReplayError};
pub use server::{bind, router, serve, serve_router};
