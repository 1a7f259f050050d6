//! Static vocabularies: every word the generator can write, in tables built
//! into the binary. They start from the original module's lists and extend
//! them where that adds realism (more device models, real places).

pub mod content;
pub mod device;
pub mod places;

/// Event types, in the order the config's `event_mix` weights them.
pub const EVENT_TYPES: [&str; 3] = ["content_play", "search", "browse"];

/// Subscription plans.
pub const PLANS: [&str; 3] = ["Basic", "Standard", "Premium"];
/// Default weight of each plan.
pub const PLAN_WEIGHTS: [f64; 3] = [0.35, 0.40, 0.25];

/// Billing cycles.
pub const BILLING_CYCLES: [&str; 2] = ["monthly", "yearly"];

/// Services a subscription can be connected to (a user holds a subset).
pub const CONNECTED_SERVICES: [&str; 5] = ["Netflix", "Hulu", "Amazon Prime", "Disney+", "HBO Max"];

/// Playback qualities, from lowest to highest; the index is the quality level.
pub const QUALITIES: [&str; 3] = ["SD", "HD", "4K"];
/// Bandwidth (Mbit/s) a quality needs to play without constant buffering.
pub const QUALITY_MIN_MBPS: [u32; 3] = [1, 5, 25];

/// Playback speeds a player offers.
pub const SPEEDS: [f64; 7] = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0];
/// Index of normal speed in [`SPEEDS`].
pub const NORMAL_SPEED: usize = 2;

/// Network types.
pub const NETWORK_TYPES: [&str; 4] = ["WiFi", "Mobile", "Ethernet", "cable"];
/// Bandwidth range (Mbit/s, inclusive) of each network type.
pub const NETWORK_MBPS: [(u32, u32); 4] = [(10, 500), (3, 120), (100, 1000), (50, 600)];

/// User action types.
pub const ACTION_PAUSE: &str = "pause";
/// The action that closes a playback watched to the end.
pub const ACTION_COMPLETED: &str = "completed";
/// A quality change (old and new quality always differ).
pub const ACTION_CHANGE_QUALITY: &str = "change quality";
/// A speed change (old and new speed always differ).
pub const ACTION_PLAYBACK_SPEED: &str = "playback_speed";

/// Recommendation algorithms.
pub const ALGORITHMS: [&str; 3] = ["collaborative", "content_based", "hybrid"];
