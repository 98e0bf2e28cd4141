//! `/admin/:tailnet/users`: the tailnet's members.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::auth::model::users_path;
use crate::components::set_status;
use crate::error::AppError;
use crate::format::utc_date;
use crate::ids::TailnetId;
use crate::members::api::list_members;
use crate::members::model::MembersPage;

#[component]
pub fn UsersPage() -> impl IntoView {
    let params = use_params_map();
    let tailnet = move || TailnetId::from_raw(params.read().get("tailnet").unwrap_or_default());
    let page = Resource::new(tailnet, list_members);

    view! {
        <Title text="Users" />
        <nav class="subnav" aria-label="Admin console">
            <a href=move || users_path(&tailnet()) aria-current="page">
                "Users"
            </a>
        </nav>
        <Suspense fallback=|| view! { <p class="muted">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <MembersTable page /> }.into_any(),
                    Err(error) => view! { <AccessProblem error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MembersTable(page: MembersPage) -> impl IntoView {
    let count = page.members.len();
    let rows = page
        .members
        .into_iter()
        .map(|member| {
            view! {
                <tr>
                    <td>{member.display_name}</td>
                    <td>{member.email}</td>
                    <td>{member.role.label()}</td>
                    <td>{member.status.label()}</td>
                    <td>{utc_date(member.joined_at)}</td>
                    <td>{member.last_seen_at.map(utc_date).unwrap_or_else(|| "—".to_owned())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card wide">
            <h1>"Users"</h1>
            <p class="muted">{page.tailnet_name} " · " {count} {if count == 1 { " member" } else { " members" }}</p>
            <table>
                <caption class="visually-hidden">"Members of this tailnet"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Joined"</th>
                        <th scope="col">"Last seen"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

/// Why the list is not shown, in words; the status code was set by the server function.
#[component]
fn AccessProblem(error: AppError) -> impl IntoView {
    set_status(error.status_code());
    let (title, body) = match &error {
        AppError::Unauthenticated => (
            "Please sign in",
            "Sign in with your passkey to see this page.",
        ),
        AppError::Forbidden => (
            "You don't have access to this page",
            "Only admins of this tailnet can see its users. Ask an Owner or Admin if you need access.",
        ),
        _ => ("Users could not be loaded", ""),
    };
    let detail = if body.is_empty() {
        error.to_string()
    } else {
        body.to_owned()
    };
    let sign_in = matches!(error, AppError::Unauthenticated);
    view! {
        <section class="card narrow">
            <h1>{title}</h1>
            <p role="alert">{detail}</p>
            {sign_in.then(|| view! { <a class="button primary" href="/login">"Sign in"</a> })}
            {(!sign_in).then(|| view! { <a href="/">"Go to your tailnets"</a> })}
        </section>
    }
}
