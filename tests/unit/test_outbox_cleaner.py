import threading

from outbox import MAX_BATCH, BatchedOutboxCleaner


def test_published_ids_are_deleted_together_in_the_background():
    deleted: list[list[str]] = []
    done = threading.Event()

    def delete_many(ids):
        deleted.append(list(ids))
        if sum(map(len, deleted)) == 50:
            done.set()

    cleaner = BatchedOutboxCleaner(delete_many, interval=0.05)
    for i in range(50):
        cleaner.discard(f"e{i}")
    assert done.wait(5)
    assert sorted(i for batch in deleted for i in batch) == sorted(f"e{i}" for i in range(50))
    assert len(deleted) < 50  # batched, not one round trip each


def test_flush_respects_the_batch_limit_and_survives_a_failing_delete():
    calls: list[int] = []

    def failing(ids):
        calls.append(len(ids))
        raise RuntimeError("firestore down")

    cleaner = BatchedOutboxCleaner(failing, interval=60)
    for i in range(MAX_BATCH + 5):
        cleaner._queue.put(f"e{i}")  # queued without starting the thread, to drive flush() by hand
    assert cleaner.flush() == MAX_BATCH
    assert cleaner.flush() == 5
    assert calls == [MAX_BATCH, 5]
    assert cleaner.flush() == 0
