//! The application as `serve` runs it and the end-to-end tests start it: the service on its
//! database with the clock it is given, the start-up tasks production runs, and the router.
//! One builder, so that what is tested is what runs.

use crate::{AppState, HttpConfig, router};
use axum::Router;
use pledge_service::{Clock, Pushes, Result, Service, Snapshots};
use std::time::Duration;

/// What the application is built from, besides its clock.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    /// The key tokens are hashed and webhook secrets sealed with.
    pub token_key: Option<String>,
    pub http: HttpConfig,
    pub pushes: Pushes,
    /// Where the index's snapshot is kept, if anywhere.
    pub snapshots: Option<Snapshots>,
    /// How often other servers' commits are looked for (PostgreSQL also announces them).
    pub follow_every: Duration,
}

/// A built application: the service, its background tasks running, and the router to serve.
#[derive(Debug)]
pub struct Application {
    pub service: Service,
    pub router: Router,
}

impl Application {
    /// Opens the service on the database (migrating it) with the matching index as of the
    /// clock's day; starts the background tasks (following other servers' commits, the day's
    /// turn, deliveries to banks, the index's snapshots, the sweep that marks imports a
    /// stopped server left running as interrupted); and builds the router.
    pub async fn build(settings: &Settings, clock: Clock) -> Result<Self> {
        let service = Service::open(
            &settings.database_url,
            settings.token_key.as_deref(),
            true,
            clock,
            settings.snapshots.clone(),
        )
        .await?
        .with_pushes(settings.pushes.clone());
        service.spawn_follower(settings.follow_every);
        service.spawn_day_rollover();
        if settings.pushes.deliver {
            service.spawn_deliveries();
        }
        service.spawn_snapshots();
        service.spawn_import_sweep();
        let router = router(AppState::new(service.clone()), &settings.http);
        Ok(Self { service, router })
    }
}
