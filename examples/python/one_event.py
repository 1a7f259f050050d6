"""One event as a dict, the original module's function (`pip install ./python`)."""

import json

from customer_events import generate_consumer_event_data

print(json.dumps(generate_consumer_event_data(seed=7, index=0), indent=2))
print(generate_consumer_event_data()["event_type"])  # the next row of the default dataset
