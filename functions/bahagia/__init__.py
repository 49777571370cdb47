"""The domain of Layanan Bahagia: models, rules and texts. No I/O here: callers hand in `now` and ids."""
