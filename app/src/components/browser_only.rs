//! Browser-only state that a component also creates while the server renders it.
//!
//! The server renders pages on every core, and a page's reactive owner may be cleaned up on
//! another worker thread than the one that rendered it. Leptos's thread-bound constructors
//! (`Action::new_local`, `StoredValue::new_local`) wrap their contents in a `SendWrapper`, which
//! panics when dropped or read on another thread (the cause named in leptos-rs/leptos#3746).
//! The helpers here build the thread-bound part only in the browser, which has one thread; on
//! the server, which never runs an action nor sets such a value, they hold nothing thread-bound.
//! `clippy.toml` forbids the raw constructors everywhere else.

use std::future::Future;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

/// An action whose future may hold browser objects (a passkey prompt, the clipboard): a local
/// action in the browser, an inert one while rendering on the server.
pub fn browser_action<I, O, F, Fu>(action_fn: F) -> Action<I, O>
where
    I: Send + Sync + 'static,
    O: Send + Sync + 'static,
    F: Fn(&I) -> Fu + 'static,
    Fu: Future<Output = O> + 'static,
{
    #[cfg(not(feature = "ssr"))]
    {
        #[allow(clippy::disallowed_methods)]
        Action::new_local(action_fn)
    }
    #[cfg(feature = "ssr")]
    {
        drop(action_fn);
        Action::new(|_: &I| std::future::pending::<O>())
    }
}

/// A value only the browser sets (a prepared passkey request, a pending autofill). It is stored
/// wrapped so that the page's owner may be dropped on any thread while it is empty, which it
/// always is on the server.
pub struct BrowserValue<T: 'static>(StoredValue<Option<SendWrapper<T>>>);

impl<T: 'static> Clone for BrowserValue<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for BrowserValue<T> {}

impl<T: 'static> BrowserValue<T> {
    pub fn new() -> Self {
        Self(StoredValue::new(None))
    }
}

impl<T: Clone + 'static> BrowserValue<T> {
    /// The value, or `None` when unset or when its page is gone.
    pub fn get(self) -> Option<T> {
        self.0
            .try_with_value(|value| value.as_deref().cloned())
            .flatten()
    }

    /// Replaces the value; `false` when its page is gone.
    pub fn set(self, value: Option<T>) -> bool {
        self.0.try_set_value(value.map(SendWrapper::new)).is_none()
    }
}

impl<T: 'static> Default for BrowserValue<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// What the server does with a page: render it on one thread, drop its owner on another.
    fn render_here_drop_elsewhere(build: impl FnOnce() + Send + 'static) {
        let owner = std::thread::spawn(move || {
            let owner = Owner::new();
            owner.with(build);
            owner
        })
        .join()
        .expect("render thread");
        std::thread::spawn(move || drop(owner))
            .join()
            .expect("the owner drops on another thread without a panic");
    }

    #[test]
    fn an_action_made_while_rendering_drops_on_another_thread() {
        render_here_drop_elsewhere(|| {
            // A future holding something thread-bound, like a browser object.
            let local = std::rc::Rc::new(());
            let action = browser_action(move |(): &()| {
                let local = local.clone();
                async move { drop(local) }
            });
            assert!(!action.pending().get_untracked());
            assert_eq!(action.value().get_untracked(), None);
        });
    }

    #[test]
    fn a_browser_value_made_while_rendering_is_read_and_dropped_on_another_thread() {
        let cleaned_up = Arc::new(AtomicBool::new(false));
        let seen = cleaned_up.clone();
        render_here_drop_elsewhere(move || {
            let value = BrowserValue::<std::rc::Rc<String>>::new();
            assert_eq!(value.get(), None);
            // Pages read such values in `on_cleanup`, which runs where the owner drops.
            on_cleanup(move || {
                assert_eq!(value.get(), None);
                seen.store(true, Ordering::SeqCst);
            });
        });
        assert!(cleaned_up.load(Ordering::SeqCst));
    }

    #[test]
    fn a_browser_value_keeps_what_was_set_until_its_page_is_gone() {
        let owner = Owner::new();
        let value = owner.with(|| {
            let value = BrowserValue::<String>::new();
            assert!(value.set(Some("challenge".to_owned())));
            assert_eq!(value.get().as_deref(), Some("challenge"));
            assert!(value.set(None));
            assert_eq!(value.get(), None);
            assert!(value.set(Some("again".to_owned())));
            value
        });
        drop(owner);
        assert_eq!(value.get(), None);
        assert!(!value.set(Some("late".to_owned())));
    }
}
