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

/// The routes of the site's files: the embedded ones, or those on disk under
/// `LEPTOS_SITE_ROOT`. Files on disk are served by tower-http directly rather than by Leptos's
/// fallback handler, which gives a file the status of whatever page is rendering on the same
/// thread at that moment (a 403 page made the wasm a 403, and the page never hydrated).
pub fn routes<S>(options: &leptos::config::LeptosOptions) -> Router<S>
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
    let pkg_dir: &str = &options.site_pkg_dir;
    let folder = std::path::Path::new(&*options.site_root).join(pkg_dir);
    Router::new().nest_service(
        &format!("/{pkg_dir}"),
        tower_http::services::ServeDir::new(folder),
    )
}
