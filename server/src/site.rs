//! Where the browser's files (wasm, JS, CSS) come from. A release built with the feature
//! `embed-site` carries them inside the binary (brotli-compressed at build time; gzip made
//! once at start) and serves them under `/v-<site id>/pkg/`, where the id is a hash of the
//! files: every name changes with a new build, so they are cached for a year as immutable and
//! a browser never mixes two releases. Without the feature (development and the test suites)
//! Leptos serves them from `LEPTOS_SITE_ROOT` on disk, as cargo-leptos wrote them.

use axum::Router;

/// The hash of the embedded site, if there is one.
#[cfg(feature = "embed-site")]
pub const SITE_ID: Option<&str> = Some(env!("GATEHOUSE_SITE_ID"));
#[cfg(not(feature = "embed-site"))]
pub const SITE_ID: Option<&str> = None;

/// The folder of the embedded site's files as pages name it (`v-<id>/pkg`), if embedded.
pub fn embedded_pkg_dir() -> Option<String> {
    SITE_ID.map(|id| format!("v-{id}/pkg"))
}

/// The routes of the embedded site (none without it).
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    #[cfg(feature = "embed-site")]
    if let Some(id) = SITE_ID {
        let files = memory_serve::load!()
            .index_file(None)
            .cache_control(memory_serve::CacheControl::Long)
            .into_router();
        return Router::new().nest(&format!("/v-{id}"), files);
    }
    Router::new()
}
