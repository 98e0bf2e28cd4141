//! (ssr) Who a request is for, looked up once however many of its parts ask: the session with
//! its person, their tailnets and roles, in one statement. In a page render the account menu,
//! the page, each of its lists and their permission checks all ask.
//!
//! Leptos gives page renders and server function calls the same context, so each request, of
//! either kind, starts with an empty cache, and nothing is kept between requests. A change never
//! relies on what is kept here: who may make it is read again, and locked, inside the change's
//! own transaction (`authority.rs`).

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::{provide_context, use_context};
use tokio::sync::OnceCell;

use crate::auth::model::SignedInUser;
use crate::auth::sessions::Session;
use crate::error::AppError;

/// Who a page is rendered for: the live session and its person, or nobody signed in.
pub type Visitor = Option<(Session, SignedInUser)>;

#[derive(Clone, Default)]
pub struct PageCache {
    visitor: Arc<OnceCell<Result<Visitor, AppError>>>,
}

/// Called once per request (page or server function), before anything asks.
pub fn provide_page_cache() {
    provide_context(PageCache::default());
}

/// `look_up`'s answer, looked up once per request however often asked; `None` (and `look_up`
/// not called) where no cache was provided, as in a plain HTTP handler.
pub async fn visitor<Fut>(look_up: impl FnOnce() -> Fut) -> Option<Result<Visitor, AppError>>
where
    Fut: Future<Output = Result<Visitor, AppError>>,
{
    let page = use_context::<PageCache>()?;
    Some(page.visitor.get_or_init(look_up).await.clone())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use leptos::prelude::Owner;

    use super::*;
    use crate::ids::UserId;

    fn look_up_counting(looks: &AtomicUsize) -> impl Future<Output = Result<Visitor, AppError>> {
        looks.fetch_add(1, Ordering::SeqCst);
        let user_id = UserId::from_raw("u1");
        std::future::ready(Ok(Some((
            Session {
                token_hash: "hash".to_owned(),
                user_id: user_id.clone(),
                verified_at: 0,
                passkey_id: None,
            },
            SignedInUser {
                user_id,
                display_name: "Ada".to_owned(),
                email: "ada@example.com".to_owned(),
                tailnets: Vec::new(),
            },
        ))))
    }

    #[tokio::test]
    async fn one_request_looks_the_visitor_up_once() {
        let owner = Owner::new();
        owner.set();
        provide_page_cache();
        let looks = AtomicUsize::new(0);
        for _ in 0..3 {
            let visitor = visitor(|| look_up_counting(&looks)).await;
            let name = visitor
                .and_then(Result::ok)
                .flatten()
                .map(|(_, user)| user.display_name);
            assert_eq!(name, Some("Ada".to_owned()));
        }
        assert_eq!(looks.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn without_a_cache_nothing_is_looked_up() {
        let owner = Owner::new();
        owner.set();
        let looks = AtomicUsize::new(0);
        assert!(visitor(|| look_up_counting(&looks)).await.is_none());
        assert_eq!(looks.load(Ordering::SeqCst), 0);
    }
}
