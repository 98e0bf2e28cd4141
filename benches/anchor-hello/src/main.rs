//! The anchor served as cargo-leptos's axum start template serves it, compressed as Gatehouse's
//! release is (pages per request; wasm and JS from brotli files made ahead, which `make bench`
//! writes beside them), so that `make bench` can time its hydration beside Gatehouse's on equal
//! terms. Reads `LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT` and `LEPTOS_SITE_PKG_DIR`.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() {
    use anchor_hello::{App, shell};
    use leptos::prelude::*;
    use leptos_axum::{LeptosRoutes, generate_route_list};

    let conf = get_configuration(None).expect("leptos configuration");
    let options = conf.leptos_options;
    let address = options.site_addr;
    let routes = generate_route_list(App);
    let pkg = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let router = axum::Router::new()
        .nest_service(
            &format!("/{}", options.site_pkg_dir),
            tower_http::services::ServeDir::new(pkg).precompressed_br(),
        )
        .leptos_routes(&options, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(shell))
        .with_state(options)
        .layer(tower_http::compression::CompressionLayer::new());
    let listener = tokio::net::TcpListener::bind(&address).await.expect("bind");
    println!("listening on http://{address}");
    axum::serve(listener, router.into_make_service()).await.expect("serve");
}

#[cfg(not(feature = "ssr"))]
fn main() {}
