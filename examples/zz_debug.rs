use customer_events::config::LengthRange;
use customer_events::rng::{KeyedRng, Stream};
use customer_events::{Config, World};
fn main() {
    for case in 0..12u64 {
        let mut rng = KeyedRng::new(case, Stream::Event, 12345);
        let mut config = Config {
            seed: rng.next_u64(),
            rows: 1_000 + rng.below(4_000) as u64,
            days: 1 + rng.below(40),
            start: chrono::NaiveDate::from_ymd_opt(2020 + rng.below(8) as i32, 1 + rng.below(12), 1 + rng.below(28))
                .unwrap(),
            users: Some(1 + rng.below(3_000) as u64),
            catalog_size: 10 + rng.below(5_000) as u64,
            user_skew: rng.unit() * 2.0,
            content_skew: rng.unit() * 2.0,
            completion_rate: rng.unit(),
            ..Config::default()
        };
        config.event_mix.search = rng.unit();
        config.event_mix.browse = rng.unit();
        config.device_mix.tablet = rng.unit() * 3.0;
        config.actions = LengthRange {
            min: 1,
            max: 1 + rng.below(10),
        };
        config.recommendations = LengthRange {
            min: 1,
            max: 1 + rng.below(9),
        };
        config.search_history = LengthRange {
            min: 1,
            max: 1 + rng.below(10),
        };
        println!(
            "case {case}: rows {} days {} users {:?} catalog {} rec {:?}",
            config.rows, config.days, config.users, config.catalog_size, config.recommendations
        );
        let world = World::new(config.clone()).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| world.plan_rows(0..world.rows())));
        println!("  -> {}", if r.is_ok() { "ok" } else { "PANIC" });
    }
}
