"""Chat routes. Each module owns one router; ``routers()`` lists (prefix, router) for the API."""


def routers():
    from chat.api import blocks, history, message_records, messages, rooms, users

    return [
        ("/rooms", rooms.router),
        ("/messages", messages.router),
        ("/message-records", message_records.router),
        ("/history", history.router),
        ("/users", users.router),
        ("/blocks", blocks.router),
    ]
