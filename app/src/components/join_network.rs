//! How to bring a device into the network when the tailnet has a "Coordination server URL":
//! the command line's `tailscale up --login-server <URL>`, and the apps' custom coordination
//! server setting. Shown on the welcome page and the home page (the invite email says the
//! same).

use leptos::prelude::*;

use crate::tailnets::model::login_command;

/// The join steps for one coordination server, as list items of an `<ol class="steps">`.
#[component]
pub fn JoinSteps(coordination_server_url: String, client_download_url: String) -> impl IntoView {
    let command = login_command(&coordination_server_url);
    view! {
        <li>
            <a href=client_download_url rel="noopener noreferrer">
                "Download the client"
            </a>
            " and install it on each device you want in the tailnet."
        </li>
        <li>
            "Join the network. On the command line: "
            <code class="command">{command}</code>
            ". In the desktop and mobile apps, set the custom coordination server (login server) to "
            <code>{coordination_server_url}</code>
            " in the app's settings, then log in."
        </li>
        <li>"Log in with your Gatehouse passkey when the client asks."</li>
    }
}
