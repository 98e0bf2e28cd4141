//! `/login`: "Sign in with passkey", and the same passkeys offered in the email field's
//! autofill where the browser supports it (WebAuthn conditional mediation). The autofill
//! request starts when the field is focused, with a challenge fetched when the page loaded.
//! `/login?next=/path` returns to that page of this site once signed in.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use super::tailnet_list::YourTailnets;
use crate::auth::api::{finish_sign_in, start_sign_in};
use crate::auth::model::{PasskeyChallenge, return_path};
use crate::components::alert::ErrorAlert;
use crate::components::browser_only::{BrowserValue, browser_action};
use crate::components::passkey_button::PasskeyButton;
use crate::components::{load_page, use_current_user};
use crate::error::AppError;
use crate::passkeys::browser::{
    BrowserPasskeyError, PendingAutofill, autofill_available, passkeys_supported, use_passkey,
    use_passkey_from_autofill,
};
use crate::passkeys::wire::PasskeyRequestOptions;

/// Signs in with a passkey the browser offers; returns where to go next.
pub async fn sign_in_with_passkey() -> Result<String, String> {
    let challenge = start_sign_in().await.map_err(|e| e.to_string())?;
    let credential = use_passkey(challenge.options)
        .await
        .map_err(|e| e.to_string())?;
    finish_sign_in(challenge.ceremony, credential)
        .await
        .map_err(|e: AppError| e.to_string())
}

/// A sign-in challenge fetched ahead, so that the autofill request can start the moment the
/// email field is focused; older than this, a fresh one is fetched.
const PREPARED_CHALLENGE_MAX_AGE_MS: f64 = 4.0 * 60.0 * 1000.0;

type SignInChallenge = PasskeyChallenge<PasskeyRequestOptions>;

/// The autofill's state on this page: a prepared challenge, and the request waiting in the
/// field (which "Sign in with passkey" cancels).
#[derive(Clone, Copy)]
struct Autofill {
    /// Whether the browser offers passkeys in autofill; known after hydration.
    available: StoredValue<bool>,
    prepared: BrowserValue<(SignInChallenge, f64)>,
    pending: BrowserValue<PendingAutofill>,
    error: RwSignal<Option<String>>,
    /// Where to go once signed in instead of the person's landing page.
    next: Memo<Option<String>>,
}

impl Autofill {
    fn new(next: Memo<Option<String>>) -> Self {
        Self {
            available: StoredValue::new(false),
            prepared: BrowserValue::new(),
            pending: BrowserValue::new(),
            error: RwSignal::new(None),
            next,
        }
    }

    /// Fetches a challenge ahead when the browser offers passkeys in autofill.
    async fn prepare(self) {
        if !autofill_available().await {
            return;
        }
        // The page may be gone by the time the browser answers.
        let _ = self.available.try_set_value(true);
        if let Ok(challenge) = start_sign_in().await {
            self.prepared.set(Some((challenge, js_now())));
        }
    }

    fn cancel(self) {
        if let Some(pending) = self.pending.get() {
            pending.cancel();
        }
    }

    /// The email field got focus: start offering passkeys in its autofill, unless already.
    fn start(self) {
        let waiting = self
            .pending
            .get()
            .is_some_and(|pending| !pending.was_cancelled());
        if waiting || !self.available.get_value() {
            return;
        }
        let challenge = self
            .prepared
            .get()
            .filter(|(_, fetched_at)| js_now() - fetched_at < PREPARED_CHALLENGE_MAX_AGE_MS)
            .map(|(challenge, _)| challenge);
        self.prepared.set(None);
        leptos::task::spawn_local(async move {
            self.offer(challenge).await;
            self.pending.set(None);
        });
    }

    /// Waits in the autofill until the person picks a passkey (and is signed in), or the
    /// request ends otherwise (cancelled, timed out: focusing the field again restarts it). A
    /// passkey Gatehouse refuses shows why, and the field offers passkeys again.
    async fn offer(self, mut challenge: Option<SignInChallenge>) {
        loop {
            let Some(pending) = PendingAutofill::new() else {
                return;
            };
            if !self.pending.set(Some(pending.clone())) {
                return; // the page is gone
            }
            let current = match challenge.take() {
                Some(current) => current,
                None => match start_sign_in().await {
                    Ok(fetched) => fetched,
                    Err(_) => return,
                },
            };
            match use_passkey_from_autofill(current.options, &pending).await {
                Ok(credential) => match finish_sign_in(current.ceremony, credential).await {
                    Ok(landing) => {
                        let next = self.next.try_get_untracked().flatten();
                        load_page(&next.unwrap_or(landing));
                        return;
                    }
                    // The sign-in request expired while the field waited: offer passkeys again.
                    Err(AppError::Gone(_)) => {}
                    Err(refused) => {
                        self.error.try_set(Some(refused.to_string()));
                    }
                },
                Err(_) => return,
            }
        }
    }
}

/// Milliseconds on the browser's clock (0 outside a browser).
fn js_now() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let next = Memo::new(move |_| query.read().get("next").and_then(|next| return_path(&next)));
    let autofill = Autofill::new(next);
    let sign_in = browser_action(move |(): &()| {
        autofill.cancel();
        async move {
            let landing = sign_in_with_passkey().await?;
            load_page(&next.get_untracked().unwrap_or(landing));
            Ok::<(), String>(())
        }
    });
    let unsupported = RwSignal::new(false);
    let error = Signal::derive(move || {
        if unsupported.get() {
            return Some(BrowserPasskeyError::Unsupported.to_string());
        }
        sign_in
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| autofill.error.get())
    });
    // After hydration: say at once when the browser has no passkeys, else get the autofill ready.
    Effect::new(move || {
        if passkeys_supported() {
            leptos::task::spawn_local(autofill.prepare());
        } else {
            unsupported.set(true);
        }
    });
    on_cleanup(move || autofill.cancel());
    let user = use_current_user();

    view! {
        <Title text="Sign in" />
        <section class="card narrow">
            <h1>"Sign in to Gatehouse"</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let person = user.0.await.ok().flatten();
                    person.map(|person| {
                        let next = next.get_untracked();
                        // An app asked for a fresh sign-in (`prompt=login`, `max_age`): going on
                        // without one would only come back here.
                        let again = next
                            .as_deref()
                            .is_some_and(|n| n.starts_with(crate::oidc::AUTHORIZE_PATH));
                        let onward = next.unwrap_or_else(|| person.landing_path());
                        let notice = if again {
                            Either::Left(view! {
                                <p class="notice">
                                    "You are signed in as " {person.display_name.clone()}
                                    ". The app you came from asks you to confirm with your passkey again."
                                </p>
                            })
                        } else {
                            Either::Right(view! {
                                <p class="notice">
                                    "You are signed in as " {person.display_name.clone()} ". "
                                    <a href=onward>"Continue"</a>
                                </p>
                            })
                        };
                        view! {
                            {notice}
                            <YourTailnets person />
                        }
                    })
                })}
            </Suspense>
            <p>"Use a passkey you created for Gatehouse."</p>
            // `novalidate`: the email is only there for the browser's suggestions, so whatever it
            // holds never stops "Sign in with passkey".
            <form
                novalidate
                on:submit=move |event| {
                    event.prevent_default();
                    sign_in.dispatch(());
                }
            >
                <div class="field">
                    <label for="sign-in-email">"Email"</label>
                    <input
                        id="sign-in-email"
                        name="username"
                        type="email"
                        autocomplete="username webauthn"
                        aria-describedby="sign-in-email-hint"
                        on:focus=move |_| autofill.start()
                    />
                    <p id="sign-in-email-hint" class="muted">
                        "Your browser may suggest your passkeys here. Gatehouse does not need your email to sign you in."
                    </p>
                </div>
                <ErrorAlert message=error />
                <PasskeyButton
                    label="Sign in with passkey"
                    kind="submit"
                    pending=sign_in.pending()
                    primary=true
                />
            </form>
            <noscript>
                <p class="alert error">"Passkeys need JavaScript. Please enable it for this site."</p>
            </noscript>
        </section>
    }
}
