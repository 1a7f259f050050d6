//! The subscription lifecycle, checked as an analyst would with the
//! normalized layout's SCD2 `subscriptions` table: every event joins
//! exactly one version (a point-in-time join) and carries what it holds, so
//! no event falls after a cancellation or before a sign-up; the window
//! holds sign-ups, plan and billing changes, cancellations and returns; and
//! churn follows each plan's configured rate.

use std::collections::HashMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Date32Type, TimestampMicrosecondType};
use customer_events::model::{Event, Uuid};
use customer_events::normalize::{subscription_changes_batch, subscriptions_batch};
use customer_events::{Config, World};

const DAY: i64 = 86_400_000_000;

/// One row of `subscriptions`.
#[derive(Clone, Debug, PartialEq)]
struct Version {
    plan: String,
    start_date: i32,
    billing_cycle: String,
    services: Vec<String>,
    valid_from: i64,
    valid_to: Option<i64>,
    is_current: bool,
}

impl Version {
    fn holds_at(&self, ts: i64) -> bool {
        self.valid_from <= ts && self.valid_to.is_none_or(|to| ts < to)
    }
}

/// The `subscriptions` table of `world`, by user id, oldest first.
fn subscriptions(world: &World) -> HashMap<String, Vec<Version>> {
    let batch = subscriptions_batch(world, 0..world.population().len()).unwrap();
    let col = |name: &str| batch.column_by_name(name).unwrap();
    let text = |name: &str, i: usize| col(name).as_string::<i32>().value(i).to_string();
    let times = |name: &str| col(name).as_primitive::<TimestampMicrosecondType>().clone();
    let (from, to) = (times("valid_from"), times("valid_to"));
    let services = col("connected_services").as_list::<i32>();
    let mut table: HashMap<String, Vec<Version>> = HashMap::new();
    for i in 0..batch.num_rows() {
        let listed = services.value(i);
        table.entry(text("user_id", i)).or_default().push(Version {
            plan: text("plan", i),
            start_date: col("start_date").as_primitive::<Date32Type>().value(i),
            billing_cycle: text("billing_cycle", i),
            services: listed
                .as_string::<i32>()
                .iter()
                .map(|s| s.unwrap().to_string())
                .collect(),
            valid_from: from.value(i),
            valid_to: to.is_valid(i).then(|| to.value(i)),
            is_current: col("is_current").as_boolean().value(i),
        });
    }
    for versions in table.values_mut() {
        versions.sort_by_key(|v| v.valid_from);
    }
    table
}

fn four_weeks() -> World {
    World::new(Config {
        rows: 200_000,
        days: 28,
        ..Config::default()
    })
    .unwrap()
}

#[test]
fn every_event_joins_exactly_one_version_and_carries_it() {
    let world = four_weeks();
    let table = subscriptions(&world);
    let planned = world.plan_rows(0..world.rows());
    let mut event = Event::default();
    let mut users_seen: HashMap<Uuid, usize> = HashMap::new();
    for i in 0..planned.rows.len() {
        world.fill_planned(&planned, i, &mut event);
        let ts = event.timestamp.0;
        let versions = table.get(&event.user_id.to_string()).map_or(&[][..], |v| &v[..]);
        let joined: Vec<&Version> = versions.iter().filter(|v| v.holds_at(ts)).collect();
        assert_eq!(
            joined.len(),
            1,
            "rule lifecycle: event {} of user {} at {ts} joins {} versions of {versions:?}",
            event.event_id,
            event.user_id,
            joined.len()
        );
        let v = joined[0];
        let held = &event.user_subscription;
        assert!(
            v.plan == held.plan.as_str()
                && v.start_date == held.start_date.0
                && v.billing_cycle == held.billing_cycle.as_str()
                && v.services == held.connected_services.words().map(|w| w.as_str()).collect::<Vec<_>>(),
            "rule lifecycle: event {} carries {held:?}, not the version in force {v:?}",
            event.event_id
        );
        assert!(
            held.start_date.0 as i64 * DAY <= ts,
            "rule lifecycle: a stint starts after its event"
        );
        *users_seen.entry(event.user_id).or_default() += 1;
    }

    // What the window holds, as an analyst finds it in the table.
    let first = world.calendar().days()[0].start.0;
    let (mut signups, mut plan_changes, mut billing_changes, mut cancellations, mut returns) = (0, 0, 0, 0, 0);
    for versions in table.values() {
        assert!(
            versions.iter().filter(|v| v.is_current).count() <= 1,
            "rule lifecycle: two current versions"
        );
        for v in versions {
            assert_eq!(
                v.is_current,
                v.valid_to.is_none(),
                "rule lifecycle: is_current is an open version"
            );
        }
        if versions[0].valid_from >= first {
            signups += 1;
        }
        for pair in versions.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let to = a.valid_to.expect("a version followed by another is closed");
            assert!(to <= b.valid_from, "rule lifecycle: versions overlap");
            if to == b.valid_from {
                assert_eq!(a.start_date, b.start_date, "rule lifecycle: a change keeps start_date");
                plan_changes += (a.plan != b.plan) as u32;
                billing_changes += (a.billing_cycle != b.billing_cycle) as u32;
            } else {
                cancellations += 1;
                returns += 1;
                assert!(
                    b.start_date > a.start_date,
                    "rule lifecycle: a return starts a new stint"
                );
            }
        }
        let last = versions.last().unwrap();
        cancellations += last.valid_to.is_some() as u32;
    }
    let users = world.population().len() as f64;
    assert!(
        signups as f64 > users * 0.005,
        "rule lifecycle: {signups} sign-ups in four weeks"
    );
    assert!(plan_changes > 20, "rule lifecycle: {plan_changes} plan changes");
    assert!(
        billing_changes > 10,
        "rule lifecycle: {billing_changes} billing changes"
    );
    assert!(
        cancellations as f64 > users * 0.02,
        "rule lifecycle: {cancellations} cancellations in four weeks"
    );
    assert!(returns > 0, "rule lifecycle: nobody came back");
    // Most of the audience watches: the lifecycle does not empty it.
    assert!(
        users_seen.len() as f64 > users * 0.3,
        "{} users watched",
        users_seen.len()
    );
}

#[test]
fn churn_follows_each_plans_rate() {
    let config = Config {
        users: Some(40_000),
        ..Config::default()
    };
    let rates = config.lifecycle.churn_per_month.by_plan();
    let world = World::new(config).unwrap();
    let epoch = world.calendar().days()[0].start.0;
    let year = epoch + 365 * DAY;
    let month = 30.436_875 * DAY as f64;
    let (mut cancelled, mut exposure) = ([0u32; 3], [0f64; 3]);
    let population = world.population();
    for user in 0..population.len() {
        let first = population.first_subscription(user);
        for v in world
            .lifecycle()
            .history(user, &first)
            .take_while(|v| v.valid_from < year)
        {
            let from = v.valid_from.max(epoch);
            let to = v.valid_to.min(year);
            if to > from {
                exposure[v.held.plan as usize] += (to - from) as f64 / month;
            }
            if v.cancelled && v.valid_to < year {
                cancelled[v.held.plan as usize] += 1;
            }
        }
    }
    for plan in 0..3 {
        let measured = cancelled[plan] as f64 / exposure[plan];
        assert!(
            (measured / rates[plan] - 1.0).abs() < 0.1,
            "rule churn: plan {plan} cancels {measured:.4} a month, configured {}",
            rates[plan]
        );
    }
}

/// The `subscriptions` table rebuilt from the `subscription_changes` feed as
/// a CDC consumer would: per user, in time order, each `r`, `c` or `u`
/// starts a version (its row is `after`) that runs until the user's next
/// change; a version with none after it is current.
fn replayed(world: &World) -> (HashMap<String, Vec<Version>>, HashMap<String, usize>) {
    let batch = subscription_changes_batch(world, 0..world.population().len(), None).unwrap();
    let col = |name: &str| batch.column_by_name(name).unwrap();
    let ops = col("op").as_string::<i32>();
    let ts = col("ts").as_primitive::<TimestampMicrosecondType>();
    let users = col("user_id").as_string::<i32>();
    let (before, after) = (col("before").as_struct(), col("after").as_struct());
    let mut changes: HashMap<String, Vec<(i64, &str, usize)>> = HashMap::new();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for i in 0..batch.num_rows() {
        let op = ops.value(i);
        *counts.entry(op.to_string()).or_default() += 1;
        assert_eq!(
            before.is_valid(i),
            op == "u" || op == "d",
            "row {i}: {op} with before {}",
            before.is_valid(i)
        );
        assert_eq!(
            after.is_valid(i),
            op != "d",
            "row {i}: {op} with after {}",
            after.is_valid(i)
        );
        changes
            .entry(users.value(i).to_string())
            .or_default()
            .push((ts.value(i), op, i));
    }
    let field = |row: &arrow::array::StructArray, name: &str| row.column_by_name(name).unwrap().clone();
    let (plan, start, cycle, services, updated) = (
        field(after, "plan"),
        field(after, "start_date"),
        field(after, "billing_cycle"),
        field(after, "connected_services"),
        field(after, "updated_at"),
    );
    let mut table: HashMap<String, Vec<Version>> = HashMap::new();
    for (user, list) in changes {
        assert!(list.is_sorted_by_key(|c| c.0), "{user}'s changes come in time order");
        let mut versions = Vec::new();
        for (k, &(_, op, i)) in list.iter().enumerate() {
            if op == "d" {
                continue;
            }
            let valid_to = list.get(k + 1).map(|next| next.0);
            versions.push(Version {
                plan: plan.as_string::<i32>().value(i).to_string(),
                start_date: start.as_primitive::<Date32Type>().value(i),
                billing_cycle: cycle.as_string::<i32>().value(i).to_string(),
                services: services
                    .as_list::<i32>()
                    .value(i)
                    .as_string::<i32>()
                    .iter()
                    .map(|s| s.unwrap().to_string())
                    .collect(),
                valid_from: updated.as_primitive::<TimestampMicrosecondType>().value(i),
                valid_to,
                is_current: valid_to.is_none(),
            });
        }
        if !versions.is_empty() {
            table.insert(user, versions);
        }
    }
    (table, counts)
}

#[test]
fn replaying_the_change_feed_rebuilds_the_scd2_table() {
    let world = four_weeks();
    let (rebuilt, counts) = replayed(&world);
    for op in ["r", "c", "u", "d"] {
        assert!(
            counts.get(op).copied().unwrap_or(0) > 0,
            "four weeks hold `{op}` changes: {counts:?}"
        );
    }
    assert_eq!(counts.len(), 4, "{counts:?}");
    let table = subscriptions(&world);
    assert_eq!(rebuilt.len(), table.len(), "users with a version in the window");
    for (user, versions) in &table {
        assert_eq!(rebuilt.get(user), Some(versions), "user {user}");
    }
}
