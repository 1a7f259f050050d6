"""The options of the Delta tables the lakehouse checks write: a small world,
a first window of FIRST_DAYS days from START, then MORE_DAYS appended."""

WORLD = ["--events-per-day", "3000", "--seed", "5", "--users", "2000",
         "--row-group-rows", "1000", "--max-rows-per-file", "2000"]
START, FIRST_DAYS, MORE_DAYS = "2026-05-04", 3, 4
