#!/usr/bin/env python3
"""Baseline: the original Python prototype's approach, timed.

The original `CustomerEvents` module built one event dict at a time (Faker +
`random`), each field drawn independently. This script does the same with
plain `random` (no Faker: that only makes the baseline faster, so the
comparison is generous to Python), collects the dicts in a list, and writes
them to Parquet with `pyarrow.Table.from_pylist` + `pyarrow.parquet.write_table`.

Shapes and vocabularies follow the original module (see the original-module
facts in the shared seed folder): event_details always present, 1..=5 user
actions (only the keys that action type uses), 1..=3 recommendations, 1..=5
searches. Column names and nesting follow our schema (event_id, device,
location, content, user_subscription, event_details, user_action,
recommendations, search_history), with typed timestamps and dates, so the
Parquet written is comparable to ours. No numpy, no vectorization: one dict
per event, as the original.

    python benches/python_baseline.py --rows 200000 --out /tmp/baseline.parquet

prints one JSON line: {"rows": N, "seconds": S, "events_per_s": E, ...}
where seconds covers generating the dicts, building the table and writing the
file (not the interpreter start or the pyarrow import).
"""

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

# --- vocabularies of the original module ----------------------------------

DEVICE_TYPES = ["mobile", "desktop", "tablet", "smartTV"]
OS_BY_TYPE = {
    "mobile": ["Android", "iOS"],
    "tablet": ["Android", "iOS"],
    "desktop": ["Windows", "macOS", "Linux"],
    "smartTV": ["Android TV", "Tizen", "webOS"],
}
MODELS_BY_OS = {
    "Android": ["Pixel 5", "Galaxy S21", "OnePlus 9"],
    "iOS": ["iPhone 12", "iPad Pro", "iPhone SE"],
    "Windows": ["Surface Pro", "Dell XPS 13", "HP Spectre"],
    "macOS": ["MacBook Air", "MacBook Pro", "iMac"],
    "Linux": ["Dell XPS 13", "System76 Galago Pro", "Lenovo ThinkPad"],
    "Android TV": ["NVIDIA Shield", "Xiaomi Mi Box", "Roku"],
    "Tizen": ["Samsung Smart TV", "LG Smart TV"],
    "webOS": ["LG Smart TV", "Sony Smart TV"],
}

# The original drew a city and timezone from a Faker locale per country; a few
# real places per country stand in for that.
PLACES = {
    "United States": [("New York", "New York", "America/New_York"),
                      ("Los Angeles", "California", "America/Los_Angeles"),
                      ("Chicago", "Illinois", "America/Chicago"),
                      ("Houston", "Texas", "America/Chicago")],
    "United Kingdom": [("London", "England", "Europe/London"),
                       ("Manchester", "England", "Europe/London"),
                       ("Glasgow", "Scotland", "Europe/London")],
    "Canada": [("Toronto", "Ontario", "America/Toronto"),
               ("Montreal", "Quebec", "America/Toronto"),
               ("Vancouver", "British Columbia", "America/Vancouver")],
    "Australia": [("Sydney", "New South Wales", "Australia/Sydney"),
                  ("Melbourne", "Victoria", "Australia/Melbourne"),
                  ("Perth", "Western Australia", "Australia/Perth")],
    "Germany": [("Berlin", "Berlin", "Europe/Berlin"),
                ("Hamburg", "Hamburg", "Europe/Berlin"),
                ("Munich", "Bavaria", "Europe/Berlin")],
    "France": [("Paris", "Île-de-France", "Europe/Paris"),
               ("Marseille", "Provence-Alpes-Côte d'Azur", "Europe/Paris"),
               ("Lyon", "Auvergne-Rhône-Alpes", "Europe/Paris")],
    "Italy": [("Rome", "Latium", "Europe/Rome"),
              ("Milan", "Lombardy", "Europe/Rome"),
              ("Naples", "Campania", "Europe/Rome")],
    "Spain": [("Madrid", "Madrid", "Europe/Madrid"),
              ("Barcelona", "Catalonia", "Europe/Madrid"),
              ("Valencia", "Valencia", "Europe/Madrid")],
}
COUNTRIES = list(PLACES)

CONTENT_TYPES = ["Movie", "TV Show", "Documentary", "Animation", "Short Film",
                 "Mini-series", "Reality Show"]
DURATION_BY_TYPE = {"Movie": (90, 120), "TV Show": (20, 60), "Documentary": (30, 90),
                    "Animation": (30, 120), "Short Film": (5, 30),
                    "Mini-series": (60, 120), "Reality Show": (20, 60)}
SEASONS_BY_TYPE = {"TV Show": 15, "Mini-series": 5, "Reality Show": 20}
PROVIDERS = ["Netflix", "Hulu", "Amazon Prime Video", "Disney+", "HBO Max",
             "Apple TV+", "YouTube", "Vimeo", "Peacock", "Paramount+"]
GENRES = ["Action", "Drama", "Comedy", "Thriller", "Horror", "Action-comedy",
          "Romantic", "Science Fiction", "Fantasy", "Mystery", "Adventure",
          "Documentary", "Animation", "Family", "Musical", "Biography"]
LANGUAGES = ["en", "es", "fr"]
TITLE_FORMATS = ["The {noun} of {noun2}", "{adjective} {noun}", "{noun}: {proper_noun}",
                 "The {noun} in the {noun2}", "{noun} {preposition} {noun2}",
                 "The {number} {noun}s", "{verb} the {noun}"]
NOUNS = ["House", "Story", "Life", "World", "Game", "Night", "Day", "King", "Queen",
         "Castle", "Empire", "Journey", "Road", "Secret", "Dream", "Shadow", "Light",
         "Mountain", "River", "Ocean", "Star", "Planet", "Hero", "Legend", "Myth"]
ADJECTIVES = ["Dark", "Bright", "Silent", "Loud", "Ancient", "Modern", "Wild", "Quiet",
              "Hidden", "Lost", "Eternal", "Broken", "Perfect", "Golden", "Silver",
              "Crystal", "Frozen", "Burning", "Sacred", "Magical", "Mysterious"]
VERBS = ["Run", "Hide", "Seek", "Find", "Love", "Hate", "Build", "Destroy", "Create",
         "Begin", "End", "Rise", "Fall", "Fight", "Surrender", "Remember", "Forget"]
PROPER_NOUNS = ["Avalon", "Elysium", "Atlantis", "Gotham", "Olympus", "Eden",
                "Alexandria", "Shangri-La", "Valhalla", "Camelot", "Narnia"]
PREPOSITIONS = ["of", "in", "under", "beyond", "through", "without", "between", "beneath"]

EVENT_TYPES = ["content_play", "search", "browse"]
QUALITIES = ["HD", "SD", "4K"]
NETWORKS = ["WiFi", "Mobile", "Ethernet", "cable"]
ACTION_TYPES = ["pause", "completed", "change quality", "playback_speed"]
ALGORITHMS = ["collaborative", "content_based", "hybrid"]
QUERIES = ["quantum", "nebula", "photon", "galaxy", "cosmos"]
PLANS = ["Basic", "Standard", "Premium"]
BILLING = ["monthly", "yearly"]
SERVICES = ["Netflix", "Hulu", "Amazon Prime", "Disney+", "HBO Max"]
USER_PREFIX = "c8f3ae40-8d4f-4a77-9c07-6f1ce1a1b2d3"

EPOCH = dt.datetime(2000, 1, 1)
SPAN_US = int((dt.datetime(2025, 1, 1) - EPOCH).total_seconds() * 1_000_000)
DATE_EPOCH = dt.date(2000, 1, 1)
DATE_SPAN_DAYS = (dt.date(2023, 12, 31) - DATE_EPOCH).days

# --- one event at a time, as the original ---------------------------------

rnd = random.Random()
choice = rnd.choice
randint = rnd.randint
uniform = rnd.uniform
getrandbits = rnd.getrandbits
random_ = rnd.random


def uuid4():
    # What Faker's uuid4() does.
    return str(uuid.UUID(int=getrandbits(128), version=4))


def timestamp():
    return EPOCH + dt.timedelta(microseconds=randint(0, SPAN_US))


def device():
    kind = choice(DEVICE_TYPES)
    os_name = choice(OS_BY_TYPE[kind])
    return {
        "type": kind,
        "os": os_name,
        "os_version": str(uniform(10, 20)),
        "app_version": f"{randint(1, 9)}.{randint(0, 5)}.{randint(0, 3)}",
        "model": choice(MODELS_BY_OS[os_name]),
    }


def location():
    country = choice(COUNTRIES)
    city, region, tz = choice(PLACES[country])
    return {"country": country, "city": city, "region": region, "timezone": tz}


def title():
    return choice(TITLE_FORMATS).format(
        noun=choice(NOUNS), noun2=choice(NOUNS), adjective=choice(ADJECTIVES),
        verb=choice(VERBS), proper_noun=choice(PROPER_NOUNS),
        preposition=choice(PREPOSITIONS), number=randint(2, 12))


def content():
    kind = choice(CONTENT_TYPES)
    low, high = DURATION_BY_TYPE[kind]
    seasons = SEASONS_BY_TYPE.get(kind)
    season = randint(1, seasons) if seasons else None
    episode = randint(1, 24) if seasons else None
    return {
        "id": uuid4(),
        "title": title(),
        "type": kind,
        "episode": episode,
        "season": season,
        "provider": choice(PROVIDERS),
        "genre": choice(GENRES),
        "release_year": randint(2000, 2024),
        "duration": randint(low, high),
        "language": choice(LANGUAGES),
    }


def subscription():
    return {
        "plan": choice(PLANS),
        "start_date": DATE_EPOCH + dt.timedelta(days=randint(0, DATE_SPAN_DAYS)),
        "billing_cycle": choice(BILLING),
        "connected_services": rnd.sample(SERVICES, randint(1, len(SERVICES))),
    }


def event_details():
    return {
        "play_duration": randint(1, 1000),
        "play_percentage": uniform(0, 100),
        "playback_quality": choice(QUALITIES),
        "buffering_incidents": randint(0, 5),
        "playback_speed": round(uniform(0.5, 2.0), 2),
        "paused": random_() < 0.5,
        "completed": random_() < 0.5,
        "network_type": choice(NETWORKS),
        "bandwidth": f"{randint(10, 100)}{choice(('mbps', 'gbps'))}",
    }


def user_action():
    kind = choice(ACTION_TYPES)
    action = {"action_type": kind, "timestamp": timestamp()}
    if kind == "pause":
        action["duration"] = randint(100, 1000)
    elif kind == "completed":
        action["duration"] = randint(100, 1000)
        action["completed"] = True
    elif kind == "change quality":
        old, new = rnd.sample(QUALITIES, 2)
        action["old_quality"] = old
        action["new_quality"] = new
    else:
        action["old_speed"] = round(uniform(0.5, 2.0), 2)
        action["new_speed"] = round(uniform(0.5, 2.0), 2)
    return action


def recommendations():
    return [{"content_id": f"m{randint(0, 999_999):06d}", "position": i + 1,
             "algorithm": choice(ALGORITHMS), "clicked": random_() < 0.5}
            for i in range(randint(1, 3))]


def search_history():
    return [{"search_id": f"s{randint(0, 999_999):06d}", "timestamp": timestamp(),
             "query": choice(QUERIES), "results_count": randint(10, 100)}
            for _ in range(randint(1, 5))]


def generate_consumer_event_data():
    return {
        "event_id": uuid4(),
        "user_id": f"{USER_PREFIX}-{randint(0, 500)}",
        "device": device(),
        "location": location(),
        "content": content(),
        "event_type": choice(EVENT_TYPES),
        "user_subscription": subscription(),
        "timestamp": timestamp(),
        "event_details": event_details(),
        "user_action": [user_action() for _ in range(randint(1, 5))],
        "recommendations": recommendations(),
        "search_history": search_history(),
    }


# --- the schema, given explicitly (skips inference: generous again) -------

S, I32, F64, B = pa.string(), pa.int32(), pa.float64(), pa.bool_()
TS = pa.timestamp("us", tz="UTC")
SCHEMA = pa.schema([
    ("event_id", S), ("user_id", S),
    ("device", pa.struct([("type", S), ("os", S), ("os_version", S),
                          ("app_version", S), ("model", S)])),
    ("location", pa.struct([("country", S), ("city", S), ("region", S), ("timezone", S)])),
    ("content", pa.struct([("id", S), ("title", S), ("type", S), ("episode", I32),
                           ("season", I32), ("provider", S), ("genre", S),
                           ("release_year", I32), ("duration", I32), ("language", S)])),
    ("event_type", S),
    ("user_subscription", pa.struct([("plan", S), ("start_date", pa.date32()),
                                     ("billing_cycle", S),
                                     ("connected_services", pa.list_(S))])),
    ("timestamp", TS),
    ("event_details", pa.struct([("play_duration", I32), ("play_percentage", F64),
                                 ("playback_quality", S), ("buffering_incidents", I32),
                                 ("playback_speed", F64), ("paused", B), ("completed", B),
                                 ("network_type", S), ("bandwidth", S)])),
    ("user_action", pa.list_(pa.struct([("action_type", S), ("timestamp", TS),
                                        ("duration", I32), ("completed", B),
                                        ("old_quality", S), ("new_quality", S),
                                        ("old_speed", F64), ("new_speed", F64)]))),
    ("recommendations", pa.list_(pa.struct([("content_id", S), ("position", I32),
                                            ("algorithm", S), ("clicked", B)]))),
    ("search_history", pa.list_(pa.struct([("search_id", S), ("timestamp", TS),
                                           ("query", S), ("results_count", I32)]))),
])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, required=True, help="events to generate")
    parser.add_argument("--out", required=True, help="Parquet file to write")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    rnd.seed(args.seed)

    start = time.perf_counter()
    events = [generate_consumer_event_data() for _ in range(args.rows)]
    generated = time.perf_counter()
    table = pa.Table.from_pylist(events, schema=SCHEMA)
    built = time.perf_counter()
    pq.write_table(table, args.out, compression="snappy")
    end = time.perf_counter()

    seconds = end - start
    print(json.dumps({
        "rows": args.rows,
        "seconds": round(seconds, 3),
        "events_per_s": round(args.rows / seconds, 1),
        "dicts_s": round(generated - start, 3),
        "from_pylist_s": round(built - generated, 3),
        "write_table_s": round(end - built, 3),
        "bytes": os.path.getsize(args.out),
        "threads": 1,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
