//! `kontor`: the server and its operator commands.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use domain::accounts::AccountInput;
use domain::identity::{PlatformRole, UserInput};
use kernel::{Lang, SystemClock};
use kontor::config::{LogFormat, Settings, SettingsArgs};
use kontor::Services;

/// mimalloc hands freed memory back to the system; with glibc's allocator
/// the 19 MiB argon2 buffers of a few logins and the buffers of a large CSV
/// import stayed resident for the life of the process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "kontor",
    version,
    about = "Kontor: virtual reception, conference rooms, meeting planner and customer portal in one server.",
    long_about = "Kontor: virtual reception, conference rooms, meeting planner and customer portal in one server.\n\n\
    Settings come from flags, then KONTOR_* environment variables, then ./kontor.toml (or --config), then defaults.\n\
    Without a subcommand, `kontor` serves."
)]
struct Cli {
    #[command(flatten)]
    settings: SettingsArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and background jobs (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill an empty database with demo data and exit.
    Demo,
    /// Platform operators.
    Operator {
        #[command(subcommand)]
        command: OperatorCommand,
    },
    /// Customer accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator login (or, with --role agent, a reception agent).
    /// The password is asked for, or read from stdin.
    Create {
        #[arg(long)]
        email: String,
        /// operator (runs the installation) or agent (answers calls in the agent console)
        #[arg(long, default_value = "operator")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        /// de or en
        #[arg(long, default_value = "de")]
        language: String,
    },
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create a customer account and print it as JSON.
    Create {
        #[arg(long)]
        customer_number: String,
        #[arg(long)]
        postal_code: String,
        #[arg(long)]
        name: String,
        /// Street and house number.
        #[arg(long, default_value = "")]
        address: String,
        #[arg(long, default_value = "")]
        city: String,
        /// Two-letter country code.
        #[arg(long)]
        country: Option<String>,
        #[arg(long, default_value = "")]
        tariff: String,
        /// Receives a welcome mail.
        #[arg(long)]
        contact_email: Option<String>,
    },
}

fn init_logging(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

/// Resolves on SIGTERM or Ctrl-C. The handlers are installed when this is
/// called, so call it before the server starts answering.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let pw = rpassword::prompt_password("Password (at least 12 characters): ")?;
    let again = rpassword::prompt_password("Repeat password: ")?;
    anyhow::ensure!(pw == again, "the passwords differ");
    Ok(pw)
}

/// Explains a domain error on the command line.
fn explain(e: kernel::DomainError) -> anyhow::Error {
    let fields = e.field_errors();
    if fields.is_empty() {
        return anyhow::anyhow!("{e}");
    }
    let msgs: Vec<String> = fields
        .iter()
        .map(|f| {
            let args: Vec<(&str, &str)> = f.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            format!(
                "{}: {}",
                f.field,
                kernel::tr_args(Lang::En, &format!("errors.{}", f.code), &args)
            )
        })
        .collect();
    anyhow::anyhow!(msgs.join("; "))
}

async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let signal = shutdown_signal();
            let running = kontor::start(&settings, Arc::new(SystemClock)).await?;
            let url = format!("http://{}", running.addr);
            println!("Kontor listening on {url}");
            if settings.base_url != url {
                println!("Public URL: {}", settings.base_url);
            }
            if settings.dev {
                println!("Development mode: outgoing mail at {}/dev/mailbox", settings.base_url);
            }
            if let Some(phone) = &running.phone {
                println!("Phone dial-in (SIP/UDP) at sip:{}", phone.local_addr);
            }
            tracing::info!(%url, dev = settings.dev, "listening");
            let token = running.shutdown_token();
            tokio::spawn(async move {
                signal.await;
                tracing::info!("shutting down");
                token.cancel();
            });
            running.wait().await;
            Ok(())
        }
        Command::Migrate => {
            let db = store::Db::connect(&settings.database_url).await?;
            let applied = db.migrate().await?;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::Demo => {
            let services = Services::open(&settings).await?;
            if kontor::demo::seed(&services).await? {
                println!(
                    "Demo data created. Sign in as operator@kontor.example / {}",
                    kontor::demo::DEMO_PASSWORD
                );
            } else {
                println!("The database already has accounts; no demo data added.");
            }
            Ok(())
        }
        Command::Operator {
            command:
                OperatorCommand::Create {
                    email,
                    role,
                    password_stdin,
                    first_name,
                    last_name,
                    language,
                },
        } => {
            let lang = Lang::parse(&language).ok_or_else(|| anyhow::anyhow!("language: use de or en"))?;
            let role = PlatformRole::parse(&role).ok_or_else(|| anyhow::anyhow!("role: use operator or agent"))?;
            let password = read_password(password_stdin)?;
            let services = Services::open(&settings).await?;
            let user = services
                .identity
                .create_user(UserInput {
                    email: &email,
                    password: Some(&password),
                    first_name: &first_name,
                    last_name: &last_name,
                    language: lang,
                    platform_role: Some(role),
                    membership: None,
                })
                .await
                .map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&user)?);
            Ok(())
        }
        Command::Account {
            command:
                AccountCommand::Create {
                    customer_number,
                    postal_code,
                    name,
                    address,
                    city,
                    country,
                    tariff,
                    contact_email,
                },
        } => {
            let services = Services::open(&settings).await?;
            let account = services
                .accounts
                .create(&AccountInput {
                    customer_number,
                    postal_code,
                    name,
                    street: address,
                    city,
                    country,
                    tariff,
                    contact_email,
                })
                .await
                .map_err(explain)?;
            println!("{}", serde_json::to_string_pretty(&account)?);
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::resolve(&cli.settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kontor: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kontor: {e:#}");
            ExitCode::FAILURE
        }
    }
}
