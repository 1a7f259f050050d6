//! Behaviour across rows, checked as an analyst's queries would find it:
//! 30-minute sessionization, no overlapping plays, one device per session,
//! journeys (search → play, clicked recommendation → play, next episode)
//! and search histories that list the user's own searches. Each rule is an
//! assertion over generated events that names the rule when it fails.

use std::collections::HashMap;

use customer_events::model::{Event, Uuid};
use customer_events::{Config, World};

const SECOND: i64 = 1_000_000;
const THIRTY_MINUTES: i64 = 30 * 60 * SECOND;

/// One user's event and what the 30-minute rule needs of it.
struct Seen<'w> {
    event: Event<'w>,
    /// When it is over: a play lasts its `play_duration`.
    end: i64,
}

/// Every event of `world`, by user, in time order.
fn by_user(world: &World) -> HashMap<Uuid, Vec<Seen<'_>>> {
    let mut users: HashMap<Uuid, Vec<Seen<'_>>> = HashMap::new();
    let planned = world.plan_rows(0..world.rows());
    for i in 0..planned.rows.len() {
        let mut event = Event::default();
        world.fill_planned(&planned, i, &mut event);
        let played = event.event_details.as_ref().map_or(0, |d| d.play_duration as i64);
        let end = event.timestamp.0 + played * SECOND;
        users.entry(event.user_id).or_default().push(Seen { event, end });
    }
    for events in users.values_mut() {
        events.sort_by_key(|s| s.event.timestamp.0);
    }
    users
}

/// Pairs of a user's consecutive events less than 30 idle minutes apart:
/// the same session by the analyst's rule (across midnight UTC too, where
/// a session goes on in the next day's rows).
fn within_sessions<'a, 'w>(events: &'a [Seen<'w>]) -> impl Iterator<Item = (&'a Seen<'w>, &'a Seen<'w>)> {
    events.windows(2).filter_map(|pair| {
        let (a, b) = (&pair[0], &pair[1]);
        (b.event.timestamp.0 - a.end < THIRTY_MINUTES).then_some((a, b))
    })
}

fn world(rows: u64, config: impl FnOnce(&mut Config)) -> World {
    let mut c = Config {
        rows,
        days: 3,
        ..Config::default()
    };
    config(&mut c);
    World::new(c).unwrap()
}

#[test]
fn events_come_in_sessions_of_several_events_minutes_apart() {
    let world = world(150_000, |_| {});
    let users = by_user(&world);
    let (mut sessions, mut single, mut events, mut overlapping) = (0usize, 0usize, 0usize, 0usize);
    let mut gaps = Vec::new();
    for list in users.values() {
        let mut length = 0;
        for (i, seen) in list.iter().enumerate() {
            let idle = i.checked_sub(1).map(|p| seen.event.timestamp.0 - list[p].end);
            if idle.is_some_and(|idle| idle < 0) {
                overlapping += 1;
            }
            match idle {
                Some(idle) if idle < THIRTY_MINUTES => {
                    gaps.push(idle);
                    length += 1;
                }
                _ => {
                    if length == 1 {
                        single += 1;
                    }
                    sessions += 1;
                    length = 1;
                }
            }
            events += 1;
        }
        if length == 1 {
            single += 1;
        }
    }
    assert_eq!(
        overlapping, 0,
        "rule sessions: an event starts before the user's play ends"
    );
    let per_session = events as f64 / sessions as f64;
    assert!(
        (3.0..8.0).contains(&per_session),
        "rule sessions: {per_session:.2} events per 30-minute session"
    );
    assert!(
        single * 100 < sessions * 25,
        "rule sessions: {single} of {sessions} sessions are a single event"
    );
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2] / SECOND;
    assert!(
        (20..=180).contains(&median),
        "rule sessions: median think time {median} s (configured mean 90 s)"
    );
}

#[test]
fn a_session_keeps_one_device_and_one_place() {
    let world = world(100_000, |_| {});
    let (mut pairs, mut changed) = (0, 0);
    for list in by_user(&world).values() {
        for (a, b) in within_sessions(list) {
            pairs += 1;
            if a.event.device != b.event.device || a.event.location != b.event.location {
                changed += 1;
            }
        }
    }
    assert!(pairs > 50_000, "only {pairs} consecutive pairs within sessions");
    assert_eq!(changed, 0, "rule sessions: device or place changes inside a session");
}

#[test]
fn sessions_go_on_past_midnight_in_the_next_days_rows() {
    // Three days of 40,000 events: sessions under way at midnight UTC (the
    // evening in the Americas) go on with events dated the next day.
    let world = world(120_000, |_| {});
    let date = |s: &Seen<'_>| s.event.timestamp.0.div_euclid(86_400 * SECOND);
    let (mut across, mut pairs_at_midnight, mut idle_at_midnight) = (0, 0usize, Vec::new());
    let mut earlier_that_day = 0;
    for list in by_user(&world).values() {
        for (i, pair) in list.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            if date(a) == date(b) || b.event.timestamp.0 - a.end >= THIRTY_MINUTES {
                continue;
            }
            // A session across midnight: did its user have another session
            // earlier that day?
            let mut first = i;
            while first > 0 && list[first].event.timestamp.0 - list[first - 1].end < THIRTY_MINUTES {
                first -= 1;
            }
            if first > 0 && date(&list[first - 1]) == date(a) {
                earlier_that_day += 1;
            }
        }
        for (a, b) in within_sessions(list) {
            if date(a) != date(b) {
                across += 1;
                assert_eq!(
                    (&a.event.device, &a.event.location),
                    (&b.event.device, &b.event.location),
                    "rule sessions: a session changes device or place at midnight"
                );
            }
        }
        // A user's last event before a midnight and first after it.
        for pair in list.windows(2) {
            if date(&pair[0]) + 1 == date(&pair[1]) {
                pairs_at_midnight += 1;
                idle_at_midnight.push(pair[1].event.timestamp.0 - pair[0].end);
            }
        }
    }
    assert!(
        across > 500,
        "rule sessions: only {across} sessions go on past midnight UTC ({pairs_at_midnight} pairs)"
    );
    // Their users are kept for them, not kept from the rest of their day.
    assert!(
        earlier_that_day * 10 > across,
        "rule sessions: only {earlier_that_day} of {across} sessions past midnight follow a session of the same day"
    );
    // Idle times under 30 minutes across midnight are a session's think
    // times (exponential, 90 s on average), not the rest of a gap that
    // midnight cut short.
    let mut short: Vec<i64> = idle_at_midnight.into_iter().filter(|&i| i < THIRTY_MINUTES).collect();
    short.sort_unstable();
    let median = short[short.len() / 2] / SECOND;
    assert!(
        median <= 180,
        "rule sessions: the median idle time under 30 minutes across midnight is {median} s of {} ({pairs_at_midnight} pairs)",
        short.len()
    );
}

#[test]
fn days_of_no_rows_and_sessions_that_never_end_still_hold_their_rows() {
    // Five events over a week: some days have none, and the day after an
    // empty one plans from it.
    let sparse = world(5, |c| c.days = 7);
    assert_eq!(sparse.plan_rows(0..5).rows.len(), 5);
    // A chain that never ends: every session runs to its most events, for
    // hours, so the days keep their sessions within midnight.
    let endless = world(30_000, |c| {
        c.days = 2;
        for after in [
            &mut c.session.after_browse,
            &mut c.session.after_search,
            &mut c.session.after_content_play,
        ] {
            after.end = 0.0;
        }
    });
    assert_eq!(endless.plan_rows(0..30_000).rows.len(), 30_000);
    // The longest gap between sessions the config takes.
    let apart = world(30_000, |c| {
        c.days = 2;
        c.session.gap_minutes = 720.0;
    });
    assert_eq!(apart.plan_rows(0..30_000).rows.len(), 30_000);
}

/// Of the events of type `kind` that satisfy `when`, the share whose next
/// event in the session is a play of the content `target` names.
fn followed_by_play<'w>(
    users: &HashMap<Uuid, Vec<Seen<'w>>>,
    when: impl Fn(&Event<'w>) -> Option<u32>,
) -> (usize, f64) {
    let (mut cases, mut played) = (0, 0);
    for list in users.values() {
        for (i, seen) in list.iter().enumerate() {
            let Some(target) = when(&seen.event) else { continue };
            // The last event of a day's session has no next in its session.
            let next = list
                .get(i + 1)
                .filter(|next| within_sessions(&list[i..i + 2]).next().is_some() && next.event.timestamp.0 > 0);
            cases += 1;
            if let Some(next) = next
                && next.event.event_type.as_str() == "content_play"
                && next.event.content.entry == target
            {
                played += 1;
            }
        }
    }
    (cases, played as f64 / cases.max(1) as f64)
}

#[test]
fn journeys_connect_searches_clicks_and_episodes_to_plays() {
    let world = world(150_000, |_| {});
    let users = by_user(&world);

    let (searches, converted) = followed_by_play(&users, |e| {
        (e.event_type.as_str() == "search").then_some(e.content.entry)
    });
    assert!(searches > 5_000, "{searches} searches");
    assert!(
        (0.2..=0.4).contains(&converted),
        "rule journeys: {converted:.3} of searches lead to a play of the title searched for (search_to_play 0.3)"
    );

    let (clicks, clicked_played) = followed_by_play(&users, |e| {
        e.recommendations.iter().find(|r| r.clicked).map(|r| r.entry)
    });
    assert!(clicks > 5_000, "{clicks} clicks");
    assert!(
        clicked_played > 0.97,
        "rule journeys: {clicked_played:.3} of clicked recommendations are played next"
    );
    for list in users.values() {
        for seen in list {
            assert!(
                seen.event.recommendations.iter().filter(|r| r.clicked).count() <= 1,
                "rule journeys: at most one click per list"
            );
        }
    }

    let catalog = world.catalog();
    let (finished, next_episode) = followed_by_play(&users, |e| {
        let done = e.event_details.as_ref().is_some_and(|d| d.completed);
        let next = catalog.next_episode(e.content.entry as usize)?;
        done.then_some(next as u32)
    });
    assert!(finished > 1_000, "{finished} finished episodes with a next one");
    assert!(
        (0.5..=0.7).contains(&next_episode),
        "rule journeys: {next_episode:.3} of finished episodes are followed by the next (binge 0.6)"
    );
    // The next episode is the same show: same title and season, episode + 1.
    for entry in 0..catalog.len() {
        if let Some(next) = catalog.next_episode(entry) {
            let (a, b) = (catalog.content(entry), catalog.content(next));
            assert_eq!((a.title, a.season), (b.title, b.season));
            assert_eq!(a.episode.map(|e| e + 1), b.episode);
        }
    }
}

#[test]
fn journey_rates_follow_the_config() {
    let world = world(60_000, |c| {
        c.session.search_to_play = 0.8;
        c.session.binge = 0.0;
    });
    let users = by_user(&world);
    let (_, converted) = followed_by_play(&users, |e| {
        (e.event_type.as_str() == "search").then_some(e.content.entry)
    });
    assert!(converted > 0.7, "search_to_play 0.8 gives {converted:.3}");
    let catalog = world.catalog();
    let (_, next_episode) = followed_by_play(&users, |e| {
        let done = e.event_details.as_ref().is_some_and(|d| d.completed);
        done.then_some(catalog.next_episode(e.content.entry as usize)? as u32)
    });
    assert!(next_episode < 0.05, "binge 0 gives {next_episode:.3}");
}

#[test]
fn search_history_lists_the_users_own_searches() {
    let world = world(80_000, |_| {});
    let users = by_user(&world);
    let mut listed_own = 0;
    for list in users.values() {
        // A search event's history ends with the search itself.
        let made: HashMap<i64, (Uuid, &str, i32)> = list
            .iter()
            .filter(|s| s.event.event_type.as_str() == "search")
            .map(|s| {
                let own = s.event.search_history.last().expect("a search lists itself");
                assert_eq!(
                    own.timestamp, s.event.timestamp,
                    "rule history: a search lists itself last"
                );
                (own.timestamp.0, (own.search_id, own.query, own.results_count))
            })
            .collect();
        let mut session_start = i64::MIN;
        for (i, seen) in list.iter().enumerate() {
            let continues = i > 0 && within_sessions(&list[i - 1..=i]).next().is_some();
            if !continues {
                session_start = seen.event.timestamp.0;
            }
            let history = &seen.event.search_history;
            assert!(
                history.windows(2).all(|w| w[0].timestamp <= w[1].timestamp),
                "rule history: oldest first"
            );
            for search in history {
                assert!(
                    search.timestamp <= seen.event.timestamp,
                    "rule history: searches precede the event"
                );
                if search.timestamp.0 >= session_start {
                    let Some(&(id, query, results)) = made.get(&search.timestamp.0) else {
                        panic!(
                            "rule history: a search of the session at {} is no search event",
                            search.timestamp
                        )
                    };
                    assert_eq!(
                        (search.search_id, search.query, search.results_count),
                        (id, query, results)
                    );
                    listed_own += 1;
                }
            }
        }
    }
    assert!(listed_own > 10_000, "only {listed_own} listed searches of the session");
}

#[test]
fn rows_read_out_of_order_are_the_rows_read_in_order() {
    let world = world(30_000, |c| c.days = 2);
    let planned = world.plan_rows(0..world.rows());
    let in_order: Vec<Event<'_>> = (0..planned.rows.len())
        .map(|i| {
            let mut event = Event::default();
            world.fill_planned(&planned, i, &mut event);
            event
        })
        .collect();
    for row in [29_999, 7, 15_000, 6, 14_999, 0, 20_000] {
        assert_eq!(world.event(row), in_order[row as usize], "row {row}");
    }
    let batch = world.record_batch(14_000..16_000).unwrap();
    assert_eq!(
        batch,
        World::new(world.config().clone())
            .unwrap()
            .record_batch(14_000..16_000)
            .unwrap()
    );
}
