//! (ssr) The pages the authorization endpoint shows when it does not send the person straight
//! on: a request it cannot answer, and a person the client's tailnet does not let in. They are
//! plain HTML with the site's stylesheet and no script, so they are light and need nothing to
//! hydrate.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::email::escape_html;

/// Nothing runs; the stylesheet loads from here; forms post only here.
const POLICY: &str = "default-src 'none'; style-src 'self'; form-action 'self'; \
                      base-uri 'none'; frame-ancestors 'none'";

/// A way on from the page.
pub enum Way {
    /// A link (the client's redirect URI with `access_denied`).
    Link { label: String, href: String },
    /// A form that posts `next` to `action` (sign out, then sign in again).
    Post {
        label: String,
        action: &'static str,
        next: String,
    },
}

/// One page: a heading, what happened, and the ways on.
pub struct Page {
    pub status: StatusCode,
    pub title: String,
    pub message: String,
    pub ways: Vec<Way>,
    /// Where the stylesheet is (`/pkg/<output>.css`).
    pub stylesheet: String,
}

impl Page {
    /// A page with the site's stylesheet.
    pub fn new(
        state: &crate::context::AppState,
        status: StatusCode,
        title: &str,
        message: String,
        ways: Vec<Way>,
    ) -> Self {
        let options = &state.leptos_options;
        Self {
            status,
            title: title.to_owned(),
            message,
            ways,
            stylesheet: format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
        }
    }

    fn html(&self) -> String {
        let ways: String = self
            .ways
            .iter()
            .map(|way| match way {
                Way::Link { label, href } => format!(
                    "<a class=\"button\" href=\"{}\">{}</a>",
                    escape_html(href),
                    escape_html(label)
                ),
                Way::Post {
                    label,
                    action,
                    next,
                } => format!(
                    "<form method=\"post\" action=\"{action}\">\
                     <input type=\"hidden\" name=\"next\" value=\"{}\">\
                     <button class=\"primary\" type=\"submit\">{}</button></form>",
                    escape_html(next),
                    escape_html(label)
                ),
            })
            .collect();
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · Gatehouse</title>\
             <link rel=\"stylesheet\" href=\"{stylesheet}\"></head><body>\
             <header class=\"topbar\"><a class=\"brand\" href=\"/\">Gatehouse</a></header>\
             <main id=\"main\"><section class=\"card narrow\" aria-labelledby=\"page-title\">\
             <h1 id=\"page-title\">{title}</h1>\
             <p class=\"alert error\" role=\"alert\">{message}</p>\
             <div class=\"actions\">{ways}</div></section></main></body></html>",
            title = escape_html(&self.title),
            message = escape_html(&self.message),
            stylesheet = escape_html(&self.stylesheet),
        )
    }
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let mut response = (self.status, Html(self.html())).into_response();
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(POLICY),
        );
        response
    }
}
