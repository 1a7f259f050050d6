//! Regional taste, as an analyst's per-country queries find it: providers
//! not offered in a country are never played there, titles in a country's
//! language are watched more there, and the top titles and providers differ
//! between countries. Release dates: nothing plays before its title's
//! release, and a new release is played most in its first weeks.

use std::collections::{HashMap, HashSet};

use customer_events::model::Event;
use customer_events::{Config, World};

/// Plays per (country, provider), (country, language) and (country, title).
struct Plays {
    by_provider: HashMap<(String, String), usize>,
    by_language: HashMap<(String, String), usize>,
    by_title: HashMap<(String, String), usize>,
    recommended: HashSet<(String, String)>,
}

fn plays(world: &World) -> Plays {
    let mut plays = Plays {
        by_provider: HashMap::new(),
        by_language: HashMap::new(),
        by_title: HashMap::new(),
        recommended: HashSet::new(),
    };
    let planned = world.plan_rows(0..world.rows());
    let mut event = Event::default();
    for i in 0..planned.rows.len() {
        world.fill_planned(&planned, i, &mut event);
        let country = event.location.country.as_str().to_string();
        for r in &event.recommendations {
            let provider = world.catalog().content(r.entry as usize).provider.as_str().to_string();
            plays.recommended.insert((country.clone(), provider));
        }
        if event.event_type.as_str() != "content_play" {
            continue;
        }
        let c = &event.content;
        *plays
            .by_provider
            .entry((country.clone(), c.provider.as_str().into()))
            .or_default() += 1;
        *plays
            .by_language
            .entry((country.clone(), c.language.as_str().into()))
            .or_default() += 1;
        *plays.by_title.entry((country, c.title.into())).or_default() += 1;
    }
    plays
}

/// The key with the most plays in `country`.
fn top(counts: &HashMap<(String, String), usize>, country: &str) -> String {
    counts
        .iter()
        .filter(|((c, _), _)| c == country)
        .max_by_key(|(key, n)| (**n, key.1.clone()))
        .map(|((_, k), _)| k.clone())
        .unwrap_or_default()
}

fn share(counts: &HashMap<(String, String), usize>, country: &str, key: &str) -> f64 {
    let total: usize = counts.iter().filter(|((c, _), _)| c == country).map(|(_, n)| n).sum();
    *counts.get(&(country.to_string(), key.to_string())).unwrap_or(&0) as f64 / total.max(1) as f64
}

#[test]
fn countries_watch_what_they_are_offered_in_their_languages() {
    let mut config = Config {
        rows: 200_000,
        days: 2,
        ..Config::default()
    };
    config.countries = [
        ("US", 0.3),
        ("GB", 0.15),
        ("DE", 0.15),
        ("ES", 0.1),
        ("MX", 0.1),
        ("FR", 0.1),
        ("JP", 0.1),
    ]
    .iter()
    .map(|(c, w)| (c.to_string(), *w))
    .collect();
    let world = World::new(config).unwrap();
    let plays = plays(&world);

    // Hulu and Peacock stream in the United States only.
    for ((country, provider), n) in &plays.by_provider {
        if country != "United States" {
            assert!(
                !matches!(provider.as_str(), "Hulu" | "Peacock"),
                "rule taste: {n} plays of {provider} in {country}"
            );
        }
    }
    for (country, provider) in &plays.recommended {
        if country != "United States" {
            assert!(
                !matches!(provider.as_str(), "Hulu" | "Peacock"),
                "rule taste: {provider} recommended in {country}"
            );
        }
    }
    assert!(plays.by_provider.contains_key(&("United States".into(), "Hulu".into())));

    // Spanish titles are watched more in Spain and Mexico, French ones in France.
    let spanish_gb = share(&plays.by_language, "United Kingdom", "es");
    for country in ["Spain", "Mexico"] {
        let spanish = share(&plays.by_language, country, "es");
        assert!(
            spanish > 1.8 * spanish_gb,
            "rule taste: Spanish titles are {spanish:.3} of plays in {country}, {spanish_gb:.3} in the United Kingdom"
        );
    }
    let french_fr = share(&plays.by_language, "France", "fr");
    let french_de = share(&plays.by_language, "Germany", "fr");
    assert!(
        french_fr > 1.8 * french_de,
        "rule taste: French titles {french_fr:.3} in France, {french_de:.3} in Germany"
    );

    // The top titles and providers differ between countries.
    let countries = [
        "United States",
        "United Kingdom",
        "Germany",
        "Spain",
        "Mexico",
        "France",
        "Japan",
    ];
    let top_titles: HashSet<String> = countries.iter().map(|c| top(&plays.by_title, c)).collect();
    let top_providers: HashSet<String> = countries.iter().map(|c| top(&plays.by_provider, c)).collect();
    assert!(top_titles.len() >= 3, "rule taste: top titles {top_titles:?}");
    assert!(top_providers.len() >= 2, "rule taste: top providers {top_providers:?}");
}

#[test]
fn nothing_plays_before_its_release_and_new_releases_are_watched_most_when_new() {
    let world = World::new(Config {
        rows: 300_000,
        days: 42,
        ..Config::default()
    })
    .unwrap();
    let first_day = world.calendar().days()[0].start.0.div_euclid(86_400_000_000) as i32;
    let planned = world.plan_rows(0..world.rows());
    let mut event = Event::default();
    // Plays of titles released in the first week, by days since release.
    let mut by_age = [0u32; 42];
    let mut plays = 0;
    for i in 0..planned.rows.len() {
        world.fill_planned(&planned, i, &mut event);
        let day = event.timestamp.0.div_euclid(86_400_000_000) as i32;
        let release = world.catalog().entry(event.content.entry as usize).release;
        for r in &event.recommendations {
            let recommended = world.catalog().entry(r.entry as usize).release;
            assert!(
                recommended <= day,
                "rule release: a title is recommended before its release"
            );
        }
        if event.event_type.as_str() != "content_play" {
            continue;
        }
        plays += 1;
        assert!(
            release <= day,
            "rule release: event {} plays a title released on day {release}, on day {day}",
            event.event_id
        );
        if (first_day..first_day + 7).contains(&release) {
            by_age[(day - release) as usize] += 1;
        }
    }
    // Their first two weeks against their fifth and sixth (every one of
    // them is out for at least 35 days of the 42).
    let early: u32 = by_age[..14].iter().sum();
    let late: u32 = by_age[28..35].iter().sum::<u32>() * 2;
    assert!(
        early > 300,
        "rule release: {early} plays of new titles in their first two weeks, of {plays}"
    );
    assert!(
        early as f64 > 3.0 * late as f64,
        "rule release: new titles play {early} times in their first two weeks, {late} in two weeks a month on"
    );
}

/// With the default countries (the dataset most users generate first), no
/// show takes the audience: the most-played title holds under a tenth of
/// all plays (one show once held a fifth, its episodes on consecutive
/// popularity ranks), and the countries' most-played titles and providers
/// are not everyone's.
#[test]
fn default_countries_have_their_own_top_titles_and_providers() {
    let config = Config {
        rows: 200_000,
        days: 2,
        ..Config::default()
    };
    let world = World::new(config).unwrap();
    let plays = plays(&world);
    let mut countries: HashMap<String, usize> = HashMap::new();
    let mut titles: HashMap<(String, String), usize> = HashMap::new();
    for ((country, title), n) in &plays.by_title {
        *countries.entry(country.clone()).or_default() += n;
        *titles.entry((String::new(), title.clone())).or_default() += n;
    }
    let title = top(&titles, "");
    let share = share(&titles, "", &title);
    assert!(share < 0.10, "rule taste: {title} is {share:.3} of all plays");
    // Countries with plays enough for their top to mean something.
    let mut large: Vec<&String> = countries.iter().filter(|(_, n)| **n >= 2_000).map(|(c, _)| c).collect();
    large.sort();
    assert!(large.len() >= 5, "rule taste: plays by country {countries:?}");
    let top_titles: HashSet<String> = large.iter().map(|c| top(&plays.by_title, c)).collect();
    let top_providers: HashSet<String> = large.iter().map(|c| top(&plays.by_provider, c)).collect();
    assert!(
        top_titles.len() >= 3,
        "rule taste: top titles {top_titles:?} of {large:?}"
    );
    assert!(
        top_providers.len() >= 3,
        "rule taste: top providers {top_providers:?} of {large:?}"
    );
}
