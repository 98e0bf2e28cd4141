//! `gatehouse`: serve the console, or, from the command line, create another tailnet or print a
//! recovery link.

use clap::{Parser, Subcommand};
use server::config::{Config, ENVIRONMENT_HELP};

/// `gatehouse --version`: the release and the commit it was built from.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("GATEHOUSE_GIT_COMMIT"),
    ")"
);

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version = VERSION,
    about = "Self-hosted admin console for inviting people into your tailnet.",
    after_help = ENVIRONMENT_HELP
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (the default). Prints a setup link while no tailnet exists.
    Serve,
    /// Create another tailnet without an owner and print the setup link for its Owner.
    CreateTailnet {
        /// The tailnet's name, shown in the header and in invitations.
        #[arg(long)]
        name: String,
        /// `organization` (members may leave it for their home tailnet) or `personal`.
        #[arg(long, default_value = "organization")]
        kind: String,
    },
    /// Print a one-time recovery link (valid 24 hours) that lets the person with this email
    /// address create a new passkey: for anyone, an Owner included. Ends their other sessions
    /// when used, and is recorded in the audit log of each of their tailnets.
    Recover {
        /// The email address of the person's account.
        #[arg(long)]
        email: String,
    },
    /// Add a new key for signing OpenID Connect ID tokens and retire the current one. Tokens it
    /// signed stay verifiable (its public key stays published) until they expire.
    RotateSigningKey,
    /// Copy the SQLite database, while servers keep serving, to a new FILE, and check the
    /// copy. Keep the secret key file as well: without it, pending invite links cannot be
    /// shown or emailed again. (PostgreSQL: use pg_dump.)
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
    /// Replace the SQLite database with a backup, once every server on it has stopped. The
    /// database it replaces is kept beside it as FILE.before-restore-<time>.
    Restore {
        /// A file written by `gatehouse backup`.
        #[arg(long, value_name = "FILE")]
        from: std::path::PathBuf,
    },
    /// Check the GATEHOUSE_* variables, the secret key file and the database connection, and
    /// say what is wrong in the lines the server would use.
    CheckConfig,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("gatehouse: {error}");
            return std::process::ExitCode::from(2);
        }
    };
    server::logging::init(config.log_format);
    // Every core serves requests. A page may be rendered on one worker thread and cleaned up
    // on another, so nothing a page makes while rendering is bound to its thread (see
    // `app::components::browser_only`; clippy forbids the thread-bound constructors).
    // `GATEHOUSE_WORKER_THREADS` caps the worker count (default: one per core).
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = config.worker_threads {
        builder.worker_threads(threads);
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("gatehouse: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::CreateTailnet { name, kind } => create_tailnet(config, &name, &kind).await,
            Command::Recover { email } => recover(config, &email).await,
            Command::RotateSigningKey => rotate_signing_key(config).await,
            Command::Backup { to } => backup(config, &to).await,
            Command::Restore { from } => restore(config, &from).await,
            Command::CheckConfig => check_config(config).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gatehouse: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), String> {
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    if let Some(warning) = server::secret_key::readable_by_others(&config.secret_key_file) {
        tracing::warn!("{warning}");
    }
    let server::Prepared {
        state,
        mailer,
        serving: _serving,
    } = server::prepare(&config).await.map_err(|e| e.to_string())?;
    let now = app::context::now();
    if let Some(link) = app::setup::server::first_run_setup_link(&state.db, &state.settings, now)
        .await
        .map_err(|e| e.to_string())?
    {
        println!("Setup link: {link}");
    }
    server::spawn_housekeeping(state.db.clone(), state.settings.audit_retention_secs);
    let (stop_worker, worker_stop) = tokio::sync::watch::channel(false);
    if let Some(listen) = config.metrics_listen {
        let handle = server::metrics::install()?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("GATEHOUSE_METRICS_LISTEN: cannot listen on {listen}: {e}"))?;
        server::metrics::spawn_sampler(state.db.clone(), handle.clone());
        let mut stopping = worker_stop.clone();
        tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            };
            if let Err(error) = server::metrics::serve(listener, handle, shutdown).await {
                tracing::warn!(%error, "the metrics listener stopped");
            }
        });
        tracing::info!(%listen, "metrics at /metrics");
    }
    let worker = match mailer {
        Some(mailer) => Some(server::mail::spawn_worker(
            state.db.clone(),
            state.settings.clone(),
            mailer,
            worker_stop.clone(),
        )),
        None => {
            tracing::info!(
                "GATEHOUSE_SMTP_URL is not set: invites are created, but only their links reach people"
            );
            None
        }
    };
    let webhook_client = server::webhooks::http_client(config.webhook_allow_private)?;
    let webhooks = server::webhooks::spawn_worker(
        state.db.clone(),
        state.settings.clone(),
        webhook_client,
        worker_stop.clone(),
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("GATEHOUSE_LISTEN: cannot listen on {}: {e}", config.listen))?;
    tracing::info!(listen = %config.listen, public_url = %config.public_url, "Gatehouse is serving");
    let db = state.db.clone();
    server::listen::serve(listener, server::build(state), shutdown_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))?;
    // Requests are answered; now the email worker finishes the row it is sending and the webhook
    // worker the requests under way, and neither leases more, so another server takes the rest
    // at once; then SQLite's log is folded in.
    let _ = stop_worker.send(true);
    if let Some(worker) = worker
        && tokio::time::timeout(WORKER_STOP_TIMEOUT, worker)
            .await
            .is_err()
    {
        tracing::warn!("the email worker was still sending after {WORKER_STOP_TIMEOUT:?}");
    }
    if tokio::time::timeout(WORKER_STOP_TIMEOUT, webhooks)
        .await
        .is_err()
    {
        tracing::warn!("webhook deliveries were still under way after {WORKER_STOP_TIMEOUT:?}");
    }
    server::db::close(db).await;
    tracing::info!("Gatehouse stopped");
    Ok(())
}

/// How long the email worker gets to finish the email it is sending when the server stops.
const WORKER_STOP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

async fn backup(config: Config, to: &std::path::Path) -> Result<(), String> {
    let bytes = server::backup::backup(&config.database_url, to).await?;
    println!(
        "Backed up to {} ({bytes} bytes; integrity check ok). Keep {} with it.",
        to.display(),
        config.secret_key_file.display()
    );
    Ok(())
}

async fn restore(config: Config, from: &std::path::Path) -> Result<(), String> {
    let kept = server::backup::restore(&config.database_url, from, app::context::now()).await?;
    println!("Restored {}.", from.display());
    if let Some(kept) = kept {
        println!("The database it replaced is kept as {}.", kept.display());
    }
    Ok(())
}

async fn check_config(config: Config) -> Result<(), String> {
    for warning in config.warnings() {
        println!("warning: {warning}");
    }
    server::check::check(&config).await?;
    println!("Configuration is valid.");
    Ok(())
}

async fn rotate_signing_key(config: Config) -> Result<(), String> {
    let state = server::prepare(&config)
        .await
        .map_err(|e| e.to_string())?
        .state;
    let kid =
        app::oidc::signing_keys::rotate(&state.db, &state.settings.link_key, app::context::now())
            .await
            .map_err(|e| e.to_string())?;
    println!("New signing key: {kid}. ID tokens are signed with it from now on.");
    Ok(())
}

async fn create_tailnet(config: Config, name: &str, kind: &str) -> Result<(), String> {
    let name =
        app::fields::TailnetName::parse(name).map_err(|problem| format!("--name: {problem}"))?;
    let kind = app::tailnets::model::TailnetKind::parse(kind)
        .ok_or_else(|| format!("--kind: '{kind}' is neither organization nor personal"))?;
    let state = server::prepare(&config)
        .await
        .map_err(|e| e.to_string())?
        .state;
    let (_, link) = app::setup::server::create_tailnet_of_kind(
        &state.db,
        &name,
        kind,
        &state.settings,
        app::context::now(),
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("Setup link: {link}");
    Ok(())
}

async fn recover(config: Config, email: &str) -> Result<(), String> {
    let email =
        app::fields::EmailAddress::parse(email).map_err(|problem| format!("--email: {problem}"))?;
    let state = server::prepare(&config)
        .await
        .map_err(|e| e.to_string())?
        .state;
    let issued = app::recovery::server::issue_by_operator(
        &state.db,
        &state.settings,
        &email,
        app::context::now(),
    )
    .await
    .map_err(|e| format!("--email: {e}"))?;
    let link = issued
        .link
        .ok_or("the recovery link was emailed instead of shown")?;
    println!("Recovery link: {link}");
    println!(
        "It works once, until {}. Give it only to {email}.",
        app::format::utc_minute(issued.expires_at)
    );
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
