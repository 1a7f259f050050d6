//! The device vocabulary: which operating systems run on which device types,
//! and which models fit both. A model listed under a (type, OS) pair is one
//! that really is that kind of device with that OS.

/// Device types, in the order the config's `device_mix` weights them.
pub const DEVICE_TYPES: [&str; 4] = ["mobile", "desktop", "tablet", "smartTV"];

/// An operating system and how its version numbers look.
#[derive(Debug)]
pub struct Os {
    /// Name as written in the data.
    pub name: &'static str,
    /// Major version range (inclusive).
    pub major: (u8, u8),
    /// Highest minor version; 0 means versions are written without a minor part.
    pub max_minor: u8,
}

/// A (device type, OS) pairing with the models that fit it.
#[derive(Debug)]
pub struct Platform {
    /// Index into [`DEVICE_TYPES`].
    pub device_type: usize,
    /// The OS.
    pub os: Os,
    /// Share of this OS among devices of its type.
    pub weight: f64,
    /// Models of this type running this OS.
    pub models: &'static [&'static str],
}

/// Every platform. Each device type has at least one.
pub const PLATFORMS: [Platform; 10] = [
    Platform {
        device_type: 0,
        os: Os {
            name: "Android",
            major: (11, 14),
            max_minor: 0,
        },
        weight: 0.55,
        models: &[
            "Pixel 5",
            "Pixel 7a",
            "Pixel 8",
            "Galaxy S21",
            "Galaxy S23",
            "Galaxy A54",
            "OnePlus 9",
            "OnePlus 11",
        ],
    },
    Platform {
        device_type: 0,
        os: Os {
            name: "iOS",
            major: (15, 17),
            max_minor: 6,
        },
        weight: 0.45,
        models: &["iPhone 12", "iPhone 13", "iPhone 14", "iPhone 15", "iPhone SE"],
    },
    Platform {
        device_type: 1,
        os: Os {
            name: "Windows",
            major: (10, 11),
            max_minor: 0,
        },
        weight: 0.62,
        models: &[
            "Surface Pro",
            "Dell XPS 13",
            "HP Spectre",
            "Lenovo ThinkPad",
            "Acer Aspire",
        ],
    },
    Platform {
        device_type: 1,
        os: Os {
            name: "macOS",
            major: (12, 14),
            max_minor: 6,
        },
        weight: 0.30,
        models: &["MacBook Air", "MacBook Pro", "iMac", "Mac mini"],
    },
    Platform {
        device_type: 1,
        os: Os {
            name: "Linux",
            major: (5, 6),
            max_minor: 15,
        },
        weight: 0.08,
        models: &["Dell XPS 13", "System76 Galago Pro", "Lenovo ThinkPad"],
    },
    Platform {
        device_type: 2,
        os: Os {
            name: "Android",
            major: (11, 14),
            max_minor: 0,
        },
        weight: 0.45,
        models: &["Galaxy Tab S9", "Galaxy Tab A8", "Pixel Tablet", "Lenovo Tab P11"],
    },
    Platform {
        device_type: 2,
        os: Os {
            name: "iOS",
            major: (15, 17),
            max_minor: 6,
        },
        weight: 0.55,
        models: &["iPad Pro", "iPad Air", "iPad", "iPad mini"],
    },
    Platform {
        device_type: 3,
        os: Os {
            name: "Android TV",
            major: (10, 12),
            max_minor: 0,
        },
        weight: 0.35,
        models: &[
            "NVIDIA Shield",
            "Xiaomi Mi Box",
            "Sony Bravia",
            "Chromecast with Google TV",
        ],
    },
    Platform {
        device_type: 3,
        os: Os {
            name: "Tizen",
            major: (5, 7),
            max_minor: 5,
        },
        weight: 0.35,
        models: &["Samsung Smart TV"],
    },
    Platform {
        device_type: 3,
        os: Os {
            name: "webOS",
            major: (5, 6),
            max_minor: 9,
        },
        weight: 0.30,
        models: &["LG Smart TV"],
    },
];

/// Share of each network type (see `vocab::NETWORK_TYPES`) per device type.
pub const NETWORK_WEIGHTS: [[f64; 4]; 4] = [
    // WiFi, Mobile, Ethernet, cable
    [0.55, 0.45, 0.0, 0.0],  // mobile
    [0.60, 0.0, 0.30, 0.10], // desktop
    [0.85, 0.15, 0.0, 0.0],  // tablet
    [0.50, 0.0, 0.25, 0.25], // smartTV
];

/// Highest quality level (index into `vocab::QUALITIES`) each device type plays.
pub const MAX_QUALITY: [usize; 4] = [1, 2, 2, 2];

/// Where each platform's models start in [`MODEL`]'s list.
const MODEL_OFFSETS: [usize; PLATFORMS.len()] = {
    let mut offsets = [0; PLATFORMS.len()];
    let mut i = 1;
    while i < PLATFORMS.len() {
        offsets[i] = offsets[i - 1] + PLATFORMS[i - 1].models.len();
        i += 1;
    }
    offsets
};

/// [`DEVICE_TYPES`].
pub static DEVICE_TYPE: super::Vocabulary = super::Vocabulary::new(|| &DEVICE_TYPES);

/// [`DEVICE_TYPES`], then misspelt ([`super::with_misspellings`]): `MOBILE`, `mobile `, …, `SMARTTV`, `smartTV `.
pub static DEVICE_TYPE_MISSPELT: super::Vocabulary = super::Vocabulary::new(|| {
    static WORDS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| super::with_misspellings(&DEVICE_TYPES))
});

/// The OS of each platform, keyed by the platform's index in [`PLATFORMS`].
pub static OS: super::Vocabulary = super::Vocabulary::new(|| {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| PLATFORMS.iter().map(|p| p.os.name).collect())
});

/// Every platform's models in platform order (a model on two platforms is
/// listed twice); see [`model_key`].
pub static MODEL: super::Vocabulary = super::Vocabulary::new(|| {
    static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| PLATFORMS.iter().flat_map(|p| p.models.iter().copied()).collect())
});

/// The key in [`MODEL`] of model `model` of platform `platform`.
#[inline]
pub fn model_key(platform: usize, model: usize) -> usize {
    MODEL_OFFSETS[platform] + model
}
