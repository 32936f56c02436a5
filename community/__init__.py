"""The public side of people as sensors: the resident report page (a QR code per building
points to it), the follow link, and the patrol check-in pages of grid workers and station
members. A stage of its own: it imports `events/` and nothing of the other stages; reports
leave it on Kafka (`fw.reports.v1`), photos in the content-addressed photo store.
"""
