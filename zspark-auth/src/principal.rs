//! Who a caller is. A principal key is the stable identity used in access lists:
//! `tenant:<tid>:oid:<oid>` for Entra users, `principal:<name>` for development
//! identities, `group:<id>` for groups.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// The stable key, e.g. `tenant:<tid>:oid:<oid>`.
    pub key: String,
    /// For people to read (`preferred_username`, `name`); never used for access.
    pub display_name: Option<String>,
    pub tenant_id: Option<String>,
    /// Group ids the caller belongs to (access can be granted to `group:<id>`).
    pub groups: Vec<String>,
}

/// An `X-Domain-User` value that cannot name a development user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("X-Domain-User must be a user name of 1 to 256 printable characters")]
pub struct InvalidDevelopmentUser;

impl Principal {
    /// A development identity from the `X-Domain-User` header.
    pub fn development(name: &str) -> Result<Self, InvalidDevelopmentUser> {
        let name = name.trim();
        if name.is_empty() || name.len() > 256 || name.chars().any(char::is_control) {
            return Err(InvalidDevelopmentUser);
        }
        Ok(Self {
            key: format!("principal:{}", name.to_lowercase()),
            display_name: Some(name.to_string()),
            tenant_id: None,
            groups: Vec::new(),
        })
    }

    /// An Entra identity from a token's tenant and object ids.
    pub fn entra(
        tenant_id: &str,
        object_id: &str,
        display_name: Option<String>,
        groups: Vec<String>,
    ) -> Self {
        Self {
            key: format!("tenant:{tenant_id}:oid:{object_id}"),
            display_name,
            tenant_id: Some(tenant_id.to_string()),
            groups,
        }
    }

    /// Every key that can grant this caller access: its own and its groups'.
    pub fn access_keys(&self) -> Vec<String> {
        std::iter::once(self.key.clone())
            .chain(self.groups.iter().map(|group| format!("group:{group}")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_forms() {
        let dev = Principal::development("Alice@Example.com").unwrap();
        assert_eq!(dev.key, "principal:alice@example.com");
        assert!(Principal::development(" ").is_err());
        assert!(Principal::development("a\u{7}b").is_err());
        let entra = Principal::entra("t1", "o1", None, vec!["g1".into()]);
        assert_eq!(entra.access_keys(), ["tenant:t1:oid:o1", "group:g1"]);
    }
}
