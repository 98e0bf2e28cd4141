//! (ssr) What a page being rendered looks up once however many of its parts ask: the session
//! (the account menu, the page and each of its lists ask for it) and the signed-in person with
//! their tailnets and roles (the account menu and the page each have a resource of it, and the
//! page's permission checks read the viewer's role there).
//!
//! Only page renders carry a cache, and a render only reads. A server function call looks again
//! each time, because it may change what it read.

use std::future::Future;
use std::sync::Arc;

use leptos::prelude::{provide_context, use_context};
use tokio::sync::OnceCell;

use crate::auth::model::SignedInUser;
use crate::auth::sessions::Session;
use crate::error::AppError;

#[derive(Clone, Default)]
pub struct PageCache {
    session: Arc<OnceCell<Result<Session, AppError>>>,
    signed_in_user: Arc<OnceCell<Result<SignedInUser, AppError>>>,
}

/// Called once per page render, before the page asks anything of it.
pub fn provide_page_cache() {
    provide_context(PageCache::default());
}

/// The session: `look_up`'s answer, once per page render (each time outside one).
pub async fn session<Fut>(look_up: impl FnOnce() -> Fut) -> Result<Session, AppError>
where
    Fut: Future<Output = Result<Session, AppError>>,
{
    once_per_page(|page| &page.session, look_up).await
}

/// The signed-in person: `load`'s answer, once per page render (each time outside one).
pub async fn signed_in_user<Fut>(load: impl FnOnce() -> Fut) -> Result<SignedInUser, AppError>
where
    Fut: Future<Output = Result<SignedInUser, AppError>>,
{
    once_per_page(|page| &page.signed_in_user, load).await
}

/// `load`'s answer, kept in the `cell` of the page being rendered; outside a page render each
/// call loads again.
async fn once_per_page<T: Clone, Fut>(
    cell: fn(&PageCache) -> &OnceCell<Result<T, AppError>>,
    load: impl FnOnce() -> Fut,
) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    match use_context::<PageCache>() {
        Some(page) => cell(&page).get_or_init(load).await.clone(),
        None => load().await,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use leptos::prelude::Owner;

    use super::*;
    use crate::ids::UserId;

    fn load_counting(loads: &AtomicUsize) -> impl Future<Output = Result<SignedInUser, AppError>> {
        loads.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(SignedInUser {
            user_id: UserId::from_raw("u1"),
            display_name: "Ada".to_owned(),
            email: "ada@example.com".to_owned(),
            tailnets: Vec::new(),
        }))
    }

    #[tokio::test]
    async fn a_page_render_loads_the_signed_in_person_once() {
        let owner = Owner::new();
        owner.set();
        provide_page_cache();
        let loads = AtomicUsize::new(0);
        for _ in 0..3 {
            let user = signed_in_user(|| load_counting(&loads)).await;
            assert_eq!(user.map(|user| user.display_name), Ok("Ada".to_owned()));
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn outside_a_page_render_every_call_loads_again() {
        let owner = Owner::new();
        owner.set();
        let loads = AtomicUsize::new(0);
        for _ in 0..2 {
            signed_in_user(|| load_counting(&loads))
                .await
                .expect("load");
        }
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }
}
