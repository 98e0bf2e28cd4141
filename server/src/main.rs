//! `gatehouse`: serve the console, or, from the command line, create another tailnet or print a
//! recovery link.

use clap::{Parser, Subcommand};
use server::config::{Config, ENVIRONMENT_HELP};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    // One thread serves every request: Leptos 0.8 can drop a page's browser-only parts on
    // another worker thread than the one that rendered it, which panics (leptos-rs/leptos#4402).
    // Database work is not held back: SQLite runs on sqlx's own threads, PostgreSQL is async
    // I/O, and a deployment scales out by running more processes.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
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
    let server::Prepared { state, mailer } =
        server::prepare(&config).await.map_err(|e| e.to_string())?;
    let now = app::context::now();
    if let Some(link) = app::setup::server::first_run_setup_link(&state.db, &state.settings, now)
        .await
        .map_err(|e| e.to_string())?
    {
        println!("Setup link: {link}");
    }
    server::spawn_housekeeping(state.db.clone(), state.settings.audit_retention_secs);
    match mailer {
        Some(mailer) => {
            server::mail::spawn_worker(state.db.clone(), state.settings.clone(), mailer)
        }
        None => tracing::info!(
            "GATEHOUSE_SMTP_URL is not set: invites are created, but only their links reach people"
        ),
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("GATEHOUSE_LISTEN: cannot listen on {}: {e}", config.listen))?;
    tracing::info!(listen = %config.listen, public_url = %config.public_url, "Gatehouse is serving");
    server::listen::serve(listener, server::build(state), shutdown_signal())
        .await
        .map_err(|e| format!("server stopped: {e}"))
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
