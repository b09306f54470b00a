"""What a crawl remembers: its run in the dataset, the article store, the dupefilter and the scheduler's queues."""
