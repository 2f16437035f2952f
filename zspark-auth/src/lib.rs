//! Microsoft Entra ID (global, Azure China, US Gov) and plain OIDC: access-token
//! validation for `zspark serve` and sign-in with token caching for the desktop.

mod principal;

pub use principal::{Principal, is_principal_key};
