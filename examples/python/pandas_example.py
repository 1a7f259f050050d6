"""Customer events into pandas in three lines (`pip install ./python pandas`)."""

import customer_events as ce

events = ce.record_batches("100k", seed=7).read_pandas()
print(events.groupby("event_type").size())
