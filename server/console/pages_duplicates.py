"""(being written)"""


def pending_count(db, actor):
    return None
