//! The `livedesk` command line.

use std::io::BufRead as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use base64::Engine as _;
use clap::{Parser, Subcommand};
use livedesk_core::store::NewAgentRecord;
use livedesk_core::values::{DisplayName, Email, NewPassword};
use livedesk_protocol::model::Role;
use rand::RngCore as _;
use uuid::Uuid;

use crate::config::{Config, LogFormat};

#[derive(Debug, Parser)]
#[command(
    name = "livedesk",
    version,
    about = "Live chat server: one binary, embedded database, no message lost"
)]
pub struct Cli {
    /// TOML configuration file (also LIVEDESK_CONFIG).
    #[arg(long, global = true, env = "LIVEDESK_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory of the embedded database (also LIVEDESK_DATA_DIR).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// postgres://… to use PostgreSQL (also LIVEDESK_DATABASE_URL).
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Show or check configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage agents.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Bring the database schema up to date, then exit.
    Migrate,
}

#[derive(Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8080.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Serve /metrics on this address only (plain HTTP), e.g. 10.0.0.5:9090.
    #[arg(long)]
    pub metrics_listen: Option<SocketAddr>,
    /// PEM certificate chain: serve HTTPS/WSS.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a documented example configuration with every default.
    Default,
    /// Load and validate the configuration, then print it (secrets redacted).
    Check,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an agent (by default an admin in a new workspace).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Admin")]
        name: String,
        /// Name of the new workspace (ignored with --workspace-id).
        #[arg(long, default_value = "My workspace")]
        workspace: String,
        /// Add to this existing workspace instead of creating one.
        #[arg(long)]
        workspace_id: Option<Uuid>,
        #[arg(long, value_enum, default_value = "admin")]
        role: RoleArg,
        /// Read the password from the first line of standard input; otherwise one is generated
        /// and printed once.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Admin,
    Supervisor,
    Agent,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Admin => Role::Admin,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Agent => Role::Agent,
        }
    }
}

fn init_tracing(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Runs the command line; returns the process exit code.
pub async fn main(cli: Cli) -> i32 {
    match run(cli).await {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(v) = cli.data_dir {
        config.data_dir = v;
    }
    if let Some(v) = cli.database_url {
        config.database_url = Some(v);
    }
    config.validate()?;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            if let Some(v) = args.listen {
                config.listen = v;
            }
            if let Some(v) = args.metrics_listen {
                config.metrics_listen = Some(v);
            }
            if args.tls_cert.is_some() {
                config.tls_cert = args.tls_cert;
                config.tls_key = args.tls_key;
            }
            config.validate()?;
            init_tracing(&config);
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
            let app = crate::App::build(config, listener).await?;
            app.run(crate::shutdown_signal()).await?;
        }
        Command::Config(ConfigCommand::Default) => print!("{}", crate::config::DEFAULT_TOML),
        Command::Config(ConfigCommand::Check) => println!("configuration is valid: {config:#?}"),
        Command::Migrate => {
            let store = livedesk_store::connect(&config.store_config()).await?;
            println!("database schema is up to date ({})", store.backend());
        }
        Command::Admin(AdminCommand::Create {
            email,
            name,
            workspace,
            workspace_id,
            role,
            password_stdin,
        }) => {
            let email = Email::parse(&email)?;
            let name = DisplayName::parse(&name)?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                let mut bytes = [0u8; 15];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                (
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
                    true,
                )
            };
            let password = NewPassword::parse(password)?;
            let store = livedesk_store::connect(&config.store_config()).await?;
            let workspace_id = match workspace_id {
                Some(id) => id,
                None => {
                    store
                        .create_workspace(&DisplayName::parse(&workspace)?)
                        .await?
                        .id
                }
            };
            let hash = crate::auth::hash_password(password.expose().to_owned())
                .await
                .map_err(|e| e.0.message)?;
            let agent = store
                .create_agent(NewAgentRecord {
                    workspace_id,
                    email,
                    name,
                    role: role.into(),
                    password_hash: hash,
                })
                .await?;
            println!(
                "created {:?} {} in workspace {}",
                agent.role, agent.email, agent.workspace_id
            );
            if generated {
                println!("password: {}", password.expose());
                println!("(shown once; change it after signing in)");
            }
        }
    }
    Ok(())
}
