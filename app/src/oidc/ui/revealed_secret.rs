//! A client secret just made (by "Add OIDC client" or "Regenerate secret"): shown this once,
//! with the Headscale settings that use it.

use leptos::either::Either;
use leptos::prelude::*;

use super::copy_block::CopyBlock;
use crate::components::clipboard::LinkField;
use crate::oidc::model::{OidcClient, headscale_config};

/// What the page shows once after a client or a secret was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revealed {
    pub client: OidcClient,
    pub secret: Option<String>,
    /// "added" or "regenerated".
    pub what: &'static str,
}

#[component]
pub fn RevealedSecret(revealed: Revealed, issuer: String, on_done: Callback<()>) -> impl IntoView {
    let config = headscale_config(&issuer, &revealed.client, revealed.secret.as_deref());
    let heading = match revealed.what {
        "regenerated" => format!("New secret for {}", revealed.client.name),
        _ => format!("{} added", revealed.client.name),
    };
    view! {
        <section class="notice revealed" aria-labelledby="revealed-heading">
            <h2 id="revealed-heading">{heading}</h2>
            <dl class="facts">
                <dt>"Client ID"</dt>
                <dd>
                    <code>{revealed.client.id.clone()}</code>
                </dd>
            </dl>
            {match revealed.secret.clone() {
                Some(secret) => {
                    Either::Left(view! {
                        <p>
                            <strong>"Copy the client secret now: Gatehouse shows it only once."</strong>
                        </p>
                        <LinkField
                            id="client-secret"
                            label="Client secret"
                            link=secret
                            copied=false
                            attempted=false
                        />
                    })
                }
                None => {
                    Either::Right(view! {
                        <p>
                            "A public client has no secret: it proves itself with PKCE on every sign-in."
                        </p>
                    })
                }
            }}
            <CopyBlock id="revealed-headscale".to_owned() heading="Headscale settings" text=config />
            <button type="button" on:click=move |_| on_done.run(())>
                "Done"
            </button>
        </section>
    }
}
