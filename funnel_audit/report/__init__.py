"""The outputs a consultant hands over: report.html, pages.csv, calendar.csv/.ics, audit.json."""
