//! Identifier newtypes, so a tailnet id can never be passed where a person's id is meant.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh random id (UUID v4).
            pub fn generate() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            /// Wraps an id read from the database or a URL; ids are opaque and checked by look-up.
            pub fn from_raw(raw: impl Into<String>) -> Self {
                Self(raw.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(
    /// A tailnet: one private network with its own members and settings.
    TailnetId
);
id_type!(
    /// A person (an identity with passkeys), who may belong to several tailnets.
    UserId
);
id_type!(
    /// One registered passkey of a person.
    PasskeyId
);
id_type!(
    /// One invitation to a tailnet, by email or by link.
    InviteId
);
