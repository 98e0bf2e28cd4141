//! The "Webhooks" page: the endpoints, the form that adds one, and each endpoint's deliveries.

pub mod add_endpoint_form;
pub mod deliveries;
pub mod endpoint_card;
pub mod webhooks_page;
