//! A user's subscription over time: when they sign up, change plan or
//! billing cycle, cancel and come back, as a sequence of versions (the rows
//! of the normalized layout's SCD2 `subscriptions` table).
//!
//! The lifecycle is a pure function of (seed, user index) and the config's
//! epoch, never of the run's first day, so the subscription in force at any
//! instant is the same in every window, and it is computed by walking the
//! user's few changes from the epoch, without generating earlier days.
//!
//! Most users (the audience at the epoch) hold their first subscription
//! since a day before the epoch ([`Population::first_subscription`]); the
//! rest sign up after it, at an exponentially thinning rate (mean a year
//! after the epoch) whose first month brings `signups_per_month` of the
//! audience. From the epoch (or their sign-up) on, changes come as a
//! Poisson process whose rate is the sum of the monthly rates: a
//! cancellation at the plan's churn rate, a plan change (one step up or
//! down) and a billing-cycle change. A cancellation ends the stint; a share
//! `come_back` of those who cancel subscribe again after an exponential
//! wait, on the plan they left, with a new `start_date`.
//!
//! [`Population::first_subscription`]: crate::users::Population::first_subscription

use crate::config::{Config, LifecycleConfig};
use crate::model::{Days, ServiceSet, Subscription};
use crate::rng::{KeyedRng, Stream};
use crate::vocab::{BILLING_CYCLE, PLAN, PLANS};

const DAY_MICROS: i64 = 86_400_000_000;
/// A mean month (the Gregorian year's twelfth), in microseconds.
const MONTH_MICROS: f64 = 30.436_875 * DAY_MICROS as f64;
/// Mean wait from the epoch to the sign-up of a user who joins after it.
pub const ARRIVAL_MEAN_DAYS: f64 = 365.25;
/// Versions never reach past this instant (year 9999), so times never overflow.
const FAR_FUTURE: i64 = 253_402_300_799_000_000;

/// A subscription as events carry it, in compact form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    /// Index into [`PLANS`].
    pub plan: u8,
    /// Index into `BILLING_CYCLES`.
    pub billing: u8,
    /// Connected services, as a bit set.
    pub services: u8,
    /// First day of the stint (sign-up or return); kept across plan and
    /// billing changes.
    pub start_date: Days,
}

impl Held {
    /// The compact form of `subscription`.
    #[inline]
    pub fn of(subscription: &Subscription) -> Self {
        Held {
            plan: subscription.plan.key() as u8,
            billing: subscription.billing_cycle.key() as u8,
            services: subscription.connected_services.0,
            start_date: subscription.start_date,
        }
    }

    /// The subscription an event carries.
    #[inline]
    pub fn subscription(self) -> Subscription {
        Subscription {
            plan: PLAN.word(self.plan as usize),
            start_date: self.start_date,
            billing_cycle: BILLING_CYCLE.word(self.billing as usize),
            connected_services: ServiceSet(self.services),
        }
    }
}

/// One version of a user's subscription: in force from `valid_from`
/// (inclusive) to `valid_to` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    /// What is held.
    pub held: Held,
    /// When it took effect, in microseconds since the Unix epoch.
    pub valid_from: i64,
    /// When the next change (or the cancellation) took effect.
    pub valid_to: i64,
    /// Whether the version ends with a cancellation.
    pub cancelled: bool,
}

/// The lifecycle's rates, per microsecond.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    seed: u64,
    epoch: i64,
    newcomer_share: f64,
    arrival_mean: f64,
    churn: [f64; PLANS.len()],
    plan_change: f64,
    billing_change: f64,
    come_back: f64,
    come_back_mean: f64,
}

impl Lifecycle {
    /// The lifecycle of `config`'s users.
    pub fn new(config: &Config) -> Self {
        let life: &LifecycleConfig = &config.lifecycle;
        // Arrivals thin as exp(-t / mean) from the epoch; their first month
        // is `signups_per_month` of the audience at the epoch.
        let months = ARRIVAL_MEAN_DAYS * DAY_MICROS as f64 / MONTH_MICROS;
        let ratio = life.signups_per_month * months;
        let per_micro = |monthly: f64| monthly / MONTH_MICROS;
        Lifecycle {
            seed: config.seed,
            epoch: Days::from_date(config.epoch()).0 as i64 * DAY_MICROS,
            newcomer_share: ratio / (1.0 + ratio),
            arrival_mean: ARRIVAL_MEAN_DAYS * DAY_MICROS as f64,
            churn: life.churn_per_month.by_plan().map(per_micro),
            plan_change: per_micro(life.plan_changes_per_month),
            billing_change: per_micro(life.billing_changes_per_month),
            come_back: life.come_back,
            come_back_mean: life.come_back_days * DAY_MICROS as f64,
        }
    }

    /// The versions of user `user`, oldest first; `first` is the user's
    /// first subscription ([`Population::first_subscription`]).
    ///
    /// [`Population::first_subscription`]: crate::users::Population::first_subscription
    pub fn history(&self, user: u64, first: &Subscription) -> History<'_> {
        let mut rng = KeyedRng::new(self.seed, Stream::Lifecycle, user);
        let held = Held::of(first);
        let (held, valid_from, clock) = if rng.chance(self.newcomer_share) {
            let joined = self.after(self.epoch, self.arrival_mean, &mut rng);
            let start_date = Days(joined.div_euclid(DAY_MICROS) as i32);
            (Held { start_date, ..held }, joined, joined)
        } else {
            let from = first.start_date.0 as i64 * DAY_MICROS;
            (held, from, self.epoch.max(from))
        };
        History {
            lifecycle: self,
            rng,
            next: Some((held, valid_from, clock)),
        }
    }

    /// The version in force at `time`, if the user is subscribed then.
    pub fn at(&self, user: u64, first: &Subscription, time: i64) -> Option<Version> {
        self.history(user, first)
            .take_while(|v| v.valid_from <= time)
            .find(|v| time < v.valid_to)
    }

    /// The version in force at `from`, if the user is subscribed then and
    /// does not cancel before `until`.
    pub fn subscribed_through(&self, user: u64, first: &Subscription, from: i64, until: i64) -> Option<Version> {
        let mut versions = self.history(user, first).skip_while(|v| v.valid_to <= from);
        let held = versions.next().filter(|v| v.valid_from <= from)?;
        let mut last = held;
        while last.valid_to < until {
            if last.cancelled {
                return None;
            }
            last = versions.next()?;
        }
        Some(held)
    }

    /// An instant `mean` (on average, exponentially) after `time`.
    #[inline]
    fn after(&self, time: i64, mean: f64, rng: &mut KeyedRng) -> i64 {
        let wait = -(1.0 - rng.unit()).ln() * mean;
        if wait >= (FAR_FUTURE - time) as f64 {
            FAR_FUTURE
        } else {
            time + (wait as i64).max(1)
        }
    }
}

/// A user's versions, oldest first; ends after a cancellation with no
/// return, or at the year 9999.
#[derive(Debug)]
pub struct History<'l> {
    lifecycle: &'l Lifecycle,
    rng: KeyedRng,
    /// The next version's holding, start, and the instant its hazard is
    /// counted from (the epoch for a version that started before it).
    next: Option<(Held, i64, i64)>,
}

impl Iterator for History<'_> {
    type Item = Version;

    fn next(&mut self) -> Option<Version> {
        let (held, valid_from, clock) = self.next.take()?;
        if valid_from >= FAR_FUTURE {
            return None;
        }
        let life = self.lifecycle;
        let churn = life.churn[held.plan as usize];
        let rate = churn + life.plan_change + life.billing_change;
        if rate <= 0.0 {
            return Some(Version {
                held,
                valid_from,
                valid_to: FAR_FUTURE,
                cancelled: false,
            });
        }
        let rng = &mut self.rng;
        let valid_to = life.after(clock, 1.0 / rate, rng);
        if valid_to >= FAR_FUTURE {
            return Some(Version {
                held,
                valid_from,
                valid_to: FAR_FUTURE,
                cancelled: false,
            });
        }
        let pick = rng.unit() * rate;
        let cancelled = pick < churn;
        if cancelled {
            if rng.chance(life.come_back) {
                let back = life.after(valid_to, life.come_back_mean, rng);
                let start_date = Days(back.div_euclid(DAY_MICROS) as i32);
                self.next = Some((Held { start_date, ..held }, back, back));
            }
        } else if pick < churn + life.plan_change {
            let top = PLANS.len() as u8 - 1;
            let up = match held.plan {
                0 => true,
                p if p == top => false,
                _ => rng.chance(0.5),
            };
            let plan = if up { held.plan + 1 } else { held.plan - 1 };
            self.next = Some((Held { plan, ..held }, valid_to, valid_to));
        } else {
            let billing = 1 - held.billing;
            self.next = Some((Held { billing, ..held }, valid_to, valid_to));
        }
        Some(Version {
            held,
            valid_from,
            valid_to,
            cancelled,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::Population;

    fn world() -> (Config, Population, Lifecycle) {
        let config = Config {
            users: Some(4000),
            ..Config::default()
        };
        let population = Population::build(&config);
        let lifecycle = Lifecycle::new(&config);
        (config, population, lifecycle)
    }

    #[test]
    fn versions_follow_each_other_without_overlap() {
        let (_, population, lifecycle) = world();
        for user in 0..population.len() {
            let first = population.first_subscription(user);
            let versions: Vec<Version> = lifecycle.history(user, &first).take(50).collect();
            for pair in versions.windows(2) {
                assert!(pair[0].valid_from < pair[0].valid_to);
                if pair[0].cancelled {
                    assert!(
                        pair[1].valid_from > pair[0].valid_to,
                        "a return comes after its cancellation"
                    );
                    assert!(pair[1].held.start_date >= pair[0].held.start_date);
                } else {
                    assert_eq!(pair[1].valid_from, pair[0].valid_to);
                    assert_eq!(pair[1].held.start_date, pair[0].held.start_date);
                }
            }
            for v in &versions {
                assert!(v.held.start_date.0 as i64 * DAY_MICROS <= v.valid_from);
            }
        }
    }

    #[test]
    fn the_version_in_force_is_found_without_earlier_days() {
        let (_, population, lifecycle) = world();
        let mut changed = 0;
        for user in 0..population.len() {
            let first = population.first_subscription(user);
            for v in lifecycle.history(user, &first).take(6) {
                assert_eq!(lifecycle.at(user, &first, v.valid_from), Some(v));
                assert_eq!(lifecycle.at(user, &first, v.valid_to - 1), Some(v));
                changed += 1;
            }
        }
        assert!(changed > population.len() as usize);
    }

    #[test]
    fn newcomers_sign_up_after_the_epoch_in_the_configured_share() {
        let (config, population, lifecycle) = world();
        let epoch = Days::from_date(config.epoch()).0 as i64 * DAY_MICROS;
        let joined_after = (0..population.len())
            .filter(|&u| {
                let first = population.first_subscription(u);
                lifecycle
                    .history(u, &first)
                    .next()
                    .is_some_and(|v| v.valid_from >= epoch)
            })
            .count() as f64;
        let share = joined_after / population.len() as f64;
        assert!((share - lifecycle.newcomer_share).abs() < 0.03, "{share}");
    }
}
