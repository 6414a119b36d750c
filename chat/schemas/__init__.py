"""REST shapes of chat, one module per area (rooms, messages, history, ...)."""
