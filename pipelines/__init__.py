"""Item pipelines: cleaning, script, validation, dedup and dataset writing, in that order."""

from scrapy.exceptions import DropItem


class RejectItem(DropItem):
    """An item that cannot become a record; it goes to the run's rejects file with its reason."""

    def __init__(self, reason: str, stage: str) -> None:
        super().__init__(f"{stage}: {reason}", log_level="INFO")
        self.reason = reason
        self.stage = stage


class DuplicateItem(DropItem):
    """An article the dataset already holds with the same content; counted, not written."""

    def __init__(self, message: str) -> None:
        super().__init__(message, log_level="DEBUG")
