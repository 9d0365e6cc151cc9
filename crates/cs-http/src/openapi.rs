//! `GET /openapi.json`: the API described from its own request types (utoipa derives the
//! schemas from the same structs the handlers decode), with every path, its errors and
//! the bearer token it needs.

use crate::api::{Action, NewAgent, NewTicket, PresenceBody, TicketPatch};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// The body of every error.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// `{"code": "unknown_ticket", "message": "no ticket \"T-9\""}`
    error: ErrorDetail,
}

/// An error's code and message.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// A stable snake_case code.
    code: String,
    /// What is wrong, naming the field or id.
    message: String,
}

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cs: routing and SLA engine for customer service",
        description = "A tenant's help desk posts agents and tickets; the engine says who answers what, when each SLA clock runs out, and where every customer stands. Ids are the help desk's strings. Every /v1 request needs `Authorization: Bearer TOKEN`. POSTs take an `Idempotency-Key` header: a retry returns the first answer and changes nothing. Errors are `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        create_agent, list_agents, get_agent, set_presence, create_ticket, list_tickets, get_ticket, patch_ticket,
        ticket_action, queues, metrics, staffing, customer_position, get_config, put_config, events, healthz, prometheus
    ),
    components(schemas(NewAgent, PresenceBody, NewTicket, TicketPatch, Action, ErrorBody, ErrorDetail)),
    modifiers(&Bearer),
    security(("bearer" = []))
)]
struct Doc;

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    Doc::openapi()
}

// Anchors for the paths: the handlers live in `routes`; these carry their documentation.

#[utoipa::path(post, path = "/v1/agents", request_body = NewAgent, params(("Idempotency-Key" = Option<String>, Header, description = "retry key")),
    responses((status = 201, description = "The agent, offline until it logs in"), (status = 400, body = ErrorBody, description = "A bad field"), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody, description = "The id is taken"), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[allow(dead_code)]
fn create_agent() {}

#[utoipa::path(get, path = "/v1/agents", responses((status = 200, description = "Every agent with presence, load per channel and tickets held"), (status = 401, body = ErrorBody)))]
#[allow(dead_code)]
fn list_agents() {}

#[utoipa::path(get, path = "/v1/agents/{id}", params(("id" = String, Path)), responses((status = 200, description = "The agent"), (status = 404, body = ErrorBody)))]
#[allow(dead_code)]
fn get_agent() {}

#[utoipa::path(post, path = "/v1/agents/{id}/presence", params(("id" = String, Path)), request_body = PresenceBody,
    responses((status = 200, description = "The agent"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[allow(dead_code)]
fn set_presence() {}

#[utoipa::path(post, path = "/v1/tickets", request_body = NewTicket, params(("Idempotency-Key" = Option<String>, Header, description = "retry key")),
    responses((status = 201, description = "The ticket: its state, the agent if assigned, else its position and estimated wait"), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody, description = "The id is taken"), (status = 422, body = ErrorBody, description = "Refused by the engine (queue full, no queue for the channel, ...)")))]
#[allow(dead_code)]
fn create_ticket() {}

#[utoipa::path(get, path = "/v1/tickets", params(("state" = Option<String>, Query), ("queue" = Option<String>, Query), ("limit" = Option<usize>, Query)), responses((status = 200, description = "Tickets held, in creation order")))]
#[allow(dead_code)]
fn list_tickets() {}

#[utoipa::path(get, path = "/v1/tickets/{id}", params(("id" = String, Path)), responses((status = 200, description = "State, agent, position and estimated wait while waiting, every SLA clock, and the routing explanation"), (status = 404, body = ErrorBody)))]
#[allow(dead_code)]
fn get_ticket() {}

#[utoipa::path(patch, path = "/v1/tickets/{id}", params(("id" = String, Path)), request_body = TicketPatch, responses((status = 200, description = "The ticket"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[allow(dead_code)]
fn patch_ticket() {}

#[utoipa::path(post, path = "/v1/tickets/{id}/actions", params(("id" = String, Path)), request_body = Action, responses((status = 200, description = "The ticket after the action"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[allow(dead_code)]
fn ticket_action() {}

#[utoipa::path(get, path = "/v1/queues", responses((status = 200, description = "Per queue: waiting, oldest wait, service level today against the goal, the last 8 hours, tickets at risk")))]
#[allow(dead_code)]
fn queues() {}

#[utoipa::path(get, path = "/v1/metrics", params(("from" = Option<String>, Query, description = "RFC 3339; default midnight UTC"), ("to" = Option<String>, Query, description = "RFC 3339; default now")), responses((status = 200, description = "The metrics summary, with the fields of `cs replay --json`"), (status = 400, body = ErrorBody)))]
#[allow(dead_code)]
fn metrics() {}

#[utoipa::path(get, path = "/v1/staffing", params(("target_s" = Option<f64>, Query, description = "service-level threshold, seconds; default 20"), ("service_level" = Option<f64>, Query, description = "share to answer within it; default 0.8"), ("reserve" = Option<f64>, Query, description = "elastic reserve; default 0.2"), ("ahead" = Option<u32>, Query, description = "15-minute intervals ahead, 0 to 96; default 4"), ("patience_s" = Option<f64>, Query, description = "customers' mean patience, seconds (Erlang A); default none (Erlang C)")), responses((status = 200, description = "Per queue: the last hour's arrivals and handle time, and the agents needed now and in each interval ahead, with the reserve"), (status = 400, body = ErrorBody)))]
#[allow(dead_code)]
fn staffing() {}

#[utoipa::path(get, path = "/v1/customers/{id}/position", params(("id" = String, Path)), responses((status = 200, description = "The customer's open tickets with position and estimated wait")))]
#[allow(dead_code)]
fn customer_position() {}

#[utoipa::path(get, path = "/v1/config", responses((status = 200, description = "The engine config in force")))]
#[allow(dead_code)]
fn get_config() {}

#[utoipa::path(put, path = "/v1/config", responses((status = 200, description = "The new engine config"), (status = 422, body = ErrorBody, description = "Invalid, or does not extend the config in force")))]
#[allow(dead_code)]
fn put_config() {}

#[utoipa::path(get, path = "/v1/events", params(("Last-Event-ID" = Option<u64>, Header, description = "resume after this sequence number"), ("after" = Option<u64>, Query)), responses((status = 200, description = "text/event-stream of the tenant's events")))]
#[allow(dead_code)]
fn events() {}

#[utoipa::path(get, path = "/healthz", security(), responses((status = 200, description = "The process serves; per tenant whether this node writes it and its sequence")))]
#[allow(dead_code)]
fn healthz() {}

#[utoipa::path(get, path = "/metrics", security(), responses((status = 200, description = "Prometheus text format")))]
#[allow(dead_code)]
fn prometheus() {}
