"""Customer events into polars in three lines (`pip install ./python polars`)."""

import customer_events as ce
import polars as pl

events = pl.from_arrow(ce.record_batches("100k", seed=7).read_all())
print(events.group_by("event_type").len().sort("event_type"))
