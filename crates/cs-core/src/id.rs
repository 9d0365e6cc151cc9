//! Dense integer ids used on the hot path.
//!
//! The outside world names things with strings (an agent's login, a skill called
//! "billing"); those names are mapped to these ids once, at the edge, by the config or
//! by the state's key tables. Inside the core everything is an index.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! dense_id {
    ($(#[$doc:meta])* $name:ident($int:ty), $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub $int);

        impl $name {
            /// The id as a `usize`, for indexing dense tables.
            #[inline]
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

dense_id!(
    /// A ticket, numbered by the engine in creation order starting at 0.
    TicketId(u64),
    "T"
);
dense_id!(
    /// An agent, numbered by the engine in registration order starting at 0.
    AgentId(u32),
    "A"
);
dense_id!(
    /// A skill: the index of its name in the config's `skills` list.
    SkillId(u16),
    "S"
);
dense_id!(
    /// A queue: the index of its entry in the config's `queues` list.
    QueueId(u16),
    "Q"
);
dense_id!(
    /// A team: the index of its entry in the config's `teams` list.
    TeamId(u16),
    "Team"
);
dense_id!(
    /// A language: the index of its name in the config's `languages` list.
    LanguageId(u8),
    "L"
);
dense_id!(
    /// A ticket category: the index of its name in the config's `categories` list.
    CategoryId(u16),
    "C"
);
dense_id!(
    /// A customer, as identified by the caller (a CRM number, or an interned key).
    CustomerId(u64),
    "Cust"
);
