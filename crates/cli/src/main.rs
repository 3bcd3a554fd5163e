//! `pledge`: the one binary. Serves the API, migrates the database, loads the demo data set,
//! imports ledgers, writes templates and manages access tokens.

mod import;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use pledge_domain::{BankCode, ParkCode};
use pledge_service::loaders::{demo, generate};
use pledge_service::{Clock, Context as Caller, Role, Service, ServiceError, bench};
use std::net::SocketAddr;
use std::time::Duration;

/// The index and the holdings it is built from are millions of small allocations made and
/// freed in bursts (loading, match pages, explanations); mimalloc keeps them fast where the
/// system allocator fragments.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "pledge",
    version,
    about = "知识产权金融普惠企业白名单 / the IP-financing white list and pledge-loan matching"
)]
struct Cli {
    /// Database: `sqlite://FILE` (created if missing) or `postgres://USER@HOST/DB`.
    #[arg(
        long,
        global = true,
        env = "PLEDGE_DATABASE_URL",
        default_value = "sqlite://pledge.db"
    )]
    database_url: String,
    /// Key for hashing access tokens; when unset, a random key kept in the database is used.
    #[arg(long, global = true, env = "PLEDGE_TOKEN_KEY", hide_env_values = true)]
    token_key: Option<String>,
    /// Log format on stderr.
    #[arg(long, global = true, env = "PLEDGE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (migrates the database first).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "PLEDGE_BIND", default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Load the demo data set and print a fresh admin token.
        #[arg(long)]
        demo: bool,
        /// Seconds a request may take before it is answered 408.
        #[arg(long, env = "PLEDGE_REQUEST_TIMEOUT", default_value_t = 30)]
        request_timeout: u64,
        /// Largest request body, in bytes.
        #[arg(long, env = "PLEDGE_BODY_LIMIT", default_value_t = 1024 * 1024)]
        body_limit: usize,
        /// Largest ledger file accepted for import, in bytes.
        #[arg(long, env = "PLEDGE_UPLOAD_LIMIT", default_value_t = 64 * 1024 * 1024)]
        upload_limit: usize,
        /// Take the client's address from the last X-Forwarded-For entry (for the limit on
        /// failed authentication): set it only behind a load balancer that writes it.
        #[arg(long, env = "PLEDGE_TRUST_FORWARDED_FOR")]
        trust_forwarded_for: bool,
        /// Failed authentications a client address may make in a minute before it is
        /// answered 429.
        #[arg(long, env = "PLEDGE_FAILED_AUTH_PER_MINUTE", default_value_t = 30)]
        failed_auth_per_minute: u32,
        /// Accept `http://` webhook receivers (a closed network); otherwise `https://` only.
        #[arg(long, env = "PLEDGE_WEBHOOKS_ALLOW_HTTP")]
        webhooks_allow_http: bool,
        /// Seconds before a failed delivery's first retry; each further one doubles, up to an hour.
        #[arg(long, env = "PLEDGE_WEBHOOKS_RETRY_SECONDS", default_value_t = 10)]
        webhooks_retry_seconds: u64,
        /// Inner networks (CIDR, comma-separated) webhook receivers may be in all the same:
        /// loopback, private, link-local and the like are otherwise refused.
        #[arg(long, env = "PLEDGE_WEBHOOKS_ALLOW_NETWORKS", value_delimiter = ',')]
        webhooks_allow_networks: Vec<ipnet::IpNet>,
        /// Look receivers' host names up in this table only (`NAME=ADDRESS`, comma-separated;
        /// a closed network's own names, or a test run): no name server is asked.
        #[arg(long, env = "PLEDGE_WEBHOOKS_RESOLVE", value_delimiter = ',', value_parser = name_and_address)]
        webhooks_resolve: Vec<(String, std::net::IpAddr)>,
        /// Deliver no pushes from this server (subscriptions and events are still kept; a
        /// server without this flag delivers them): for test and contract runs.
        #[arg(long, env = "PLEDGE_WEBHOOKS_OFF")]
        webhooks_off: bool,
        /// Keep the matching index in this file: read at start (then brought up to date from
        /// the database) instead of built, written after a build, on shutdown and every
        /// `--index-snapshot-minutes` while it moves.
        #[arg(long, env = "PLEDGE_INDEX_SNAPSHOT")]
        index_snapshot: Option<std::path::PathBuf>,
        /// Minutes between writes of the index snapshot while the index moves.
        #[arg(long, env = "PLEDGE_INDEX_SNAPSHOT_MINUTES", default_value_t = 10)]
        index_snapshot_minutes: u64,
        /// Seconds a client has to send a request's headers (from connecting, or from the
        /// previous answer on a kept-alive connection) before the connection is closed.
        #[arg(long, env = "PLEDGE_HEADER_TIMEOUT", default_value_t = 10)]
        header_timeout: u64,
        /// Connections open at once; more wait in the listen queue (keep it below `ulimit -n`).
        #[arg(long, env = "PLEDGE_MAX_CONNECTIONS", default_value_t = 4096)]
        max_connections: usize,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Write a consistent copy of the database into FILE (a new file) while servers keep
    /// answering: SQLite by `VACUUM INTO`, checked with `PRAGMA integrity_check`; PostgreSQL
    /// by `pg_dump --format=custom` (the client tools must be installed).
    Backup {
        /// The copy to write.
        file: std::path::PathBuf,
    },
    /// Put the copy FILE back as the database, with every server stopped: the restored
    /// database gets a new identity (no index snapshot written before is used) and a new block
    /// of event ids. SQLite: the copy is checked and renamed into place; PostgreSQL:
    /// `pg_restore --clean`.
    Restore {
        /// The copy to put back.
        file: std::path::PathBuf,
    },
    /// Load the demo data set (a believable Xinxiang); running it again changes nothing.
    Demo,
    /// Print the table of error codes as Markdown (docs/errors.md).
    Errors,
    /// Re-screen every published white-list entry and expire those past validity.
    Rescreen {
        /// The day to judge as of (YYYY-MM-DD); default today, at most 7 days ahead.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Change nothing: print what a run would change.
        #[arg(long)]
        dry_run: bool,
        /// Undo the run of this number (printed by the run) instead.
        #[arg(long, conflicts_with_all = ["as_of", "dry_run"])]
        reverse: Option<i64>,
    },
    /// Write the import template of a kind of sheet (enterprises, patents, trademarks,
    /// appraisals, qualifications) as an Excel workbook.
    Template {
        #[arg(value_parser = ["enterprises", "patents", "trademarks", "appraisals", "qualifications"])]
        kind: String,
        /// Where to write it; default `KIND-template.xlsx`.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Import enterprises, patents, trademarks, appraisals or qualifications from an Excel
    /// (.xlsx) or CSV file. Good rows are written, bad ones reported (with an annotated copy
    /// of the file); exit code 2 when any row was rejected.
    Import {
        /// The file (.xlsx, or .csv in UTF-8 or GB18030).
        file: std::path::PathBuf,
        /// The kind of every sheet, when sheet names and headers do not say it.
        #[arg(long, value_parser = ["enterprises", "patents", "trademarks", "appraisals", "qualifications"])]
        kind: Option<String>,
        /// Check and count everything, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write nothing unless every row is good.
        #[arg(long)]
        all_or_nothing: bool,
        /// Import as the official of this park: only its enterprises change, owners written by
        /// name are looked for in it, new enterprises without a park column join it.
        #[arg(long)]
        park: Option<String>,
        /// Where to write the annotated copy when rows are rejected or doubtful; default
        /// `FILE.errors.xlsx` beside the file.
        #[arg(long)]
        annotated: Option<std::path::PathBuf>,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Generate a deterministic national-shaped data set into an empty database: parks,
    /// banks with their products, enterprises with patents, trademarks, appraisals,
    /// qualifications, risk flags and white-list entries.
    Gen {
        /// How many enterprises (about five patents each).
        #[arg(long, default_value_t = 10_000)]
        enterprises: usize,
        /// How many loan products (one bank for every ten); product 1 is the selective 知惠贷.
        #[arg(long, default_value_t = 100)]
        products: usize,
        /// Same seed, same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The day the data set describes (YYYY-MM-DD); default today.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Write a new SQLite database file here instead of `--database-url`.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Measure the matching engine on the data set in the database, beside the reference
    /// evaluator and (on PostgreSQL) the rules as SQL; or chart several runs.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Create or revoke access tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage people (accounts): create, disable, list.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a person.
    Create {
        /// 2 to 64 of a-z, 0-9, '.', '_' and '-'.
        login: String,
        #[arg(long, value_parser = ["admin", "park", "bank"])]
        role: String,
        /// Park code, for a park official.
        #[arg(long)]
        park: Option<String>,
        /// Bank code, for a bank officer.
        #[arg(long)]
        bank: Option<String>,
        /// The name shown.
        #[arg(long)]
        name: String,
    },
    /// Disable a person: their tokens stop working at once.
    Disable { login: String },
    /// Set or reset a person's console password, read from standard input (one line).
    Passwd { login: String },
    /// List people.
    List,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Run every workload and print a Markdown table of medians, p99s and ratios.
    Run {
        /// Samples of each engine workload.
        #[arg(long, default_value_t = 300)]
        samples: usize,
        /// Samples of each reference-evaluator and SQL workload (each one is slow).
        #[arg(long, default_value_t = 5)]
        baseline_samples: usize,
        /// The day to match as of (YYYY-MM-DD); default today. Use the day given to `gen`.
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Also write the figures as JSON here, for `pledge bench chart`.
        #[arg(long)]
        json: Option<std::path::PathBuf>,
    },
    /// Draw median query time against data size from the JSON of several runs, as SVG.
    Chart {
        /// Where to write the SVG.
        #[arg(long)]
        out: std::path::PathBuf,
        /// The JSON files of runs on data sets of different sizes.
        #[arg(required = true)]
        runs: Vec<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token; it is printed alone on the last line of stdout, and never shown again.
    /// With `--user`, for that person; otherwise for a new person of `--role`.
    Create {
        /// The login of the person it is for.
        #[arg(long, conflicts_with_all = ["role", "park", "bank"])]
        user: Option<String>,
        #[arg(long, value_parser = ["admin", "park", "bank"], required_unless_present = "user")]
        role: Option<String>,
        /// Park code, for a park token.
        #[arg(long)]
        park: Option<String>,
        /// Bank code, for a bank token.
        #[arg(long)]
        bank: Option<String>,
        /// A label: what the token is for, or who holds it.
        #[arg(long, default_value = "token")]
        name: String,
    },
    /// Revoke a token by id; it stops working at once.
    Revoke { id: i64 },
}

/// A use case's answer, its invalid fields said as one message.
fn invalid_as_message<T>(what: &str, r: std::result::Result<T, ServiceError>) -> Result<T> {
    match r {
        Err(ServiceError::Invalid(v)) => {
            let reasons: Vec<String> = v
                .iter()
                .map(|v| format!("{}: {}", v.field, v.message))
                .collect();
            bail!("invalid {what}: {}", reasons.join("; "))
        }
        other => Ok(other?),
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The clock of the command line and the server: the system's.
fn clock() -> Clock {
    Clock::reading(chrono::Utc::now)
}

/// Now, read once per use.
fn now() -> chrono::DateTime<chrono::Utc> {
    clock().now()
}

fn today() -> chrono::NaiveDate {
    clock().today()
}

/// The service on `url`, migrated, for commands that only write (no index is built).
async fn open_for_writes(cli: &Cli, url: &str) -> Result<Service> {
    Service::open_unindexed(url, cli.token_key.as_deref(), true, clock())
        .await
        .with_context(|| format!("opening {}", redact(url)))
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_owned(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    match &cli.command {
        Command::Serve {
            bind,
            demo,
            request_timeout,
            body_limit,
            upload_limit,
            trust_forwarded_for,
            failed_auth_per_minute,
            webhooks_allow_http,
            webhooks_retry_seconds,
            webhooks_allow_networks,
            webhooks_resolve,
            webhooks_off,
            index_snapshot,
            index_snapshot_minutes,
            header_timeout,
            max_connections,
        } => {
            let settings = pledge_http::Settings {
                database_url: cli.database_url.clone(),
                token_key: cli.token_key.clone(),
                http: pledge_http::HttpConfig {
                    body_limit: *body_limit,
                    request_timeout: Duration::from_secs(*request_timeout),
                    upload_limit: *upload_limit,
                    trust_forwarded_for: *trust_forwarded_for,
                    failed_auth_per_minute: *failed_auth_per_minute,
                },
                pushes: pledge_service::Pushes {
                    allow_http: *webhooks_allow_http,
                    allowed_networks: webhooks_allow_networks.clone(),
                    names: if webhooks_resolve.is_empty() {
                        pledge_service::receivers::Names::System
                    } else {
                        pledge_service::receivers::Names::fixed(webhooks_resolve.clone())
                    },
                    deliver: !*webhooks_off,
                    retry_base: Duration::from_secs((*webhooks_retry_seconds).max(1)),
                    ..Default::default()
                },
                snapshots: index_snapshot
                    .clone()
                    .map(|path| pledge_service::Snapshots {
                        path,
                        every: Duration::from_secs(60 * (*index_snapshot_minutes).max(1)),
                    }),
                follow_every: Duration::from_millis(100),
            };
            if cli.token_key.is_none() {
                tracing::warn!(
                    "no --token-key given: webhook secrets are kept in clear, so a copy of the \
                     database (a backup) is enough to forge pushes to every bank"
                );
            }
            let app = pledge_http::Application::build(&settings, clock())
                .await
                .with_context(|| format!("opening {}", redact(&cli.database_url)))?;
            let service = app.service;
            if *demo {
                let report = demo::load(&service, today()).await?;
                tracing::info!(?report, "demo data loaded");
                let (_, token) = service
                    .create_token(
                        &Caller::command_line("demo", now()),
                        "demo admin",
                        Role::Office,
                        None,
                        None,
                    )
                    .await?;
                eprintln!("demo admin token: {token}");
                demo_sign_ins(&service).await?;
            }
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("binding {bind}"))?;
            tracing::info!(addr = %listener.local_addr()?, docs = "/docs", "listening");
            let edge = pledge_http::Edge {
                header_timeout: Duration::from_secs((*header_timeout).max(1)),
                max_connections: *max_connections,
                ..Default::default()
            };
            pledge_http::serve(listener, app.router, edge, shutdown_signal()).await?;
            service.live().write_snapshot(now()).await;
        }
        Command::Errors => {
            print!("{}", pledge_domain::error_codes_markdown());
        }
        Command::Migrate => {
            open_for_writes(&cli, &cli.database_url).await?;
            println!("migrated");
        }
        Command::Backup { file } => {
            pledge_service::backups::backup(&cli.database_url, file)
                .await
                .with_context(|| format!("backing up {}", redact(&cli.database_url)))?;
            println!("backed up to {}", file.display());
        }
        Command::Restore { file } => {
            pledge_service::backups::restore(&cli.database_url, file)
                .await
                .with_context(|| format!("restoring {}", file.display()))?;
            // Migrations newer than the copy apply now, not at the next start.
            open_for_writes(&cli, &cli.database_url).await?;
            println!("restored from {}", file.display());
        }
        Command::Demo => {
            let service = open_for_writes(&cli, &cli.database_url).await?;
            let report = demo::load(&service, today()).await?;
            println!("{report}");
        }
        Command::Template { kind, out } => {
            let kind = pledge_service::ledgers::SheetKind::parse(kind)
                .with_context(|| format!("no template {kind}"))?;
            let path = out
                .clone()
                .unwrap_or_else(|| format!("{}-template.xlsx", kind.as_str()).into());
            let bytes = pledge_service::ledgers::template(kind)?;
            std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
            println!("{}", path.display());
        }
        Command::Import {
            file,
            kind,
            dry_run,
            all_or_nothing,
            park,
            annotated,
            json,
        } => {
            let service = open_for_writes(&cli, &cli.database_url).await?;
            let code = import::run(
                &service,
                import::Options {
                    file,
                    kind: kind.as_deref(),
                    dry_run: *dry_run,
                    all_or_nothing: *all_or_nothing,
                    park: park.as_deref(),
                    annotated: annotated.as_deref(),
                    json: *json,
                },
            )
            .await?;
            std::process::exit(code);
        }
        Command::Gen {
            enterprises,
            products,
            seed,
            as_of,
            out,
        } => {
            let url = match out {
                Some(path) => format!("sqlite://{}?mode=rwc", path.display()),
                None => cli.database_url.clone(),
            };
            let service = open_for_writes(&cli, &url).await?;
            let c = generate::run(
                &service,
                generate::Options {
                    enterprises: *enterprises,
                    products: *products,
                    seed: *seed,
                    as_of: as_of.unwrap_or_else(today),
                },
            )
            .await?;
            println!(
                "{} enterprises ({} listed), {} patents, {} trademarks, {} appraisals",
                c.enterprises, c.listed, c.patents, c.trademarks, c.appraisals
            );
        }
        Command::Bench {
            command:
                BenchCommand::Run {
                    samples,
                    baseline_samples,
                    as_of,
                    json,
                },
        } => {
            let service = open_for_writes(&cli, &cli.database_url).await?;
            let report = bench::run(
                &service,
                bench::Options {
                    samples: (*samples).max(1),
                    baseline_samples: *baseline_samples,
                    as_of: as_of.unwrap_or_else(today),
                },
            )
            .await?;
            if let Some(path) = json {
                std::fs::write(path, serde_json::to_vec_pretty(&report)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            print!("{}", bench::markdown(&report));
        }
        Command::Bench {
            command: BenchCommand::Chart { out, runs },
        } => {
            let runs = runs
                .iter()
                .map(|p| {
                    let bytes =
                        std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
                    serde_json::from_slice(&bytes)
                        .with_context(|| format!("{} is not a run's JSON", p.display()))
                })
                .collect::<Result<Vec<bench::Report>>>()?;
            std::fs::write(out, bench::draw(&runs)?)
                .with_context(|| format!("writing {}", out.display()))?;
            println!("{}", out.display());
        }
        Command::Rescreen {
            reverse: Some(run), ..
        } => {
            let service = open_for_writes(&cli, &cli.database_url).await?;
            let caller = Caller::command_line("rescreen", now());
            let r = service.reverse_rescreen(&caller, *run).await?;
            println!(
                "run {run} reversed: {} reinstated, {} restored, {} batches reopened",
                r.reinstated.len(),
                r.restored.len(),
                r.reopened.len()
            );
            for (id, why) in &r.kept {
                println!("kept {id}: {why}");
            }
        }
        Command::Rescreen { as_of, dry_run, .. } => {
            let service = open_for_writes(&cli, &cli.database_url).await?;
            let caller = Caller::command_line("rescreen", now());
            let as_of = as_of.unwrap_or(caller.today());
            let r = service.rescreen(&caller, as_of, *dry_run).await?;
            match r.run {
                Some(run) => println!("run {run} (undo: pledge rescreen --reverse {run})"),
                None => println!("dry run: nothing changed"),
            }
            println!(
                "as of {as_of}: checked {} published entries, suspended {}, expired {}, closed {} batches",
                r.checked,
                r.suspended.len(),
                r.expired.len(),
                r.closed_batches.len()
            );
            for (id, reason) in &r.suspended {
                println!("suspended entry {id}: {reason}");
            }
        }
        Command::Token { command } => {
            let service = open_for_writes(&cli, &cli.database_url).await?;
            let caller = Caller::command_line("token", now());
            match command {
                TokenCommand::Create {
                    user,
                    role,
                    park,
                    bank,
                    name,
                } => {
                    let created = match user {
                        Some(login) => service.create_person_token(&caller, login, name).await,
                        None => {
                            let role = Role::parse(role.as_deref().unwrap_or_default())?;
                            let park = park.as_deref().map(ParkCode::parse).transpose()?;
                            let bank = bank.as_deref().map(BankCode::parse).transpose()?;
                            service
                                .create_token(&caller, name, role, park.as_ref(), bank.as_ref())
                                .await
                        }
                    };
                    let (rec, token) = invalid_as_message("token", created)?;
                    println!(
                        "id: {}  person: {}  role: {}  prefix: {}",
                        rec.id,
                        rec.person,
                        rec.role.as_str(),
                        rec.prefix
                    );
                    println!("{token}");
                }
                TokenCommand::Revoke { id } => {
                    let rec = service.revoke_token(&caller, *id).await?;
                    println!("revoked token {} ({})", rec.id, rec.name);
                }
            }
        }
        Command::User { command } => {
            let service = open_for_writes(&cli, &cli.database_url).await?;
            let caller = Caller::command_line("user", now());
            match command {
                UserCommand::Create {
                    login,
                    role,
                    park,
                    bank,
                    name,
                } => {
                    let role = Role::parse(role)?;
                    let park = park.as_deref().map(ParkCode::parse).transpose()?;
                    let bank = bank.as_deref().map(BankCode::parse).transpose()?;
                    let created = service
                        .create_person(&caller, login, name, role, park.as_ref(), bank.as_ref())
                        .await;
                    let p = invalid_as_message("person", created)?;
                    println!("created {} ({}, {})", p.login, p.name, p.role.as_str());
                }
                UserCommand::Disable { login } => {
                    let p = service.disable_person(&caller, login, None).await?;
                    println!("disabled {}: their tokens no longer work", p.login);
                }
                UserCommand::Passwd { login } => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    let password = line.trim_end_matches(['\n', '\r']);
                    service.set_password(&caller, login, password).await?;
                    println!("password set for {login}");
                }
                UserCommand::List => {
                    for p in service.people(&caller).await? {
                        let scope = p
                            .park
                            .map(|c| c.to_string())
                            .or(p.bank.map(|c| c.to_string()))
                            .unwrap_or_default();
                        let state = if p.disabled_at.is_some() {
                            "disabled"
                        } else {
                            ""
                        };
                        println!(
                            "{}\t{}\t{}\t{scope}\t{state}",
                            p.login,
                            p.role.as_str(),
                            p.name
                        );
                    }
                }
            }
        }
    }
    Ok(())
}

/// One person per role to sign in to the console with, each with a fresh password printed
/// beside the demo token (a second start of the demo gives them new ones).
async fn demo_sign_ins(service: &pledge_service::Service) -> anyhow::Result<()> {
    let office = Caller::command_line("demo", now());
    let park = service.parks(&office).await?.into_iter().next();
    let bank = service.banks(&office).await?.into_iter().next();
    let people = [
        ("office.demo", "市知识产权局演示", Role::Office, None, None),
        (
            "park.demo",
            "园区演示",
            Role::Park,
            park.map(|p| p.value.code),
            None,
        ),
        (
            "bank.demo",
            "银行演示",
            Role::Bank,
            None,
            bank.map(|b| b.value.code),
        ),
    ];
    let known: Vec<String> = service
        .people(&office)
        .await?
        .into_iter()
        .map(|p| p.login)
        .collect();
    for (login, name, role, park, bank) in people {
        if role != Role::Office && park.is_none() && bank.is_none() {
            continue;
        }
        if !known.iter().any(|k| k == login) {
            service
                .create_person(&office, login, name, role, park.as_ref(), bank.as_ref())
                .await?;
        }
        let mut buf = [0u8; 6];
        getrandom::fill(&mut buf)?;
        let password: String = format!(
            "demo-{}",
            buf.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        service.set_password(&office, login, &password).await?;
        eprintln!("demo sign-in: {login} / {password}");
    }
    Ok(())
}

/// A `NAME=ADDRESS` pair of `--webhooks-resolve`.
fn name_and_address(s: &str) -> Result<(String, std::net::IpAddr), String> {
    let (name, ip) = s
        .split_once('=')
        .ok_or_else(|| format!("{s}: write NAME=ADDRESS"))?;
    let ip = ip
        .trim()
        .parse()
        .map_err(|e| format!("{s}: not an address ({e})"))?;
    Ok((name.trim().to_owned(), ip))
}
