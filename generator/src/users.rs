//! The user universe: which users exist, where they live, what they pay for
//! and which devices they own. A user's attributes are a pure function of
//! (seed, user index); nothing per user is stored.
//!
//! Users are laid out by timezone: the index range `zone.first_user ..
//! zone.first_user + zone.users` holds the users of one IANA zone, sized by
//! the zone's share of the configured country weights and city populations.
//! Within a zone, activity is Zipf-skewed: low indices are the heavy users.

use chrono_tz::Tz;

use crate::config::Config;
use crate::model::{
    AppVersion, Days, Device, Location, MAX_DEVICES_PER_USER, OsVersion, ServiceSet, Subscription, Uuid,
};
use crate::rng::{KeyedRng, Stream, Weighted, Zipf};
use crate::vocab::device::{DEVICE_TYPE, DEVICE_TYPES, MODEL, OS, PLATFORMS, model_key};
use crate::vocab::places::{self, City, cities};
use crate::vocab::{BILLING_CYCLE, CONNECTED_SERVICES, PLAN, PLAN_WEIGHTS};

/// Users of one IANA timezone.
#[derive(Debug)]
pub struct Zone {
    /// IANA name.
    pub name: &'static str,
    /// The zone, for UTC offsets.
    pub tz: Tz,
    /// First user index of the zone.
    pub first_user: u64,
    /// Number of users.
    pub users: u64,
    /// Indices into the gazetteer ([`cities`]).
    cities: Vec<usize>,
    city_pick: Weighted,
    activity: Zipf,
}

impl Zone {
    /// The ISO code of the zone's country.
    pub fn country_code(&self) -> &'static str {
        cities()[self.cities[0]].country_code
    }

    /// Draws one of the zone's users, heavy users more often.
    #[inline]
    pub fn pick_user(&self, rng: &mut KeyedRng) -> u64 {
        self.first_user + self.activity.sample(rng)
    }
}

/// One user's stable attributes.
#[derive(Clone, Debug)]
pub struct User {
    /// User index in the universe.
    pub index: u64,
    /// User id.
    pub id: Uuid,
    /// Home city.
    pub location: Location,
    /// The first subscription (at sign-up, or held at the epoch); what is
    /// held later is the user's [`Lifecycle`](crate::lifecycle::Lifecycle).
    pub subscription: Subscription,
    /// Number of devices (their slots are `0..devices`).
    pub devices: u32,
}

/// The fixed universe of users.
#[derive(Debug)]
pub struct Population {
    seed: u64,
    zones: Vec<Zone>,
    plans: Weighted,
    device_types: Weighted,
    platforms_by_type: Vec<(Weighted, Vec<usize>)>,
    devices_per_user: (u32, u32),
    newest_start: Days,
}

impl Population {
    /// Lays out `config.user_count()` users over the configured countries.
    pub fn build(config: &Config) -> Self {
        let total_users = config.user_count();
        // Weight of each city: its country's weight times its share of the country's population.
        let country_total: f64 = config.countries.values().sum();
        let mut zone_cities: Vec<(&'static str, Vec<(usize, f64)>)> = Vec::new();
        for (code, weight) in &config.countries {
            let of_country: Vec<(usize, &City)> = cities()
                .iter()
                .enumerate()
                .filter(|(_, c)| c.country_code == code)
                .collect();
            let population: f64 = of_country.iter().map(|(_, c)| c.population as f64).sum();
            for (index, city) in of_country {
                let w = weight / country_total * city.population as f64 / population;
                match zone_cities.iter_mut().find(|(name, _)| *name == city.timezone) {
                    Some((_, list)) => list.push((index, w)),
                    None => zone_cities.push((city.timezone, vec![(index, w)])),
                }
            }
        }
        zone_cities.sort_by(|a, b| a.0.cmp(b.0));
        let weights: Vec<f64> = zone_cities
            .iter()
            .map(|(_, l)| l.iter().map(|(_, w)| w).sum())
            .collect();
        let counts = apportion(total_users, &weights);
        let mut zones = Vec::new();
        let mut first_user = 0;
        for ((name, list), users) in zone_cities.into_iter().zip(counts) {
            if users == 0 {
                continue;
            }
            zones.push(Zone {
                name,
                tz: name.parse().expect("gazetteer timezones are IANA names"),
                first_user,
                users,
                city_pick: Weighted::new(list.iter().map(|(_, w)| *w)).expect("positive city weights"),
                cities: list.into_iter().map(|(c, _)| c).collect(),
                activity: Zipf::new(users, config.user_skew),
            });
            first_user += users;
        }
        let platforms_by_type = (0..DEVICE_TYPES.len())
            .map(|t| {
                let ids: Vec<usize> = (0..PLATFORMS.len())
                    .filter(|&p| PLATFORMS[p].device_type == t)
                    .collect();
                let weights = Weighted::new(ids.iter().map(|&p| PLATFORMS[p].weight)).expect("platform weights");
                (weights, ids)
            })
            .collect();
        Population {
            seed: config.seed,
            zones,
            plans: Weighted::new(PLAN_WEIGHTS).expect("plan weights"),
            device_types: Weighted::new(config.device_mix.weights()).expect("validated device mix"),
            platforms_by_type,
            devices_per_user: (config.devices_per_user.min, config.devices_per_user.max),
            newest_start: Days::from_date(config.epoch()),
        }
    }

    /// The timezones that have users, in a fixed order.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// Total users.
    pub fn len(&self) -> u64 {
        self.zones.last().map_or(0, |z| z.first_user + z.users)
    }

    /// Whether there are no users.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The zone holding user `index`.
    pub fn zone_of(&self, index: u64) -> &Zone {
        &self.zones[self.zone_index_of(index)]
    }

    /// The index (in [`Population::zones`]) of the zone holding user `index`.
    pub fn zone_index_of(&self, index: u64) -> usize {
        let i = self.zones.partition_point(|z| z.first_user + z.users <= index);
        i.min(self.zones.len() - 1)
    }

    /// The id of user `index`, without its other attributes.
    #[inline]
    pub fn user_id(&self, index: u64) -> Uuid {
        Uuid::derive(self.seed, Stream::UserId, index)
    }

    /// The stable attributes of user `index` (in `0..len()`).
    pub fn user(&self, index: u64) -> User {
        self.user_in_zone(self.zone_of(index), index)
    }

    /// As [`Population::user`] when the zone is already known.
    #[inline]
    pub fn user_in_zone(&self, zone: &Zone, index: u64) -> User {
        let mut rng = KeyedRng::new(self.seed, Stream::User, index);
        let subscription = self.draw_subscription(&mut rng);
        let city = zone.cities[zone.city_pick.sample(&mut rng)];
        let devices = rng.range_i32(self.devices_per_user.0 as i32, self.devices_per_user.1 as i32) as u32;
        User {
            index,
            id: self.user_id(index),
            location: Location {
                country: places::COUNTRY.word(city),
                city: places::CITY.word(city),
                region: places::REGION.word(city),
                timezone: places::TIMEZONE.word(city),
            },
            subscription,
            devices,
        }
    }

    /// The first subscription of user `index` (the start of its
    /// [`Lifecycle`](crate::lifecycle::Lifecycle)), without the rest of the user.
    #[inline]
    pub fn first_subscription(&self, index: u64) -> Subscription {
        self.draw_subscription(&mut KeyedRng::new(self.seed, Stream::User, index))
    }

    /// Plan, billing cycle, services and a start up to eight years before
    /// the timeline's epoch (a fixed day, not the run's first day), more of
    /// them recently: the first draws of a user's stream.
    #[inline]
    fn draw_subscription(&self, rng: &mut KeyedRng) -> Subscription {
        let plan = PLAN.word(self.plans.sample(rng));
        let billing_cycle = BILLING_CYCLE.word(rng.chance(0.25) as usize);
        let mut services = 0u8;
        for bit in 0..CONNECTED_SERVICES.len() {
            if rng.chance(0.3) {
                services |= 1 << bit;
            }
        }
        let u = rng.unit();
        let days_before = (u * u.sqrt() * 8.0 * 365.0) as i32;
        Subscription {
            plan,
            start_date: Days(self.newest_start.0 - days_before),
            billing_cycle,
            connected_services: ServiceSet(services),
        }
    }

    /// Device `slot` of user `index`: type, OS and model fit each other.
    #[inline]
    pub fn device(&self, user: u64, slot: u32) -> (usize, Device) {
        let mut rng = KeyedRng::new(
            self.seed,
            Stream::Device,
            user.wrapping_mul(MAX_DEVICES_PER_USER as u64).wrapping_add(slot as u64),
        );
        let device_type = self.device_types.sample(&mut rng);
        let (weights, ids) = &self.platforms_by_type[device_type];
        let platform_index = ids[weights.sample(&mut rng)];
        let platform = &PLATFORMS[platform_index];
        let os = &platform.os;
        let major = rng.range_i32(os.major.0 as i32, os.major.1 as i32) as u8;
        let minor = (os.max_minor > 0).then(|| rng.below(os.max_minor as u32 + 1) as u8);
        let app_version = AppVersion(rng.range_i32(3, 9) as u8, rng.below(6) as u8, rng.below(4) as u8);
        let model = rng.below(platform.models.len() as u32) as usize;
        let device = Device {
            device_type: DEVICE_TYPE.word(device_type),
            os: OS.word(platform_index),
            os_version: OsVersion { major, minor },
            app_version,
            model: MODEL.word(model_key(platform_index, model)),
        };
        (device_type, device)
    }
}

/// Splits `total` into integer parts proportional to `weights` (largest remainder).
pub fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let assigned: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Ties broken by index, so the split is deterministic.
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(total.saturating_sub(assigned) as usize) {
        parts[i] += 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportion_is_exact() {
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0.0, 2.0]).iter().sum::<u64>(), 7);
        assert_eq!(apportion(5, &[0.0, 2.0])[0], 0);
    }

    #[test]
    fn users_are_stable_and_live_in_their_zone() {
        let config = Config {
            users: Some(5000),
            ..Config::default()
        };
        let pop = Population::build(&config);
        assert_eq!(pop.len(), 5000);
        for index in (0..5000).step_by(37) {
            let a = pop.user(index);
            let b = pop.user(index);
            assert_eq!(a.location, b.location);
            assert_eq!(a.subscription, b.subscription);
            assert_eq!(a.location.timezone, pop.zone_of(index).name);
            assert!(a.subscription.start_date <= Days::from_date(config.epoch()));
            for slot in 0..a.devices {
                assert_eq!(pop.device(index, slot), pop.device(index, slot));
            }
        }
    }
}
