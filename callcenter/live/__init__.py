"""The live feed: call and draft messages for the panel's websockets.

``feed`` is the in-process publish/subscribe (:class:`LiveFeed`); ``events`` the table that
carries messages between processes and ``bridge`` the loop that writes and follows it.
"""

from callcenter.live.feed import LiveFeed, Subscription, call_message

__all__ = ["LiveFeed", "Subscription", "call_message"]
