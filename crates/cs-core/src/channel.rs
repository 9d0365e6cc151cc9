//! Contact channels and the per-channel tables that hang off them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How the customer reached us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Live chat or messaging in the shop's own widget.
    Chat,
    /// E-mail or web form.
    Email,
    /// Voice call.
    Phone,
    /// Social media message (public or private).
    Social,
    /// Anything else (SMS, video, back-office task).
    Other,
}

/// Number of channels; tables indexed by channel have this length.
pub const CHANNELS_N: usize = 5;

impl Channel {
    /// Every channel, in index order.
    pub const ALL: [Channel; CHANNELS_N] =
        [Channel::Chat, Channel::Email, Channel::Phone, Channel::Social, Channel::Other];

    /// Position of this channel in per-channel tables.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The lower-case name used in configs and JSON.
    pub const fn name(self) -> &'static str {
        match self {
            Channel::Chat => "chat",
            Channel::Email => "email",
            Channel::Phone => "phone",
            Channel::Social => "social",
            Channel::Other => "other",
        }
    }

    /// Parses a lower-case channel name.
    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == s)
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value per channel, indexed by [`Channel::index`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PerChannel<T>(pub [T; CHANNELS_N]);

impl<T: Copy> PerChannel<T> {
    /// The same value for every channel.
    pub const fn splat(v: T) -> Self {
        PerChannel([v; CHANNELS_N])
    }

    /// The value for `c`.
    #[inline]
    pub fn get(&self, c: Channel) -> T {
        self.0[c.index()]
    }

    /// Sets the value for `c`.
    #[inline]
    pub fn set(&mut self, c: Channel, v: T) {
        self.0[c.index()] = v;
    }
}
