//! The OpenAPI document: every route registers itself with its schemas and responses.

use crate::AppState;
use crate::routes;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pledge",
        description = "知识产权金融普惠企业白名单与质押融资匹配 / the IP-financing white list and pledge-loan matching.\n\nEvery error is an RFC 9457 problem (`application/problem+json`) with a stable `code`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    tags(
        (name = "health", description = "liveness and readiness"),
        (name = "registry", description = "parks, banks, enterprises"),
        (name = "ip", description = "patents, trademarks, appraisals"),
        (name = "access", description = "people, tokens and the audit log"),
        (name = "whitelist", description = "the white list: criteria, batches, entries, publication, export"),
        (name = "products", description = "loan products: rules, status, preview"),
        (name = "ledger", description = "Excel and CSV: import templates"),
        (name = "matching", description = "matches: which listed enterprises qualify, with which IP, for how much, and why"),
        (name = "outcomes", description = "what came of each contact, and the financing figures built from it"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("plg_…")
                    .build(),
            ),
        );
    }
}

/// All routes with their OpenAPI paths.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).merge(routes::router())
}
