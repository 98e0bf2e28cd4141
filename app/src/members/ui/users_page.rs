//! `/admin/:tailnet/users`: the tailnet's members and open invites, filtered and paged by the
//! server, with "Invite external users" and each row's actions.

use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

use super::member_actions::MemberActions;
use super::row_actions::{ApprovalActions, InviteActions, Notice};
use crate::components::access_problem::AccessProblem;
use crate::components::admin_nav::{AdminNav, AdminSection, tailnet_from_path};
use crate::components::clipboard::LinkField;
use crate::components::debounce::{DebouncedText, SearchField};
use crate::components::pager::Pager;
use crate::components::server_resource::{ServerResource, server_resource};
use crate::error::AppError;
use crate::format::utc_date;
use crate::ids::TailnetId;
use crate::invites::ui::invite_dialog::InviteDialog;
use crate::members::api::{get_users_overview, list_users};
use crate::members::model::{
    RowStatus, UserListPage, UserListQuery, UserListRow, UsersOverview, ViewerRights,
    users_export_path,
};
use crate::paging::PageRequest;
use crate::passkeys::ui::confirm_gate::{ConfirmGate, ConfirmGateDialog};
use crate::roles::{Role, may_grant};

#[component]
pub fn UsersPage() -> impl IntoView {
    let tailnet = tailnet_from_path();
    let overview = server_resource(move || tailnet.get(), get_users_overview);
    // Created here, outside the `<Suspense>`: a resource made inside a boundary's children can
    // keep the server's response from finishing (leptos-rs/leptos#4866).
    let controls = ListControls::new(tailnet);
    // Its dialog comes last in the page, so it stands above any dialog a change came from.
    let gate = ConfirmGate::provide();

    view! {
        <Title text="Users" />
        <AdminNav tailnet current=AdminSection::Users />
        <Suspense fallback=|| view! { <p class="muted">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => {
                        Either::Left(view! {
                            <UsersConsole tailnet=tailnet.get_untracked() overview controls />
                        })
                    }
                    Err(error) => {
                        Either::Right(view! { <AccessProblem error what="its users" subject="Users" /> })
                    }
                }
            })}
        </Suspense>
        <ConfirmGateDialog gate />
    }
}

/// The list's filters, page and reload counter, and the resource that reads the list.
#[derive(Clone, Copy)]
struct ListControls {
    status: RwSignal<Option<RowStatus>>,
    role: RwSignal<Option<Role>>,
    /// The "Search" box.
    search: DebouncedText,
    page: RwSignal<PageRequest>,
    reload: RwSignal<u32>,
    rows: ServerResource<Result<UserListPage, AppError>>,
}

impl ListControls {
    fn new(tailnet: Memo<TailnetId>) -> Self {
        // `?status=needs_approval` (the approver email's link) starts filtered, and `?q=` (a
        // webhook event's link) starts searched.
        let link = leptos_router::hooks::use_query_map().get_untracked();
        let from_link = link
            .get("status")
            .and_then(|value| RowStatus::parse(&value));
        let status = RwSignal::new(from_link);
        let role = RwSignal::new(None::<Role>);
        let search = DebouncedText::new();
        if let Some(searched) = link.get("q") {
            search.typed.set(searched.clone());
            search.settled.set(searched);
        }
        let page = RwSignal::new(PageRequest::First);
        let reload = RwSignal::new(0_u32);
        let query = Memo::new(move |_| UserListQuery {
            tailnet: tailnet.get(),
            status: status.get(),
            role: role.get(),
            search: search.settled.get(),
            page: page.get(),
        });
        // Resources keep only the newest request's answer, so a slow, stale search never
        // overwrites a newer one.
        let rows = server_resource(
            move || (query.get(), reload.get()),
            |(query, _)| list_users(query),
        );
        Self {
            status,
            role,
            search,
            page,
            reload,
            rows,
        }
    }
}

/// The filters, the table and the pager. The filters live outside the part that reloads, so
/// typing in "Search" never loses focus.
#[component]
fn UsersConsole(
    tailnet: TailnetId,
    overview: UsersOverview,
    controls: ListControls,
) -> impl IntoView {
    let ListControls {
        status,
        role,
        search,
        page,
        reload,
        rows,
    } = controls;
    let notice = RwSignal::new(None::<Notice>);
    let dialog_open = RwSignal::new(false);
    let loading = RwSignal::new(false);

    let refresh = Callback::new(move |()| reload.update(|n| *n += 1));
    let viewer = overview.viewer;
    let email_delivery_configured = overview.email_delivery_configured;
    let viewer_role = viewer.role;
    let active = overview.active_users;
    let dialog_tailnet = tailnet.clone();

    view! {
        <section class="card wide" aria-labelledby="users-heading">
            <div class="page-head">
                <div>
                    <h1 id="users-heading">"Users"</h1>
                    <p class="muted">
                        {overview.tailnet_name} " · "
                        {format!("{active} active {}", if active == 1 { "user" } else { "users" })}
                    </p>
                </div>
                <div class="export">
                    {viewer
                        .exports_users
                        .then(|| {
                            let export_tailnet = tailnet.clone();
                            let href = move || {
                                users_export_path(
                                    &export_tailnet,
                                    status.get(),
                                    role.get(),
                                    &search.settled.get(),
                                )
                            };
                            view! {
                                <a class="button" href=href download="">
                                    "Export users"
                                </a>
                            }
                        })}
                    {viewer
                        .manages_invites
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="primary"
                                    id="invite-external-users"
                                    aria-haspopup="dialog"
                                    on:click=move |_| dialog_open.set(true)
                                >
                                    "Invite external users"
                                </button>
                            }
                        })}
                </div>
            </div>
            <div class="filters" role="search">
                <div class="field">
                    <label for="status-filter">"Status"</label>
                    <select
                        id="status-filter"
                        on:change=move |event| {
                            page.set(PageRequest::First);
                            status.set(RowStatus::parse(&event_target_value(&event)));
                        }
                    >
                        <option value="all">"All"</option>
                        {RowStatus::ALL
                            .into_iter()
                            .filter(|s| viewer.sees_invites || !s.is_invite())
                            .map(|s| {
                                view! {
                                    <option value=s.as_str() selected=move || status.get() == Some(s)>
                                        {s.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="role-filter">"Role"</label>
                    <select
                        id="role-filter"
                        on:change=move |event| {
                            page.set(PageRequest::First);
                            role.set(Role::parse(&event_target_value(&event)));
                        }
                    >
                        <option value="all">"All roles"</option>
                        {Role::ALL
                            .into_iter()
                            .map(|r| view! { <option value=r.as_str()>{r.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <SearchField
                    id="user-search"
                    label="Search"
                    placeholder="Name or email"
                    text=search
                    on_settle=Callback::new(move |()| page.set(PageRequest::First))
                />
            </div>
            {move || {
                notice
                    .get()
                    .map(|notice| {
                        let (class, role) = if notice.is_error {
                            ("alert error", "alert")
                        } else {
                            ("notice", "status")
                        };
                        view! {
                            <div class=class role=role>
                                <p>{notice.text}</p>
                                {notice
                                    .link
                                    .map(|(link, copied)| {
                                        view! {
                                            <LinkField
                                                id="copied-link"
                                                label=notice.link_label
                                                link
                                                copied
                                            />
                                        }
                                    })}
                            </div>
                        }
                    })
            }}
            <div class="table-region" aria-busy=move || loading.get().to_string()>
                <Transition
                    fallback=|| view! { <p class="muted">"Loading users…"</p> }
                    set_pending=loading
                >
                    {move || {
                        let (tailnet, viewer) = (tailnet.clone(), viewer.clone());
                        Suspend::new(async move {
                            match rows.await {
                                Ok(list) => {
                                    let (previous, next) = (list.previous.clone(), list.next.clone());
                                    Either::Left(view! {
                                        <UsersTable list tailnet viewer notice refresh />
                                        <Pager
                                            list_page=page
                                            previous
                                            next
                                        />
                                    })
                                }
                                Err(error) => {
                                    Either::Right(view! {
                                        <p class="alert error" role="alert">
                                            {error.to_string()}
                                        </p>
                                    })
                                }
                            }
                        })
                    }}
                </Transition>
            </div>
        </section>
        <Show when=move || dialog_open.get()>
            <InviteDialog
                tailnet=dialog_tailnet.clone()
                granter=viewer_role
                email_delivery_configured
                open=dialog_open
                notice
                refresh
            />
        </Show>
    }
}

#[component]
fn UsersTable(
    list: UserListPage,
    tailnet: TailnetId,
    viewer: ViewerRights,
    notice: RwSignal<Option<Notice>>,
    refresh: Callback<()>,
) -> impl IntoView {
    if list.rows.is_empty() {
        return Either::Left(view! {
            <p class="empty">"No users or invites match these filters."</p>
        });
    }
    let rows = list
        .rows
        .into_iter()
        .map(|row| {
            view! { <UserRow row tailnet=tailnet.clone() viewer=viewer.clone() notice refresh /> }
        })
        .collect_view();
    Either::Right(view! {
        <table>
            <caption class="visually-hidden">"Members and invites of this tailnet"</caption>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Email"</th>
                    <th scope="col">"Role"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Invited or joined"</th>
                    <th scope="col">"Last seen"</th>
                    <th scope="col">
                        <span class="visually-hidden">"Actions"</span>
                    </th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    })
}

#[component]
fn UserRow(
    row: UserListRow,
    tailnet: TailnetId,
    viewer: ViewerRights,
    notice: RwSignal<Option<Notice>>,
    refresh: Callback<()>,
) -> impl IntoView {
    match row {
        UserListRow::Member(member) => {
            let actions = if member.status == RowStatus::NeedsApproval {
                let granter = viewer.role;
                (viewer.approves_users && may_grant(granter, member.role))
                    .then(|| Either::Left(view! { <ApprovalActions member=member.clone() tailnet granter notice refresh /> }))
            } else {
                Some(Either::Right(
                    view! { <MemberActions member=member.clone() tailnet viewer notice refresh /> },
                ))
            };
            Either::Left(view! {
                <tr>
                    <td>{member.display_name}</td>
                    <td>
                        {member.email}
                        {(!member.email_verified)
                            .then(|| view! { <span class="pending">"Email not verified"</span> })}
                    </td>
                    <td>{member.role.label()}</td>
                    <td>
                        <span class=format!("status {}", member.status.as_str())>
                            {member.status.label()}
                        </span>
                    </td>
                    <td>{utc_date(member.joined_at)}</td>
                    <td>{member.last_seen_at.map(utc_date).unwrap_or_else(|| "—".to_owned())}</td>
                    <td>{actions}</td>
                </tr>
            })
        }
        UserListRow::Invite(invite) => {
            let label = invite
                .email
                .clone()
                .unwrap_or_else(|| format!("invite link of {}", utc_date(invite.invited_at)));
            let pending = invite.email_pending;
            Either::Right(view! {
                <tr>
                    <td class="muted">
                        {invite
                            .invited_by
                            .clone()
                            .map(|by| format!("Invited by {by}"))
                            .unwrap_or_default()}
                    </td>
                    <td>{invite.email.clone().unwrap_or_else(|| "Invite link".to_owned())}</td>
                    <td>{invite.role.label()}</td>
                    <td>
                        <span class=format!("status {}", invite.status.as_str())>
                            {invite.status.label()}
                        </span>
                        {pending
                            .then(|| {
                                view! { <span class="pending">"Email not delivered yet"</span> }
                            })}
                        {(!invite.inviter_still_grants)
                            .then(|| {
                                view! {
                                    <span class="pending">
                                        "No longer valid: its inviter can no longer give this role"
                                    </span>
                                }
                            })}
                    </td>
                    <td>{utc_date(invite.invited_at)}</td>
                    <td>"—"</td>
                    <td>
                        {viewer
                            .manages_invites
                            .then(|| {
                                let granter = viewer.role;
                                view! { <InviteActions invite tailnet label granter notice refresh /> }
                            })}
                    </td>
                </tr>
            })
        }
    }
}
